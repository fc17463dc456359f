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
 * A merge interrupted like kill -9 (the failpoint {@code merge.applied} halts the process after the
 * merged rows are written, before the merge's event is appended), into the default branch (the table
 * itself) and into a branch (its overlay): started again on the same data directory, the target is at
 * its old head with its old rows and no working changes, the projections equal a rebuild from the log,
 * and the same merge then succeeds.
 */
class MergeKillNineIT {

  @ParameterizedTest
  @ValueSource(strings = {"main", "dev"})
  void aMergeInterruptedLeavesTheTargetAtItsOldHead(String target, @TempDir Path dataDir) throws Exception {
    Map<String, String> env = Map.of("STRATA_DATA_DIR", dataDir.toString());
    String source = target.equals("main") ? "dev" : "main";
    String before;
    List<String> rowsBefore;
    try (PackagedServer server = new PackagedServer(dataDir, withFailpoint(env))) {
      server.start();
      try (Connection db = database(dataDir)) {
        db.createStatement().execute("create table public.items (id int primary key, name text not null, n int)");
        db.createStatement().execute("insert into public.items select g, 'i' || g, g from generate_series(1, 50) g");
      }
      server.send("POST", "/api/v1/repositories", "{\"name\":\"shop\"}", 201);
      server.send("POST", "/api/v1/repositories/shop/tables",
          "{\"name\":\"items\",\"location\":\"postgresql://local/public.items\"}", 201);
      server.send("POST", "/api/v1/repositories/shop/branches", "{\"name\":\"dev\"}", 201);
      try (Connection db = database(dataDir)) {
        db.createStatement().execute("update strata_dev.items set name = 'dev' where id <= 20");
        db.createStatement().execute("update public.items set n = -n where id > 10");
      }
      server.send("POST", "/api/v1/repositories/shop/branches/dev/commits", "{\"message\":\"dev\",\"all\":true}", 201);
      server.send("POST", "/api/v1/repositories/shop/branches/main/commits", "{\"message\":\"main\",\"all\":true}", 201);
      before = server.send("GET", "/api/v1/repositories/shop/branches/" + target, null, 200).get("head").asText();
      rowsBefore = rows(dataDir, target);

      try {
        HttpResponse<String> r = PackagedServer.HTTP.send(HttpRequest.newBuilder(
                URI.create(server.base() + "/api/v1/repositories/shop/branches/" + target + "/merge"))
            .header("Content-Type", "application/json").timeout(Duration.ofSeconds(30))
            .POST(HttpRequest.BodyPublishers.ofString("{\"source\":\"" + source + "\"}")).build(),
            HttpResponse.BodyHandlers.ofString());
        throw new AssertionError("the failpoint did not halt the server: " + r.statusCode() + " " + r.body());
      } catch (java.io.IOException halted) {
        // the server died at the failpoint, before answering
      }
      assertThat(server.process().waitFor()).isEqualTo(137);
    }

    try (PackagedServer server = new PackagedServer(dataDir, env)) {
      server.start();
      assertThat(server.send("GET", "/api/v1/repositories/shop/branches/" + target, null, 200).get("head").asText())
          .as("the target is at its old head").isEqualTo(before);
      JsonNode status = server.send("GET", "/api/v1/repositories/shop/branches/" + target + "/status", null, 200);
      assertThat(status.get("clean").asBoolean()).as("no merged row is left as a working change").isTrue();
      assertThat(status.get("merge_in_progress").asBoolean()).isFalse();
      assertThat(rows(dataDir, target)).as("the target's rows are its head's").isEqualTo(rowsBefore);
      JsonNode live = server.send("GET", "/api/v1/admin/projections/digest", null, 200);
      server.send("POST", "/api/v1/admin/projections/rebuild", "", 200);
      assertThat(server.send("GET", "/api/v1/admin/projections/digest", null, 200)).isEqualTo(live);

      JsonNode merged = server.send("POST", "/api/v1/repositories/shop/branches/" + target + "/merge",
          "{\"source\":\"" + source + "\"}", 200);
      assertThat(merged.get("commit").asText()).isNotEmpty();
      List<String> after = rows(dataDir, target);
      assertThat(after).contains("1:dev:1", "20:dev:-20", "50:i50:-50");
    }
  }

  private static Map<String, String> withFailpoint(Map<String, String> env) {
    Map<String, String> armed = new HashMap<>(env);
    armed.put("STRATA_FAILPOINTS", "merge.applied=halt");
    return armed;
  }

  private static Connection database(Path dataDir) throws Exception {
    return PackagedServer.database(dataDir);
  }

  /** The target's rows as "id:name:n", through the table (main) or the branch's view. */
  private static List<String> rows(Path dataDir, String target) throws Exception {
    List<String> rows = new ArrayList<>();
    try (Connection db = database(dataDir); ResultSet r = db.createStatement().executeQuery(
        "select id || ':' || name || ':' || n from " + (target.equals("main") ? "public" : "strata_" + target)
            + ".items order by id")) {
      while (r.next()) {
        rows.add(r.getString(1));
      }
    }
    return rows;
  }
}
