package io.strata.server.api;

import static io.restassured.RestAssured.given;
import static io.strata.server.api.Api.createRepository;
import static io.strata.server.api.Api.json;
import static io.strata.server.api.Api.post;
import static io.strata.server.api.Api.uniqueName;
import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;
import io.strata.server.TestDatabaseResource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * A table made on a branch against a small model of which branches and commits have it and which rows they hold:
 * random makings, writes, commits, branches created, merges (three-way, fast-forward, into the default branch, which
 * places it), drops (a branch giving it up, the last one taking it out) and hard resets, each checked against the
 * server's reads of every branch, of the table's branches and of a commit.
 */
@QuarkusTest
@WithTestResource(value = TestDatabaseResource.class, scope = TestResourceScope.GLOBAL)
class MadeTableModelTest {
  private static final String ROWS = "/api/v1/repositories/{r}/tables/t/rows";

  /** The table's life: not tracked, made on a branch, placed into the default branch. */
  private enum Life { NONE, MADE, PLACED }

  /**
   * A commit: whether it has the table (of generation {@code generation}), the rows it holds of it, and its first
   * parent when it has one parent (null for the first commit and merge commits).
   */
  private record Commit(boolean has, int generation, Map<Integer, Integer> rows, String parent) {}

  private static final class Branch {
    String head;
    boolean has;
    boolean dirty;
    Map<Integer, Integer> working = new TreeMap<>();
  }

  private static final class Model {
    Life life = Life.NONE;
    int generation;
    final Map<String, Branch> branches = new TreeMap<>();
    final Map<String, Commit> commits = new HashMap<>();
    final List<String> commitOrder = new ArrayList<>();

    boolean has(String commit) {
      Commit c = commits.get(commit);
      return c != null && c.has() && c.generation() == generation && life != Life.NONE;
    }

    Map<Integer, Integer> rows(String commit) {
      return has(commit) ? commits.get(commit).rows() : Map.of();
    }

    void record(String id, String branch) {
      record(id, branch, branches.get(branch).head);
    }

    void record(String id, String branch, String parent) {
      Branch b = branches.get(branch);
      commits.put(id, new Commit(b.has, generation, Map.copyOf(b.working), parent));
      commitOrder.add(id);
      b.head = id;
      b.dirty = false;
    }
  }

  private int placements;
  private int leaves;
  private int untracks;
  private int gainsByMerge;
  private int threeWays;
  private int gainsByPick;
  private int picks;

  @Test
  void randomSequencesAgreeWithTheModel() throws Exception {
    SeededRuns.run("madetables", 3, 60, 20261127L, this::run);
    System.out.printf("MadeTableModelTest: %d placements, %d branches giving it up, %d untracked by the last,"
        + " %d gains by merge, %d three-way merges, %d cherry-picks, %d gains by pick%n", placements, leaves, untracks,
        gainsByMerge, threeWays, picks, gainsByPick);
    assertThat(placements).as("merges that placed the table").isPositive();
    assertThat(leaves).as("branches that gave the table up").isPositive();
    assertThat(untracks).as("drops by the last branch").isPositive();
    assertThat(gainsByMerge).as("branches that got the table by a merge").isPositive();
    assertThat(threeWays).as("three-way merges").isPositive();
    assertThat(picks).as("cherry-picks").isPositive();
  }

  private void run(Random random, int steps, StringBuilder trace) {
    String repo = createRepository(uniqueName("made-model"));
    Model model = new Model();
    model.branches.put("main", new Branch());
    model.record(Api.head(repo, "main"), "main", null);
    for (int step = 0; step < steps; step++) {
      List<String> names = new ArrayList<>(model.branches.keySet());
      String branch = names.get(random.nextInt(names.size()));
      int op = random.nextInt(10);
      if (model.life == Life.NONE || op == 0 && names.size() < 5) {
        if (model.life == Life.NONE && names.size() > 1) {
          make(repo, model, names.stream().filter(n -> !n.equals("main")).toList().get(random.nextInt(
              names.size() - 1)), trace);
        } else {
          createBranch(repo, model, branch, "b" + names.size(), trace);
        }
      } else if (op <= 3) {
        write(repo, model, branch, random, trace);
      } else if (op == 4) {
        commit(repo, model, branch, trace);
      } else if (op <= 7) {
        String source = names.get(random.nextInt(names.size()));
        if (!source.equals(branch)) {
          merge(repo, model, source, branch, trace);
        }
      } else if (op == 8) {
        if (random.nextBoolean()) {
          drop(repo, model, branch, trace);
        } else {
          pick(repo, model, branch, model.commitOrder.get(random.nextInt(model.commitOrder.size())), trace);
        }
      } else if (!branch.equals("main")) {
        String to = model.commitOrder.get(random.nextInt(model.commitOrder.size()));
        reset(repo, model, branch, to, trace);
      }
      check(repo, model, random);
    }
  }

