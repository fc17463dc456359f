package io.strata.server;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.strata.projections.testing.TestDatabase;
import io.strata.projections.testing.TestPostgres;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;

/**
 * A fresh database loaded with {@code fixtures/layout-65f10d3.sql}: Strata's metadata and a user's
 * tracked tables as the build of 65f10d3 left them. The server under test starts on it, so Flyway and
 * the layout upgrade run as they would for a user upgrading in place.
 */
public class LayoutFixtureResource implements QuarkusTestResourceLifecycleManager {
  @Override
  public Map<String, String> start() {
    TestDatabase db = TestPostgres.shared().newDatabaseWithoutMigrations();
    try (InputStream in = LayoutFixtureResource.class.getResourceAsStream("/fixtures/layout-65f10d3.sql");
        Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
        Statement s = c.createStatement()) {
      s.execute(new String(in.readAllBytes(), StandardCharsets.UTF_8));
      // pg_dump's script empties the search path for its session only; the server's sessions are new
    } catch (IOException | SQLException e) {
      throw new IllegalStateException("cannot load the 65f10d3 layout fixture", e);
    }
    return db.quarkusConfig();
  }

  @Override
  public void stop() {
    // the database lives as long as the test JVM's PostgreSQL
  }
}
