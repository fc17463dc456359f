package io.strata.server;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.strata.projections.testing.TestPostgres;
import java.util.Map;

/**
 * The server under test gets a fresh database of the test JVM's PostgreSQL (a container when a Docker
 * engine answers, the embedded server otherwise). Flyway migrates it at start-up like in production.
 */
public class TestDatabaseResource implements QuarkusTestResourceLifecycleManager {
  @Override
  public Map<String, String> start() {
    return TestPostgres.shared().newDatabaseWithoutMigrations().quarkusConfig();
  }

  @Override
  public void stop() {
    // the server lives as long as the test JVM
  }
}
