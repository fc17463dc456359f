package io.strata.server.api;

import static io.restassured.RestAssured.given;
import static io.strata.server.api.Api.createRepository;
import static io.strata.server.api.Api.post;
import static io.strata.server.api.Api.uniqueName;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.strata.projections.delta.DeltaTable;
import io.strata.server.TestDatabaseResource;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Model-based test of a Delta table through the API: random sequences over a few branches (branches of branches)
 * of REST upserts and deletes, commits, merges of one branch into another under the {@code theirs} and {@code ours}
 * strategies (fast-forwards and three-way merges), and hard resets to an earlier commit, checked after every step
 * against a small in-memory model — per branch its working rows and per commit a snapshot — through the API (NDJSON
 * of each branch's working state, rows at each commit) and through the branch's Delta table itself at the location
 * the API answers, read by Kernel as any engine reads it. A three-way merge is checked against a reference merge of
 * the model's snapshots at the merge base the server names. Fixed seed; scale with -Ddeltamodel.runs / .steps.
 */
@QuarkusTest
@WithTestResource(value = TestDatabaseResource.class, scope = TestResourceScope.GLOBAL)
class DeltaModelTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int KEYS = 10;

  /** A branch of the model: its working rows, its head commit. */
  private static final class Branch {
    Map<Long, String> working;
    String head;

    Branch(Map<Long, String> working, String head) {
      this.working = working;
      this.head = head;
    }
  }

  @Test
  void randomSequencesOnADeltaTableReadAsTheModelThroughTheApiAndTheTable() throws Exception {
    int runs = Integer.getInteger("deltamodel.runs", 2);
    int steps = Integer.getInteger("deltamodel.steps", 40);
    long seed = Long.getLong("deltamodel.seed", 32L);
    for (int run = 0; run < runs; run++) {
      run(new Random(seed + run), steps);
    }
  }

  private void run(Random random, int steps) throws Exception {
    String repo = createRepository(uniqueName("deltamodel"));
    String base = "/api/v1/repositories/" + repo;
    Path lake = Files.createTempDirectory("lake");
    post(base + "/storage", Map.of("name", "lake", "type", "delta", "url", lake.toUri().toString())).statusCode(201);
    post(base + "/branches/main/tables", Map.of("name", "t", "location", "delta://lake/t", "columns",
        List.of(Map.of("name", "id", "type", "bigint"), Map.of("name", "v", "type", "text")),
        "primary_key", List.of("id"))).statusCode(201);
    Map<String, Map<Long, String>> snapshots = new HashMap<>();
    Map<String, Branch> branches = new TreeMap<>();
    String first = Api.head(repo, "main");
    snapshots.put(first, new TreeMap<>());
    branches.put("main", new Branch(new TreeMap<>(), first));
    Map<String, List<String>> history = new HashMap<>();
    history.put("main", new ArrayList<>(List.of(first)));
    List<String> log = new ArrayList<>();
    for (int step = 0; step < steps; step++) {
      List<String> names = new ArrayList<>(branches.keySet());
      String b = names.get(random.nextInt(names.size()));
      Branch branch = branches.get(b);
      int op = random.nextInt(100);
      if (op < 40) {
        long key = 1 + random.nextInt(KEYS);
        String value = "s" + step;
        log.add(step + " upsert " + b + " " + key + "=" + value);
        Api.json().body(Map.of("v", value)).put(base + "/branches/" + b + "/tables/t/rows/" + key).then()
            .statusCode(200);
        branch.working.put(key, value);
      } else if (op < 50) {
        long key = 1 + random.nextInt(KEYS);
        log.add(step + " delete " + b + " " + key);
        int status = given().delete(base + "/branches/" + b + "/tables/t/rows/" + key).then().extract().statusCode();
        assertThat(status).as(String.join("\n", log)).isEqualTo(branch.working.containsKey(key) ? 204 : 404);
        branch.working.remove(key);
      } else if (op < 65) {
        log.add(step + " commit " + b);
        commit(base, b, branch, snapshots, history, step);
      } else if (op < 75 && branches.size() < 4) {
        String name = "b" + step;
        commit(base, b, branch, snapshots, history, step);
        log.add(step + " branch " + name + " from " + b);
        post(base + "/branches", Map.of("name", name, "from", b)).statusCode(201);
        branches.put(name, new Branch(new TreeMap<>(branch.working), branch.head));
        history.put(name, new ArrayList<>(List.of(branch.head)));
      } else if (op < 92 && branches.size() > 1) {
        String source = names.get(random.nextInt(names.size()));
        if (source.equals(b)) {
          continue;
        }
        Branch from = branches.get(source);
        commit(base, b, branch, snapshots, history, step);
        commit(base, source, from, snapshots, history, step);
        String strategy = random.nextBoolean() ? "theirs" : "ours";
        log.add(step + " merge " + source + " into " + b + " (" + strategy + ")");
        JsonNode merged = JSON.readTree(post(base + "/branches/" + b + "/merge", Map.of("source", source, "strategy",
            strategy, "message", "merge " + step)).statusCode(200).extract().asString());
        if (merged.path("up_to_date").asBoolean()) {
          continue;
        }
        Map<Long, String> expected;
        if (merged.path("fast_forward").asBoolean()) {
          expected = snapshots.get(from.head);
          branch.head = from.head;
        } else {
          Map<Long, String> mergeBase = snapshots.get(merged.path("merge_base").asText());
          assertThat(mergeBase).as("the merge base is a commit of the model: %s", String.join("\n", log)).isNotNull();
          expected = threeWay(mergeBase, snapshots.get(branch.head), snapshots.get(from.head), strategy);
          branch.head = merged.path("commit").asText();
          snapshots.put(branch.head, new TreeMap<>(expected));
        }
        history.get(b).add(branch.head);
        branch.working = new TreeMap<>(expected);
      } else {
        // (a move in another database than the log's refuses working changes, force or not: committed first)
        commit(base, b, branch, snapshots, history, step);
        List<String> own = history.get(b);
        String to = own.get(random.nextInt(own.size()));
        log.add(step + " reset " + b + " to " + to.substring(0, 8));
        post(base + "/branches/" + b + "/reset", Map.of("to", to, "mode", "hard", "force", true)).statusCode(200);
        branch.head = to;
        branch.working = new TreeMap<>(snapshots.get(to));
        own.add(to);
      }
      check(base, lake, branches, snapshots, log);
    }
  }

  /** Commits {@code b}'s working changes (none: nothing), and records the commit's snapshot in the model. */
  private static void commit(String base, String b, Branch branch, Map<String, Map<Long, String>> snapshots,
      Map<String, List<String>> history, int step) {
    if (branch.working.equals(snapshots.get(branch.head))) {
      return;
    }
    String id = post(base + "/branches/" + b + "/commits", Map.of("message", "step " + step, "all", true))
        .statusCode(201).extract().path("id");
    branch.head = id;
    snapshots.put(id, new TreeMap<>(branch.working));
    history.get(b).add(id);
  }

  /** The reference merge by key: a side's change wins where the other did not change the key; both: the strategy. */
  private static Map<Long, String> threeWay(Map<Long, String> base, Map<Long, String> ours, Map<Long, String> theirs,
      String strategy) {
    Map<Long, String> merged = new TreeMap<>();
    for (long key = 1; key <= KEYS; key++) {
      String b = base.get(key);
      String o = ours.get(key);
      String t = theirs.get(key);
      boolean oursChanged = !java.util.Objects.equals(b, o);
      boolean theirsChanged = !java.util.Objects.equals(b, t);
      String value = !theirsChanged ? o : !oursChanged ? t : strategy.equals("theirs") ? t : o;
      if (value != null) {
        merged.put(key, value);
      }
    }
    return merged;
  }

  /** Every branch reads as the model: through the API (working state, head commit) and its Delta table (Kernel). */
  private static void check(String base, Path lake, Map<String, Branch> branches,
      Map<String, Map<Long, String>> snapshots, List<String> log) throws Exception {
    String steps = String.join("\n", log);
    for (var e : branches.entrySet()) {
      String b = e.getKey();
      Branch branch = e.getValue();
      assertThat(api(base, "ref=" + b + "&working=true")).as("%s working, after:\n%s", b, steps)
          .isEqualTo(branch.working);
      assertThat(api(base, "ref=" + branch.head)).as("%s head %s, after:\n%s", b, branch.head, steps)
          .isEqualTo(snapshots.get(branch.head));
      String location = given().get(base + "/branches/" + b + "/status").then().statusCode(200).extract()
          .path("tables[0].location");
      Path root = location == null || b.equals("main") ? lake.resolve("t") : Path.of(URI.create(location));
      DeltaTable table = DeltaTable.local(root, DeltaTable.defaultEngine());
      Map<Long, String> rows = new TreeMap<>();
      table.rows(table.latest(), List.of("id")).forEach((k, r) -> rows.put((Long) r.get("id"), (String) r.get("v")));
      assertThat(rows).as("%s's Delta table at %s, after:\n%s", b, root, steps).isEqualTo(branch.working);
    }
  }

  private static Map<Long, String> api(String base, String query) throws Exception {
    String ndjson = given().accept("application/x-ndjson").get(base + "/tables/t/rows?" + query).then()
        .statusCode(200).extract().asString();
    Map<Long, String> rows = new TreeMap<>();
    for (String line : ndjson.lines().filter(l -> !l.isBlank()).toList()) {
      JsonNode row = JSON.readTree(line);
      rows.put(row.get("id").asLong(), row.get("v").isNull() ? null : row.get("v").asText());
    }
    return rows;
  }
}
