package io.strata.projections.testing;

import org.testcontainers.postgresql.PostgreSQLContainer;

/** Only loaded when a Docker engine answers, so Testcontainers is never touched without one. */
final class ContainerPostgres {
  private ContainerPostgres() {}

  @SuppressWarnings("resource") // lives as long as the test JVM (Ryuk removes it)
  static TestPostgres start() {
    PostgreSQLContainer container = new PostgreSQLContainer("postgres:17-alpine");
    container.start();
    return TestPostgres.of(container.getHost(), container.getFirstMappedPort(),
        container.getUsername(), container.getPassword());
  }
}
