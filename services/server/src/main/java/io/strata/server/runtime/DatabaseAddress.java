package io.strata.server.runtime;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Where SQL clients reach the server's own database (tracked tables, branch views), never with its
 * password: the embedded one's URL names the passfile only the user running Strata can read; another
 * database's operator has its password already.
 */
@ApplicationScoped
public class DatabaseAddress {
  private final String url;
  private final boolean embedded;

  @Inject
  public DatabaseAddress(StrataConfig config,
      @ConfigProperty(name = "quarkus.datasource.reactive.url") String reactiveUrl,
      @ConfigProperty(name = "quarkus.datasource.username", defaultValue = "postgres") String user) {
    DatabaseSettings db = DatabaseSettings.parse(reactiveUrl.replaceFirst("^vertx-reactive:", ""));
    this.embedded = config.database().passfile().isPresent();
    this.url = "postgresql://" + URLEncoder.encode(user, StandardCharsets.UTF_8) + "@" + db.host() + ":" + db.port()
        + "/" + URLEncoder.encode(db.database(), StandardCharsets.UTF_8)
        + config.database().passfile().map(f -> "?passfile=" + EmbeddedDatabase.uriEncode(f)).orElse("");
  }

  /** A libpq connection URI without a password ({@code psql "<url>"}). */
  public String url() {
    return url;
  }

  /** Whether it is the private PostgreSQL StrataMain started. */
  public boolean embedded() {
    return embedded;
  }
}
