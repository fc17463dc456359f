package io.strata.server.api;

import static io.restassured.RestAssured.given;
import static io.strata.server.api.Api.createRepository;
import static io.strata.server.api.Api.head;
import static io.strata.server.api.Api.post;
import static io.strata.server.api.Api.rows;
import static io.strata.server.api.Api.sql;
import static io.strata.server.api.Api.uniqueName;
import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import io.strata.server.TestDatabaseResource;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The promotion gate over HTTP: every write operation of the server's own /openapi.json, sent against branches a
 * promotion policy gates, is refused with 409 BranchGated and changes nothing (heads, rows, working states, the
 * event log) — or is one the table below says changes no branch, or only continues an operation the gate let
 * start. An operation the document has and the tables lack fails the test: a new write needs its answer. An
 * admin's override goes through and is recorded before the change's own events.
 */
@QuarkusTest
@WithTestResource(value = TestDatabaseResource.class, scope = TestResourceScope.GLOBAL)
class PromotionGateTest {
  private static final String R = "/api/v1/repositories/{repo}";
  private static final String B = R + "/branches/{branch}";

  /** Write operations that change no branch, or continue what the gate let start; why. */
  static final Map<String, String> NOT_GATED = new LinkedHashMap<>();

  static {
    NOT_GATED.put("POST /api/v1/admin/projections/rebuild", "rebuilds projections from the log: no branch changes");
    NOT_GATED.put("POST /api/v1/repositories", "a new repository");
    NOT_GATED.put("POST " + B + "/merge/abort", "ends a merge the gate let start");
    NOT_GATED.put("POST " + B + "/merge/continue", "concludes a merge the gate let start");
    NOT_GATED.put("POST " + B + "/merge/resolutions", "resolves a merge the gate let start");
    NOT_GATED.put("POST " + B + "/rebase/abort", "ends a rebase the gate let start");
    NOT_GATED.put("POST " + B + "/rebase/continue", "continues a rebase the gate let start");
    NOT_GATED.put("POST " + B + "/rebase/skip", "continues a rebase the gate let start");
    NOT_GATED.put("DELETE " + B + "/stash/{n}", "drops a stash: the branch is unchanged");
    NOT_GATED.put("PUT " + R + "/promotion-policy", "the policy itself: an admin's, recorded");
    NOT_GATED.put("POST " + R + "/promotion-policy/validate", "changes nothing");
    NOT_GATED.put("POST " + R + "/query", "read-only");
    NOT_GATED.put("POST " + R + "/promotions", "opens a request: its preview branch is the server's own");
    for (String action : List.of("evaluate", "checks/run", "check-runs", "approvals", "reject")) {
      NOT_GATED.put("POST " + R + "/promotions/{number}/" + action, "the request's own record and preview");
    }
    NOT_GATED.put("POST " + R + "/promotions/{number}/merge", "the one way in: the gate lets an approved request's"
        + " merge through (PromotionRequestTest)");
    NOT_GATED.put("POST " + R + "/promotions/{number}/verify", "the way out: the gate lets the rollback of a merged"
        + " request whose verification failed through (PromotionRequestTest)");
    NOT_GATED.put("POST " + R + "/storage", "storages are no branch's");
    NOT_GATED.put("DELETE " + R + "/storage/{name}", "storages are no branch's");
    NOT_GATED.put("POST " + R + "/tables/{table}/schema/record", "records DDL made to the live table as it happened");
    NOT_GATED.put("POST " + R + "/tags", "tags move no branch");
    NOT_GATED.put("DELETE " + R + "/tags/{tag}", "tags move no branch");
    NOT_GATED.put("POST /api/v1/tokens", "not a repository's");
    NOT_GATED.put("DELETE /api/v1/tokens/{id}", "not a repository's");
    NOT_GATED.put("POST /api/v1/webhooks", "not a repository's");
    NOT_GATED.put("PATCH /api/v1/webhooks/{id}", "not a repository's");
    NOT_GATED.put("DELETE /api/v1/webhooks/{id}", "not a repository's");
    NOT_GATED.put("POST /api/v1/webhooks/{id}/deliveries/{delivery}/redeliver", "not a repository's");
    NOT_GATED.put("POST /api/v1/webhooks/{id}/redeliver", "not a repository's");
  }

  @Inject Pool pool;

  /** A request of the gated set: which branch (of the fixture) it goes to, and its body. */
  private record Call(String branch, Object body) {}

