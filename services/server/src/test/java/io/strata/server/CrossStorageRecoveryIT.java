package io.strata.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import io.strata.projections.postgres.LocalPostgres;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Crash recovery of commits over two databases, on the packaged server: a named failpoint halts the
 * process (like kill -9) in the middle of a commit that captured rows in a registered storage; the
 * server started again on the same data directory must leave the branch at a whole commit — the
 * commit entirely there, or entirely absent with its changes staged again — and say so in the log.
 */
class CrossStorageRecoveryIT {

  @ParameterizedTest
  @ValueSource(strings = {"commit.storage-captured", "commit.appended"})
  void aCrashInTheMiddleOfACrossStorageCommitLeavesAWholeCommit(String failpoint, @TempDir Path dataDir)
      throws Exception {
    // the storage's password file lives in the data directory, which the server is told to allow
    Map<String, String> env = Map.of("STRATA_DATA_DIR", dataDir.toString(), "STRATA_SECRETS_DIRS", dataDir.toString());
    String before;
    JsonNode staged;
    String jdbc;
    // the warehouse: another PostgreSQL server, which outlives the Strata process
    try (LocalPostgres other = LocalPostgres.start(dataDir.resolve("warehouse"), true)) {
      String warehouse = other.jdbcUrl();
      try (PackagedServer server = new PackagedServer(dataDir, withFailpoint(env, failpoint))) {
        server.start();
        URI pg = URI.create(Files.readString(dataDir.resolve("database.url")).strip());
        jdbc = "jdbc:postgresql://" + pg.getHost() + ":" + pg.getPort();
        try (Connection db = DriverManager.getConnection(jdbc + pg.getPath(), "postgres", PackagedServer.password(pg))) {
          db.createStatement().execute("create table public.items (id int primary key, name text not null)");
          db.createStatement().execute("insert into public.items select g, 'i' || g from generate_series(1, 20) g");
        }
        try (Connection wh = DriverManager.getConnection(warehouse, LocalPostgres.USER, "")) {
          wh.createStatement().execute("create table public.orders (id int primary key, total numeric(10,2) not null)");
          wh.createStatement().execute("insert into public.orders select g, g from generate_series(1, 200) g");
        }
        Path password = Files.createTempFile(dataDir, "pw", ".txt");
        server.send("POST", "/api/v1/repositories", "{\"name\":\"shop\"}", 201);
        server.send("POST", "/api/v1/repositories/shop/storage", "{\"name\":\"warehouse\",\"host\":\"" + other.host()
            + "\",\"port\":" + other.port() + ",\"database\":\"postgres\",\"username\":\"postgres\",\"password_file\":\""
            + password + "\"}", 201);
        server.send("POST", "/api/v1/repositories/shop/tables",
            "{\"name\":\"orders\",\"location\":\"postgresql://warehouse/public.orders\"}", 201);
        server.send("POST", "/api/v1/repositories/shop/tables",
            "{\"name\":\"items\",\"location\":\"postgresql://local/public.items\"}", 201);
        try (Connection wh = DriverManager.getConnection(warehouse, LocalPostgres.USER, "")) {
          wh.createStatement().execute("update public.orders set total = total * 2 where id <= 50");
          wh.createStatement().execute("delete from public.orders where id > 190");
        }
        try (Connection db = DriverManager.getConnection(jdbc + pg.getPath(), "postgres", PackagedServer.password(pg))) {
          db.createStatement().execute("update public.items set name = 'renamed' where id <= 5");
        }
        server.send("POST", "/api/v1/repositories/shop/branches/main/stage", "{}", 200);
        before = server.send("GET", "/api/v1/repositories/shop/branches/main", null, 200).get("head").asText();
        staged = server.send("GET", "/api/v1/repositories/shop/branches/main/status", null, 200).get("tables");

        try {
          HttpResponse<String> r = PackagedServer.HTTP.send(HttpRequest.newBuilder(
                  URI.create(server.base() + "/api/v1/repositories/shop/branches/main/commits"))
              .header("Content-Type", "application/json").timeout(Duration.ofSeconds(30))
              .POST(HttpRequest.BodyPublishers.ofString("{\"message\":\"interrupted\"}")).build(),
              HttpResponse.BodyHandlers.ofString());
          throw new AssertionError("the failpoint did not halt the server: " + r.statusCode() + " " + r.body());
        } catch (java.io.IOException halted) {
          // the server died at the failpoint, before answering
        }
        assertThat(server.process().waitFor()).isEqualTo(137);
      }

      try (PackagedServer server = new PackagedServer(dataDir, env)) {
        server.start(); // the recovery sweep runs before the server takes requests
        String head = server.send("GET", "/api/v1/repositories/shop/branches/main", null, 200).get("head").asText();
        JsonNode status = server.send("GET", "/api/v1/repositories/shop/branches/main/status", null, 200);
        try (Connection wh = DriverManager.getConnection(warehouse, LocalPostgres.USER, "");
            ResultSet sidecars = wh.createStatement().executeQuery("select count(*) from strata.commit_sidecars")) {
          sidecars.next();
          assertThat(sidecars.getLong(1)).as("no sidecar survives the sweep").isZero();
        }
        if (failpoint.equals("commit.storage-captured")) {
          // never appended: the branch is where it was, every captured change staged again
          assertThat(head).isEqualTo(before);
          assertThat(status.get("tables")).isEqualTo(staged);
          URI restarted = URI.create(Files.readString(dataDir.resolve("database.url")).strip());
          try (Connection db = DriverManager.getConnection("jdbc:postgresql://" + restarted.getHost() + ":"
                  + restarted.getPort() + restarted.getPath(), "postgres", PackagedServer.password(restarted));
              ResultSet events = db.createStatement().executeQuery(
                  "select count(*) from strata_meta.events where type = 'io.strata.commit.rolled_back.v1'")) {
            events.next();
            assertThat(events.getLong(1)).as("the rollback is recorded").isEqualTo(1);
          }
          JsonNode commit = server.send("POST", "/api/v1/repositories/shop/branches/main/commits",
              "{\"message\":\"again\"}", 201);
          assertThat(commit.at("/stats/updated").asLong()).isEqualTo(55);
          assertThat(commit.at("/stats/deleted").asLong()).isEqualTo(10);
        } else {
          // appended: the commit stands, whole, and its changes are no longer working changes
          assertThat(head).isNotEqualTo(before);
          assertThat(status.get("clean").asBoolean()).isTrue();
          JsonNode commit = server.send("GET", "/api/v1/repositories/shop/commits/" + head, null, 200);
          assertThat(commit.at("/stats/updated").asLong()).isEqualTo(55);
        }
        // either way the rows read at the first commit and at the head agree with the data
        server.send("GET", "/api/v1/repositories/shop/tables/orders/rows/1?ref=" + before, null, 200);
        assertThat(server.send("GET", "/api/v1/repositories/shop/tables/orders/rows/195?ref=" + before, null, 200)
            .get("total").decimalValue()).isEqualByComparingTo("195");
        server.send("GET", "/api/v1/repositories/shop/tables/orders/rows/195", null, 404);
      }
    }
  }

  private static Map<String, String> withFailpoint(Map<String, String> env, String failpoint) {
    Map<String, String> armed = new java.util.HashMap<>(env);
    armed.put("STRATA_FAILPOINTS", failpoint + "=halt");
    return armed;
  }
}
