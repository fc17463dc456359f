package io.strata.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.strata.projections.testing.TestDatabase;
import io.strata.projections.testing.TestPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The packaged server on a database named by STRATA_DATABASE_URL: no private PostgreSQL, data kept. */
class ExternalDatabaseIT {
  @Test
  void runsOnTheDatabaseItIsGiven(@TempDir Path workDir) throws Exception {
    TestDatabase db = TestPostgres.shared().newDatabaseWithoutMigrations();
    try (PackagedServer server = new PackagedServer(workDir, Map.of("STRATA_DATABASE_URL", db.url()))) {
      server.start();
      assertThat(server.log()).doesNotContain("private PostgreSQL");
      // where SQL clients find it: its URL, never its password
      com.fasterxml.jackson.databind.JsonNode address = server.send("GET", "/api/v1/admin/database", null, 200);
      assertThat(address.get("embedded").asBoolean()).isFalse();
      java.net.URI given = java.net.URI.create(db.url());
      assertThat(address.get("url").asText()).isEqualTo("postgresql://" + given.getUserInfo().split(":")[0] + "@"
          + given.getHost() + ":" + given.getPort() + given.getPath());
      server.send("POST", "/api/v1/repositories", "{\"name\":\"external\"}", 201);
      server.stop();
      server.start();
      assertThat(server.send("GET", "/api/v1/repositories/external", null, 200).get("default_branch").asText())
          .isEqualTo("main");
    }
    assertThat(Files.exists(workDir.resolve(".strata"))).as("no embedded data directory").isFalse();
  }
}
