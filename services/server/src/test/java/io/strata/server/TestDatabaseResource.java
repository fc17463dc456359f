package io.strata.server;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.strata.projections.testing.TestPostgres;
import java.util.Map;

/**
 * The server under test gets a fresh database of the test JVM's PostgreSQL (a container when a Docker
 * engine answers, the embedded server otherwise). Flyway migrates it at start-up like in production. It may reach
 * the test JVM's S3 server ({@link TestS3}) as a Delta storage's endpoint.
 */
public class TestDatabaseResource implements QuarkusTestResourceLifecycleManager {
  @Override
  public Map<String, String> start() {
    java.util.Map<String, String> config = new java.util.HashMap<>(
        TestPostgres.shared().newDatabaseWithoutMigrations().quarkusConfig());
    // Delta storages on the tests' S3 server, directly or through the one that fails as S3 does
    config.put("strata.delta.s3-endpoints", TestS3.shared().endpoint() + "," + S3FaultProxy.shared().endpoint());
    return config;
  }

  @Override
  public void stop() {
    // the server lives as long as the test JVM
  }
}