  @Test
  void everyWriteOperationIsRefusedOnAGatedBranchAndChangesNothing() throws Exception {
    String repo = createRepository(uniqueName("gate"));
    String table = "gate_" + uniqueName("t").substring(2).replace("-", "_");
    sql(pool, "create table public." + table + " (id int primary key, v int)");
    sql(pool, "insert into public." + table + " select g, g from generate_series(1, 5) g");
    post("/api/v1/repositories/" + repo + "/tables", Map.of("name", "t", "location", "postgresql://local/public."
        + table)).statusCode(201);
    // production: flagged protected, clean, with a commit of its own; staging: working changes; release/1: a stash
    // and a table made on it; dev: a commit to merge, pick and rebase onto
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "production", "protected", true)).statusCode(201);
    for (String b : List.of("staging", "release/1", "dev")) {
      post("/api/v1/repositories/" + repo + "/branches", Map.of("name", b)).statusCode(201);
    }
    sql(pool, "update " + Api.view(repo, "production", "t") + " set v = 10 where id = 1");
    String productionCommit = commit(repo, "production", "production's own");
    sql(pool, "update " + Api.view(repo, "dev", "t") + " set v = 20 where id = 2");
    String devCommit = commit(repo, "dev", "dev's");
    sql(pool, "update " + Api.view(repo, "release/1", "t") + " set v = 30 where id = 3");
    Api.json().urlEncodingEnabled(false).body(Map.of()).post(R.replace("{repo}", repo) + "/branches/release%2F1/stash").then().statusCode(201);
    Api.json().urlEncodingEnabled(false).body(Map.of("name", "made", "columns", List.of(Map.of("name", "id", "type", "integer")),
            "primary_key", List.of("id")))
        .post(R.replace("{repo}", repo) + "/branches/release%2F1/tables").then().statusCode(201);
    sql(pool, "update " + Api.view(repo, "staging", "t") + " set v = 40 where id = 4");
    Api.json().body(Map.of("tables", List.of("t"))).post(R.replace("{repo}", repo) + "/branches/staging/stage")
        .then().statusCode(200);
    sql(pool, "update " + Api.view(repo, "staging", "t") + " set v = 41 where id = 5");

    setPolicy(repo, Map.of("version", 1, "protected_branches", List.of("production", "staging", "release/*"),
        "paths", List.of(Map.of("source", "dev", "target", "staging"), Map.of("source", "staging",
            "target", "production"))));

    Map<String, Call> gated = new LinkedHashMap<>();
    gated.put("POST " + R + "/branches", new Call("release/2", Map.of("name", "release/2")));
    gated.put("PATCH " + B, new Call("production", Map.of("protected", false)));
    gated.put("DELETE " + B, new Call("staging", null));
    gated.put("POST " + B + "/cherry-pick", new Call("production", Map.of("commit", devCommit)));
    gated.put("POST " + B + "/commits", new Call("production", Map.of("message", "direct", "allow_empty", true)));
    gated.put("POST " + B + "/merge", new Call("production", Map.of("source", "dev")));
    gated.put("POST " + B + "/rebase", new Call("production", Map.of("onto", "dev")));
    gated.put("POST " + B + "/reset", new Call("production", Map.of("to", "main", "mode", "hard", "force", true)));
    gated.put("POST " + B + "/revert", new Call("production", Map.of("commit", productionCommit)));
    gated.put("POST " + B + "/stage", new Call("staging", Map.of()));
    gated.put("POST " + B + "/unstage", new Call("staging", Map.of()));
    gated.put("DELETE " + B + "/working", new Call("staging", Map.of()));
    gated.put("POST " + B + "/stash", new Call("staging", Map.of()));
    gated.put("POST " + B + "/stash/{n}/apply", new Call("release/1", Map.of()));
    gated.put("POST " + B + "/stash/{n}/pop", new Call("release/1", Map.of()));
    gated.put("POST " + B + "/tables", new Call("production", Map.of("name", "other",
        "columns", List.of(Map.of("name", "id", "type", "integer")), "primary_key", List.of("id"))));
    gated.put("DELETE " + B + "/tables/{table}", new Call("release/1", null));
    gated.put("PUT " + B + "/tables/{table}/rows/{key}", new Call("production", Map.of("v", 99)));
    gated.put("PATCH " + B + "/tables/{table}/rows/{key}", new Call("production", Map.of("v", 99)));
    gated.put("DELETE " + B + "/tables/{table}/rows/{key}", new Call("production", null));
    gated.put("POST " + B + "/tables/{table}/rows:batch", new Call("production",
        List.of(Map.of("op", "upsert", "row", Map.of("id", 77, "v", 7)))));
    gated.put("POST " + B + "/tables/{table}/schema", new Call("production", Map.of("operations",
        List.of(Map.of("op", "add_column", "name", "extra", "type", "integer")))));
    // the repository's: deleting it deletes its gated branches; the default branch is not gated here (below)
    gated.put("DELETE " + R, new Call(null, null));
    gated.put("POST " + R + "/tables", new Call("main", null));
    gated.put("DELETE " + R + "/tables/{table}", new Call("main", null));

    // every write operation the server documents is in one table or the other
    Set<String> writes = new TreeSet<>();
    Map<String, Object> paths = given().get("/openapi?format=json").then().statusCode(200).extract().path("paths");
    paths.forEach((path, item) -> ((Map<String, Object>) item).keySet().stream()
        .filter(m -> Set.of("post", "put", "patch", "delete").contains(m))
        .forEach(m -> writes.add(m.toUpperCase() + " " + path)));
    Set<String> classified = new TreeSet<>(gated.keySet());
    classified.addAll(NOT_GATED.keySet());
    assertThat(writes).as("write operations and the gate's tables").isEqualTo(classified);

    String before = state(repo);
    List<String> wrong = new ArrayList<>();
    for (Map.Entry<String, Call> e : gated.entrySet()) {
      String[] op = e.getKey().split(" ", 2);
      Call call = e.getValue();
      if (call.branch() != null && call.branch().equals("main")) {
        continue; // the default branch's operations: gated when it is (aGatedDefaultBranchRefusesTracking)
      }
      String path = op[1].replace("{repo}", repo)
          .replace("{branch}", call.branch() == null ? "" : call.branch().replace("/", "%2F"))
          .replace("{n}", "0").replace("{key}", "1")
          .replace("{table}", op[1].endsWith("/tables/{table}") && call.branch() != null
              && call.branch().equals("release/1") ? "made" : "t");
      var request = Api.json().urlEncodingEnabled(false);
      if (op[0].equals("DELETE") && op[1].equals(R)) {
        request = request.queryParam("force", true);
      }
      if (call.body() != null) {
        request = request.body(call.body());
      }
      Response r = request.request(op[0], path);
      String error = r.statusCode() >= 400 ? r.jsonPath().getString("error") : null;
      if (r.statusCode() != 409 || !"BranchGated".equals(error)) {
        wrong.add(e.getKey() + " on " + call.branch() + ": " + r.statusCode() + " " + r.asString());
      }
    }
    assertThat(wrong).as("operations a gated branch did not refuse").isEmpty();
    // SQL through a gated branch's view is refused in the database itself
    for (String b : List.of("production", "staging")) {
      String view = Api.view(repo, b, "t");
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> sql(pool, "update " + view + " set v = 99 where id = 2"))
          .hasMessageContaining("protected by its promotion policy");
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> sql(pool, "insert into " + view + " values (42, 42)"))
          .hasMessageContaining("protected by its promotion policy");
    }
    assertThat(state(repo)).as("heads, rows, working states and the log, unchanged").isEqualTo(before);
    sql(pool, "update " + Api.view(repo, "dev", "t") + " set v = 98 where id = 2"); // an ungated branch takes it

    // unprotected branches work as before; an admin's override goes through, recorded before the change
    sql(pool, "update " + Api.view(repo, "dev", "t") + " set v = 21 where id = 2");
    commit(repo, "dev", "dev again");
    Api.json().header("Strata-Gate-Override", "hotfix for incident OPS-42")
        .body(Map.of("message", "hotfix", "allow_empty", true))
        .post(R.replace("{repo}", repo) + "/branches/production/commits").then().statusCode(201);
    List<Map<String, Object>> events = given().queryParam("limit", 1000).get(R + "/events", repo).then()
        .statusCode(200).extract().path("items");
    Map<String, Object> overridden = events.get(events.size() - 2);
    assertThat(overridden.get("type")).isEqualTo("io.strata.promotion.gate_overridden.v1");
    assertThat((Map<String, Object>) overridden.get("data")).containsEntry("branch", "production")
        .containsEntry("operation", "commit").containsEntry("reason", "hotfix for incident OPS-42");
    assertThat(events.get(events.size() - 1).get("type")).isEqualTo("io.strata.commit.created.v4");
    // an override where the gate would not refuse records nothing
    int count = events.size();
    Api.json().header("Strata-Gate-Override", "not needed").body(Map.of("message", "x", "allow_empty", true))
        .post(R.replace("{repo}", repo) + "/branches/dev/commits").then().statusCode(201);
    List<String> types = given().queryParam("limit", 1000).get(R + "/events", repo).then().extract().path("items.type");
    assertThat(types).hasSize(count + 1);
    // direct changes allowed again: the view takes writes
    setPolicy(repo, Map.of("version", 1, "protected_branches", List.of("production", "staging", "release/*"),
        "direct_changes", "allow"));
    sql(pool, "update " + Api.view(repo, "staging", "t") + " set v = 77 where id = 3");
    setPolicy(repo, Map.of("version", 1, "protected_branches", List.of("production", "staging", "release/*")));
    // a bad override header changes nothing
    Api.json().header("Strata-Gate-Override", "x".repeat(501)).body(Map.of("message", "x", "allow_empty", true))
        .post(R.replace("{repo}", repo) + "/branches/production/commits").then().statusCode(400)
        .body("details.header", org.hamcrest.Matchers.equalTo("Strata-Gate-Override"));
  }

  @Test
  void aGatedDefaultBranchRefusesTrackingAndDirectWritesButNotMergesInProgressOrOthers() throws Exception {
    String repo = createRepository(uniqueName("gate-main"));
    String table = "gm_" + uniqueName("t").substring(2).replace("-", "_");
    sql(pool, "create table public." + table + " (id int primary key, v int)");
    sql(pool, "insert into public." + table + " values (1, 1)");
    post("/api/v1/repositories/" + repo + "/tables", Map.of("name", "t", "location", "postgresql://local/public."
        + table)).statusCode(201);
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "dev")).statusCode(201);
    setPolicy(repo, Map.of("version", 1, "protected_branches", List.of("main")));
    String other = "gm2_" + uniqueName("t").substring(2).replace("-", "_");
    sql(pool, "create table public." + other + " (id int primary key)");
    post("/api/v1/repositories/" + repo + "/tables", Map.of("name", "u", "location", "postgresql://local/public."
        + other)).statusCode(409).body("error", org.hamcrest.Matchers.equalTo("BranchGated"))
        .body("details.operation", org.hamcrest.Matchers.equalTo("track_table"));
    given().delete(R + "/tables/t", repo).then().statusCode(409)
        .body("details.operation", org.hamcrest.Matchers.equalTo("untrack_table"));
    Api.json().body(Map.of("v", 5)).put(B.replace("{branch}", "main") + "/tables/t/rows/1", repo).then()
        .statusCode(409).body("details.operation", org.hamcrest.Matchers.equalTo("write"));
    assertThat(rows(pool, "select v::text from public." + table)).containsExactly("1");
    // a branch of it is another branch
    Api.json().body(Map.of("v", 5)).put(B.replace("{branch}", "dev") + "/tables/t/rows/1", repo).then()
        .statusCode(200);
    // the policy off (direct changes allowed): the same write goes through
    setPolicy(repo, Map.of("version", 1, "protected_branches", List.of("main"), "direct_changes", "allow"));
    Api.json().body(Map.of("v", 6)).put(B.replace("{branch}", "main") + "/tables/t/rows/1", repo).then()
        .statusCode(200);
    assertThat(rows(pool, "select v::text from public." + table)).containsExactly("6");
  }

  static void setPolicy(String repo, Map<String, Object> policy) {
    Api.json().body(policy).put(R.replace("{repo}", repo) + "/promotion-policy").then().statusCode(200);
  }

  private static String commit(String repo, String branch, String message) {
    return Api.json().urlEncodingEnabled(false).body(Map.of("message", message, "all", true))
        .post(R.replace("{repo}", repo) + "/branches/" + branch.replace("/", "%2F") + "/commits")
        .then().statusCode(201).extract().path("id");
  }

  /** Everything a change could touch: each branch's head and status, the table's rows, and the log's length. */
  private String state(String repo) {
    StringBuilder s = new StringBuilder();
    List<Map<String, Object>> branches = given().get(R + "/branches", repo).then().statusCode(200).extract()
        .path("items");
    for (Map<String, Object> b : branches) {
      String name = (String) b.get("name");
      s.append(name).append(' ').append(b.get("head")).append(' ').append(b.get("protected")).append('\n');
      s.append(given().urlEncodingEnabled(false).get(R.replace("{repo}", repo) + "/branches/"
          + name.replace("/", "%2F") + "/status").then().statusCode(200).extract().asString()).append('\n');
      s.append(given().urlEncodingEnabled(false).queryParam("ref", name.replace("/", "%2F"))
          .queryParam("working", true).get(R.replace("{repo}", repo)
          + "/tables/t/rows").then().extract().asString()).append('\n');
    }
    s.append(given().urlEncodingEnabled(false).get(R.replace("{repo}", repo) + "/branches/release%2F1/stash").then()
        .statusCode(200).extract().asString());
    s.append(given().queryParam("limit", 1000).get(R + "/events", repo).then().extract().path("items.size()")
        .toString());
    return s.toString();
  }
}
