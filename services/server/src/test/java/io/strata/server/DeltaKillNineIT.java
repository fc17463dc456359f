package io.strata.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.strata.projections.delta.DeltaTable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A three-way merge into a Delta table interrupted like kill -9 (failpoint {@code merge.applied} halts the process
 * after the merged rows were written to the table as a Delta version, before the merge's event is appended): the
 * version is there, in the table every engine reads, and no log or ref of Strata's names it. Started again on the same
 * data directory, the recovery sweep puts its rows back (from the intent the unit journalled before writing it): main
 * is at its old head, its table reads its old rows, it has no working changes, and the same merge then succeeds.
 */
class DeltaKillNineIT {

  @Test
  void aMergeIntoADeltaTableInterruptedIsPutBackAtStart(@TempDir Path dataDir) throws Exception {
    Path lake = Files.createDirectories(dataDir.resolve("lake"));
    Map<String, String> env = Map.of("STRATA_DATA_DIR", dataDir.resolve("data").toString(),
        "STRATA_DELTA_ROOTS", lake.toString());
    String repo = "/api/v1/repositories/lake";
    String before;
    Map<Long, String> rowsBefore;
    Map<String, String> halting = new HashMap<>(env);
    halting.put("STRATA_FAILPOINTS", "merge.applied=halt");
    try (PackagedServer server = new PackagedServer(dataDir, halting)) {
      server.start();
      server.send("POST", "/api/v1/repositories", "{\"name\":\"lake\"}", 201);
      server.send("POST", repo + "/storage", "{\"name\":\"lake\",\"type\":\"delta\",\"url\":\""
          + lake.toUri() + "\"}", 201);
      server.send("POST", repo + "/branches/main/tables", "{\"name\":\"items\",\"location\":\"delta://lake/items\","
          + "\"columns\":[{\"name\":\"id\",\"type\":\"bigint\"},{\"name\":\"v\",\"type\":\"text\"}],"
          + "\"primary_key\":[\"id\"]}", 201);
      StringBuilder batch = new StringBuilder("[");
      for (int id = 1; id <= 50; id++) {
        batch.append(id > 1 ? "," : "").append("{\"op\":\"upsert\",\"row\":{\"id\":").append(id)
            .append(",\"v\":\"i").append(id).append("\"}}");
      }
      server.send("POST", repo + "/branches/main/tables/items/rows:batch", batch.append("]").toString(), 200);
      server.send("POST", repo + "/branches/main/commits", "{\"message\":\"items\",\"all\":true}", 201);
      server.send("POST", repo + "/branches", "{\"name\":\"dev\"}", 201);
      server.send("POST", repo + "/branches/dev/tables/items/rows:batch", "[{\"op\":\"upsert\",\"row\":{\"id\":1,"
          + "\"v\":\"dev\"}},{\"op\":\"upsert\",\"row\":{\"id\":2,\"v\":\"dev\"}},{\"op\":\"delete\",\"key\":{\"id\":3}}]",
          200);
      server.send("POST", repo + "/branches/dev/commits", "{\"message\":\"dev\",\"all\":true}", 201);
      server.send("POST", repo + "/branches/main/tables/items/rows:batch", "[{\"op\":\"upsert\",\"row\":{\"id\":50,"
          + "\"v\":\"main\"}}]", 200);
      server.send("POST", repo + "/branches/main/commits", "{\"message\":\"main\",\"all\":true}", 201);
      before = server.send("GET", repo + "/branches/main", null, 200).get("head").asText();
      rowsBefore = rows(lake);
      server.postHalting(repo + "/branches/main/merge", "{\"source\":\"dev\"}");
    }
    // what the kill left: the merged rows in the table itself, claimed by nothing of Strata's
    assertThat(rows(lake)).containsEntry(1L, "dev").doesNotContainKey(3L);

    try (PackagedServer server = new PackagedServer(dataDir, env)) {
      server.start();
      assertThat(server.send("GET", repo + "/branches/main", null, 200).get("head").asText())
          .as("main is at its old head").isEqualTo(before);
      assertThat(rows(lake)).as("the table reads main's head's rows").isEqualTo(rowsBefore);
      JsonNode status = server.send("GET", repo + "/branches/main/status", null, 200);
      assertThat(status.get("clean").asBoolean()).as("no merged row is left as a working change: %s", status)
          .isTrue();
      JsonNode merged = server.send("POST", repo + "/branches/main/merge", "{\"source\":\"dev\"}", 200);
      assertThat(merged.get("commit").asText()).isNotEmpty();
      assertThat(rows(lake)).containsEntry(1L, "dev").containsEntry(2L, "dev").containsEntry(50L, "main")
          .doesNotContainKey(3L).hasSize(49);
    }
  }

  /** The rows of the Delta table itself, read as any engine reads it (Kernel): id → v. */
  private static Map<Long, String> rows(Path lake) {
    DeltaTable table = DeltaTable.local(lake.resolve("items"), DeltaTable.defaultEngine());
    Map<Long, String> rows = new TreeMap<>();
    table.rows(table.latest(), List.of("id")).forEach((k, r) -> rows.put((Long) r.get("id"), (String) r.get("v")));
    return rows;
  }
}
