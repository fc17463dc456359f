package io.strata.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A rebase interrupted like kill -9 after its first replayed commit (the failpoint {@code rebase.step}
 * halts the process once that step is appended): started again on the same data directory, the branch
 * is at a whole commit with the rebase in progress, the projections equal a rebuild from the log, and
 * the rebase is continued to its end or aborted back to the branch's old head and rows, exactly.
 */
class RebaseKillNineIT {

  @ParameterizedTest
  @ValueSource(strings = {"continue", "abort"})
  void aRebaseInterruptedIsResumedOrAbortedWhole(String then, @TempDir Path dataDir) throws Exception {
    Map<String, String> env = Map.of("STRATA_DATA_DIR", dataDir.toString());
    String before;
    List<String> rowsBefore;
    try (PackagedServer server = new PackagedServer(dataDir, withFailpoint(env))) {
      server.start();
      try (Connection db = database(dataDir)) {
        db.createStatement().execute("create table public.items (id int primary key, n int not null)");
        db.createStatement().execute("insert into public.items select g, g from generate_series(1, 30) g");
      }
      server.send("POST", "/api/v1/repositories", "{\"name\":\"shop\"}", 201);
      server.send("POST", "/api/v1/repositories/shop/tables",
          "{\"name\":\"items\",\"location\":\"postgresql://local/public.items\"}", 201);
      server.send("POST", "/api/v1/repositories/shop/branches", "{\"name\":\"dev\"}", 201);
      for (int i = 1; i <= 3; i++) {
        try (Connection db = database(dataDir)) {
          db.createStatement().execute("update strata_dev.items set n = -n where id = " + i);
        }
        server.send("POST", "/api/v1/repositories/shop/branches/dev/commits", "{\"message\":\"d" + i + "\",\"all\":true}",
            201);
      }
      try (Connection db = database(dataDir)) {
        db.createStatement().execute("update public.items set n = 100 where id = 30");
      }
      server.send("POST", "/api/v1/repositories/shop/branches/main/commits", "{\"message\":\"m\",\"all\":true}", 201);
      before = server.send("GET", "/api/v1/repositories/shop/branches/dev", null, 200).get("head").asText();
      rowsBefore = rows(dataDir);
      try {
        HttpResponse<String> r = PackagedServer.HTTP.send(HttpRequest.newBuilder(
                URI.create(server.base() + "/api/v1/repositories/shop/branches/dev/rebase"))
            .header("Content-Type", "application/json").timeout(Duration.ofSeconds(30))
            .POST(HttpRequest.BodyPublishers.ofString("{\"onto\":\"main\"}")).build(), HttpResponse.BodyHandlers.ofString());
        throw new AssertionError("the failpoint did not halt the server: " + r.statusCode() + " " + r.body());
      } catch (java.io.IOException halted) {
        // the server died at the failpoint, before answering
      }
      assertThat(server.process().waitFor()).isEqualTo(137);
    }

    try (PackagedServer server = new PackagedServer(dataDir, env)) {
      server.start();
      JsonNode rebase = server.send("GET", "/api/v1/repositories/shop/branches/dev/rebase", null, 200);
      assertThat(rebase.get("rebase_in_progress").asBoolean()).isTrue();
      assertThat(rebase.get("done").asInt()).as("the first commit was replayed, whole").isEqualTo(1);
      assertThat(server.send("GET", "/api/v1/repositories/shop/branches/dev/status", null, 200).get("clean")
          .asBoolean()).isTrue();
      assertThat(rows(dataDir)).contains("1:-1", "2:2", "30:100");
      JsonNode live = server.send("GET", "/api/v1/admin/projections/digest", null, 200);
      server.send("POST", "/api/v1/admin/projections/rebuild", "", 200);
      assertThat(server.send("GET", "/api/v1/admin/projections/digest", null, 200)).isEqualTo(live);

      if (then.equals("continue")) {
        server.send("POST", "/api/v1/repositories/shop/branches/dev/rebase/continue", "{}", 200);
        assertThat(rows(dataDir)).contains("1:-1", "2:-2", "3:-3", "30:100");
        JsonNode log = server.send("GET", "/api/v1/repositories/shop/commits?ref=dev&limit=4", null, 200);
        List<String> messages = new ArrayList<>();
        log.get("items").forEach(c -> messages.add(c.get("message").asText()));
        assertThat(messages).containsExactly("d3", "d2", "d1", "m");
      } else {
        server.send("POST", "/api/v1/repositories/shop/branches/dev/rebase/abort", "{}", 204);
        assertThat(server.send("GET", "/api/v1/repositories/shop/branches/dev", null, 200).get("head").asText())
            .isEqualTo(before);
        assertThat(rows(dataDir)).isEqualTo(rowsBefore);
      }
      assertThat(server.send("GET", "/api/v1/repositories/shop/branches/dev/rebase", null, 200)
          .get("rebase_in_progress").asBoolean()).isFalse();
    }
  }

  private static Map<String, String> withFailpoint(Map<String, String> env) {
    Map<String, String> armed = new HashMap<>(env);
    armed.put("STRATA_FAILPOINTS", "rebase.step=halt");
    return armed;
  }

  private static Connection database(Path dataDir) throws Exception {
    return PackagedServer.database(dataDir);
  }

  /** dev's rows, through its view. */
  private static List<String> rows(Path dataDir) throws Exception {
    List<String> rows = new ArrayList<>();
    try (Connection db = database(dataDir);
        ResultSet r = db.createStatement().executeQuery("select id || ':' || n from strata_dev.items order by id")) {
      while (r.next()) {
        rows.add(r.getString(1));
      }
    }
    return rows;
  }
}
