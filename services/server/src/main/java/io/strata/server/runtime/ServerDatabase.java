package io.strata.server.runtime;

import io.smallrye.mutiny.Uni;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import org.eclipse.microprofile.config.ConfigProvider;

/** The server's own (metadata) database: whether it answers, and how to open a connection of one's own to it. */
@ApplicationScoped
public class ServerDatabase {
  private final Pool pool;

  @Inject
  public ServerDatabase(Pool pool) {
    this.pool = pool;
  }

  /**
   * Where the metadata database is, as the pool reaches it (its URL, user and password from the datasource's
   * settings), for a connection outside the pool: a session of its own (a backup), or another role's (queries).
   */
  public static PgConnectOptions connectOptions() {
    var settings = ConfigProvider.getConfig();
    return PgConnectOptions.fromUri(settings.getValue("quarkus.datasource.reactive.url", String.class)
            .replaceFirst("^vertx-reactive:", ""))
        .setUser(settings.getValue("quarkus.datasource.username", String.class))
        .setPassword(settings.getOptionalValue("quarkus.datasource.password", String.class).orElse(""));
  }

  /** Whether the database answers a trivial query within {@code timeout}; never fails. */
  public Uni<Boolean> answers(Duration timeout) {
    return pool.query("select 1").execute()
        .map(rows -> true)
        .ifNoItem().after(timeout).fail()
        .onFailure().recoverWithItem(false);
  }
}