  private void make(String repo, Model model, String branch, StringBuilder trace) {
    trace.append("make on ").append(branch).append('\n');
    String place = uniqueName("t").replace("-", "_");
    post("/api/v1/repositories/" + repo + "/branches/" + branch + "/tables", Map.of("name", "t",
        "location", "postgresql://local/public." + place, "columns", List.of(
            Map.of("name", "id", "type", "integer", "nullable", false), Map.of("name", "v", "type", "integer")),
        "primary_key", List.of("id"))).statusCode(201);
    model.life = Life.MADE;
    model.generation++;
    Branch b = model.branches.get(branch);
    b.has = true;
    b.working = new TreeMap<>();
    model.record(Api.head(repo, branch), branch);
  }

  private void createBranch(String repo, Model model, String from, String name, StringBuilder trace) {
    trace.append("branch ").append(name).append(" from ").append(from).append('\n');
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", name, "from", from)).statusCode(201);
    Branch source = model.branches.get(from);
    Branch b = new Branch();
    b.head = source.head;
    b.has = source.has;
    b.working = new TreeMap<>(model.rows(source.head));
    model.branches.put(name, b);
  }

  private void write(String repo, Model model, String branch, Random random, StringBuilder trace) {
    Branch b = model.branches.get(branch);
    if (!b.has) {
      return;
    }
    int key = 1 + random.nextInt(5);
    if (random.nextInt(4) == 0) {
      trace.append("delete ").append(key).append(" on ").append(branch).append('\n');
      given().delete("/api/v1/repositories/{r}/branches/{b}/tables/t/rows/{k}", repo, branch, key).then()
          .statusCode(b.working.containsKey(key) ? 204 : 404);
      b.dirty |= b.working.remove(key) != null;
    } else {
      int value = random.nextInt(100);
      trace.append("put ").append(key).append('=').append(value).append(" on ").append(branch).append('\n');
      json().body(Map.of("v", value)).put("/api/v1/repositories/{r}/branches/{b}/tables/t/rows/{k}", repo, branch,
          key).then().statusCode(200);
      b.working.put(key, value);
      b.dirty = true;
    }
  }

  private void commit(String repo, Model model, String branch, StringBuilder trace) {
    trace.append("commit ").append(branch).append('\n');
    String id = json().body(Map.of("message", "step", "all", true, "allow_empty", true))
        .post("/api/v1/repositories/{r}/branches/{b}/commits", repo, branch).then().statusCode(201)
        .extract().path("id");
    model.record(id, branch);
  }

