package io.strata.server;

import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.annotations.QuarkusMain;
import io.strata.projections.postgres.LocalPostgres;
import io.strata.server.runtime.DataDirectoryLock;
import io.strata.server.runtime.DatabaseSettings;
import io.strata.server.runtime.DatabaseMetrics;
import io.strata.server.runtime.EmbeddedDatabase;
import io.strata.server.runtime.ListenerPolicy;
import io.strata.server.runtime.StopAfterApplication;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Starts Strata. With {@code STRATA_DATABASE_URL} it uses that database; with the Quarkus datasource
 * properties set it uses those; with neither it starts a private PostgreSQL in the data directory
 * ({@code STRATA_DATA_DIR}, default {@code ./.strata}), which keeps its data, port and password across
 * restarts and is stopped when Strata stops (see {@link EmbeddedDatabase}).
 */
@QuarkusMain
public final class StrataMain {
  private StrataMain() {}

  public static void main(String... args) {
    ListenerPolicy.Verdict listener = ListenerPolicy.check(setting("STRATA_AUTH", "strata.auth"), host());
    if (listener.message() != null) {
      System.out.println("Strata: " + listener.message());
    }
    if (!listener.start()) {
      System.exit(1);
    }
    String url = setting("STRATA_DATABASE_URL", "strata.database.url");
    if (url != null) {
      apply(DatabaseSettings.parse(url).quarkusProperties());
    } else if (!quarkusDatasourceConfigured()) {
      String dir = setting("STRATA_DATA_DIR", "strata.data-dir");
      Path dataDir = Path.of(dir == null ? ".strata" : dir).toAbsolutePath().normalize();
      // before PostgreSQL: a second server must not take (or stop) the first one's database
      DataDirectoryLock dataDirLock = lockOrExit(dataDir);
      System.out.println("Strata: no database configured; starting a private PostgreSQL in " + dataDir.resolve("postgres"));
      EmbeddedDatabase embedded = null;
      try {
        embedded = EmbeddedDatabase.start(dataDir, setting(EmbeddedDatabase.PORT_SETTING, "strata.embedded-database-port"));
      } catch (EmbeddedDatabase.PortUnavailable | LocalPostgres.PasswordRefused e) {
        System.out.println("Strata: " + e.getMessage());
        System.exit(1);
      }
      apply(DatabaseSettings.parse(embedded.url()).quarkusProperties());
      System.setProperty("strata.database.passfile", embedded.passfile().toString());
      System.setProperty(DatabaseMetrics.EMBEDDED_PID, Long.toString(embedded.postmasterPid()));
      // where SQL clients reach it (tracked tables, branch views); the password stays in the passfile
      System.out.println("Strata: PostgreSQL at 127.0.0.1:" + embedded.server().port() + ", user "
          + LocalPostgres.USER + ", its password in " + embedded.passfile() + " (readable by this user only)."
          + " With psql: psql \"" + embedded.clientUrl() + "\"");
      // PostgreSQL stops after the application (leases released, checkpoints written), the lock after it
      StopAfterApplication.register(embedded::close, dataDirLock::release);
    }
    Quarkus.run(args);
  }

  private static DataDirectoryLock lockOrExit(Path dataDir) {
    try {
      return DataDirectoryLock.acquire(dataDir);
    } catch (DataDirectoryLock.InUse inUse) {
      System.out.println("Strata: " + inUse.getMessage());
    } catch (IOException e) {
      System.out.println("Strata: cannot lock the data directory " + dataDir + ": " + e.getMessage());
    }
    System.exit(1);
    throw new IllegalStateException("unreachable: the process has exited");
  }

  private static String setting(String env, String property) {
    String value = System.getProperty(property, System.getenv(env));
    return value == null || value.isBlank() ? null : value;
  }

  /** The listener address the operator chose: quarkus.http.host directly, else STRATA_HOST; null: the default. */
  private static String host() {
    String direct = setting("QUARKUS_HTTP_HOST", "quarkus.http.host");
    return direct != null ? direct : setting("STRATA_HOST", "strata.host");
  }

  private static boolean quarkusDatasourceConfigured() {
    return Stream.of("QUARKUS_DATASOURCE_REACTIVE_URL", "QUARKUS_DATASOURCE_JDBC_URL")
            .anyMatch(e -> System.getenv(e) != null)
        || Stream.of("quarkus.datasource.reactive.url", "quarkus.datasource.jdbc.url")
            .anyMatch(p -> System.getProperty(p) != null);
  }

  private static void apply(Map<String, String> properties) {
    properties.forEach(System::setProperty);
  }
}