  private void merge(String repo, Model model, String source, String target, StringBuilder trace) {
    Branch t = model.branches.get(target);
    if (t.dirty) {
      commit(repo, model, target, trace);
    }
    Branch s = model.branches.get(source);
    trace.append("merge ").append(source).append(" into ").append(target).append('\n');
    Response response = json().body(Map.of("source", source, "strategy", "theirs"))
        .post("/api/v1/repositories/{r}/branches/{b}/merge", repo, target);
    boolean placing = target.equals("main") && model.life == Life.MADE && model.has(s.head);
    if (response.statusCode() == 422 && target.equals("main") && model.life == Life.MADE && !placing) {
      // rows of the table reaching the default branch without the table: refused, nothing changed
      trace.append("  refused: ").append(response.jsonPath().getString("message")).append('\n');
      return;
    }
    assertThat(response.statusCode()).as("merge %s into %s: %s", source, target, response.asString())
        .isEqualTo(200);
    JsonPath answer = response.jsonPath();
    if (answer.getBoolean("up_to_date")) {
      return;
    }
    String base = answer.getString("merge_base");
    String head = answer.getString("commit");
    Map<Integer, Integer> ours = model.rows(t.head);
    Map<Integer, Integer> theirs = model.rows(s.head);
    boolean gains = model.life == Life.MADE && !t.has && model.has(s.head);
    Map<Integer, Integer> merged;
    if (answer.getBoolean("fast_forward")) {
      merged = theirs;
    } else {
      threeWays++;
      merged = threeWay(model.rows(base), ours, theirs);
      gains |= model.life == Life.MADE && !t.has && !merged.equals(ours);
    }
    if (placing) {
      placements++;
      model.life = Life.PLACED;
      model.branches.forEach((name, b) -> {
        if (!b.has) {
          b.has = true;
          b.working = new TreeMap<>(); // a branch made before reads it as at its fork: empty
        }
      });
    }
    if (gains && !target.equals("main")) {
      gainsByMerge++;
      t.has = true;
    }
    t.working = new TreeMap<>(merged);
    if (answer.getBoolean("fast_forward")) {
      t.head = head;
      t.dirty = false;
    } else {
      model.record(head, target, null); // a merge commit: not picked (it needs a mainline)
    }
  }

  /** Cherry-picks {@code commit} (one parent) onto {@code target}, three ways against its parent, theirs winning. */
  private void pick(String repo, Model model, String target, String commit, StringBuilder trace) {
    Commit picked = model.commits.get(commit);
    if (picked.parent() == null) {
      return;
    }
    Branch t = model.branches.get(target);
    if (t.dirty) {
      commit(repo, model, target, trace);
    }
    trace.append("cherry-pick ").append(commit).append(" onto ").append(target).append('\n');
    Map<Integer, Integer> ours = model.rows(t.head);
    Map<Integer, Integer> merged = threeWay(model.rows(picked.parent()), ours, model.rows(commit));
    Response response = json().body(Map.of("commit", commit, "strategy", "theirs", "allow_empty", true))
        .post("/api/v1/repositories/{r}/branches/{b}/cherry-pick", repo, target);
    if (target.equals("main") && model.life == Life.MADE && !merged.equals(ours)) {
      // rows of a table the default branch does not have: only a merge brings them
      assertThat(response.statusCode()).as("pick onto main: %s", response.asString()).isEqualTo(422);
      return;
    }
    assertThat(response.statusCode()).as("pick %s onto %s: %s", commit, target, response.asString()).isEqualTo(201);
    picks++;
    if (model.life == Life.MADE && !t.has && !merged.equals(ours)) {
      gainsByPick++;
      t.has = true;
    }
    t.working = new TreeMap<>(merged);
    model.record(response.jsonPath().getString("commit.id"), target);
  }

  /** Per key: theirs where it changed since the base, else ours. */
  private static Map<Integer, Integer> threeWay(Map<Integer, Integer> base, Map<Integer, Integer> ours,
      Map<Integer, Integer> theirs) {
    Map<Integer, Integer> merged = new TreeMap<>(ours);
    for (int key = 1; key <= 5; key++) {
      Integer b = base.get(key);
      Integer th = theirs.get(key);
      if (!java.util.Objects.equals(b, th)) {
        if (th == null) {
          merged.remove(key);
        } else {
          merged.put(key, th);
        }
      }
    }
    return merged;
  }

  private void drop(String repo, Model model, String branch, StringBuilder trace) {
    Branch b = model.branches.get(branch);
    if (model.life != Life.MADE || branch.equals("main") || !b.has) {
      return;
    }
    long sharing = model.branches.values().stream().filter(x -> x.has).count();
    trace.append("drop on ").append(branch).append(sharing > 1 ? " (others keep it)" : " (the last)").append('\n');
    given().delete("/api/v1/repositories/{r}/branches/{b}/tables/t", repo, branch).then().statusCode(204);
    if (sharing > 1) {
      leaves++;
      b.has = false;
      b.working = new TreeMap<>();
      model.record(Api.head(repo, branch), branch);
    } else {
      untracks++;
      model.life = Life.NONE;
      model.branches.values().forEach(x -> {
        x.has = false;
        x.working = new TreeMap<>();
      });
      b.head = Api.head(repo, branch);
      model.commits.put(b.head, new Commit(false, model.generation, Map.of(), null));
      model.commitOrder.add(b.head);
      b.dirty = false;
    }
  }

  private void reset(String repo, Model model, String branch, String to, StringBuilder trace) {
    Branch b = model.branches.get(branch);
    trace.append("reset ").append(branch).append(" to ").append(to).append('\n');
    json().body(Map.of("to", to, "mode", "hard")).post("/api/v1/repositories/{r}/branches/{b}/reset", repo, branch)
        .then().statusCode(200);
    if (model.life == Life.MADE && model.has(to)) {
      b.has = true;
    }
    b.head = to;
    b.dirty = false;
    b.working = new TreeMap<>(model.rows(to));
  }

  private void check(String repo, Model model, Random random) {
    for (Map.Entry<String, Branch> e : model.branches.entrySet()) {
      Response read = given().queryParam("ref", e.getKey()).queryParam("working", true).get(ROWS, repo);
      if (model.life == Life.NONE || !e.getValue().has) {
        assertThat(read.statusCode()).as("%s reads the table it does not have: %s", e.getKey(), read.asString())
            .isEqualTo(404);
      } else {
        assertThat(read.statusCode()).as("%s reads the table: %s", e.getKey(), read.asString()).isEqualTo(200);
        assertThat(rowsOf(read.jsonPath())).as("rows of %s", e.getKey()).isEqualTo(e.getValue().working);
      }
    }
    for (Map.Entry<String, Branch> e : model.branches.entrySet()) {
      Response committed = given().queryParam("ref", e.getKey()).get(ROWS, repo);
      String head = e.getValue().head;
      if (model.has(head) || model.life == Life.PLACED) {
        assertThat(committed.statusCode()).as("%s's head reads the table: %s", e.getKey(), committed.asString())
            .isEqualTo(200);
        assertThat(rowsOf(committed.jsonPath())).as("rows at the head of %s", e.getKey()).isEqualTo(model.rows(head));
      } else {
        assertThat(committed.statusCode()).as("%s's head lacks the table: %s", e.getKey(), committed.asString())
            .isEqualTo(404);
      }
    }
    Response table = given().get("/api/v1/repositories/{r}/tables/t", repo);
    switch (model.life) {
      case NONE -> assertThat(table.statusCode()).isEqualTo(404);
      case PLACED -> assertThat(table.jsonPath().getMap("made")).isNull();
      case MADE -> assertThat(table.jsonPath().getList("made.branches", String.class)).as("the table's branches")
          .isEqualTo(model.branches.entrySet().stream().filter(x -> x.getValue().has).map(Map.Entry::getKey)
              .toList());
    }
    String commit = model.commitOrder.get(random.nextInt(model.commitOrder.size()));
    Response atCommit = given().queryParam("ref", commit).get(ROWS, repo);
    // placed, it reads empty at a commit made where it was not (as a table at a commit before it was tracked)
    if (model.has(commit) || model.life == Life.PLACED) {
      assertThat(atCommit.statusCode()).as("commit %s has the table: %s", commit, atCommit.asString())
          .isEqualTo(200);
      assertThat(rowsOf(atCommit.jsonPath())).as("rows at %s", commit).isEqualTo(model.rows(commit));
    } else {
      assertThat(atCommit.statusCode()).as("commit %s lacks the table: %s", commit, atCommit.asString())
          .isEqualTo(404);
    }
  }

  private static Map<Integer, Integer> rowsOf(JsonPath page) {
    Map<Integer, Integer> rows = new TreeMap<>();
    List<Map<String, Object>> items = page.getList("items");
    for (Map<String, Object> item : items) {
      rows.put((Integer) item.get("id"), (Integer) item.get("v"));
    }
    return rows;
  }
}
