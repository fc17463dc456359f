package io.strata.server.api;

import static io.restassured.RestAssured.given;
import static io.strata.server.api.Api.createRepository;
import static io.strata.server.api.Api.head;
import static io.strata.server.api.Api.post;
import static io.strata.server.api.Api.rows;
import static io.strata.server.api.Api.sql;
import static io.strata.server.api.Api.uniqueName;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.response.ValidatableResponse;
import io.strata.events.TableTracked;
import io.strata.projections.postgres.TableCatalog;
import io.strata.server.TestDatabaseResource;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Rebases through the API: a branch's commits replayed on top of another (new ids, same messages and
 * authors), the first conflict stopping it with a rebase in progress (continue, skip, abort), abort
 * restoring the branch exactly, fast-forwards and up-to-date rebases, and bad input refused.
 */
@QuarkusTest
@WithTestResource(value = TestDatabaseResource.class, scope = TestResourceScope.GLOBAL)
class RebaseTest {
  @Inject Pool pool;

  static {
    RestAssured.enableLoggingOfRequestAndResponseIfValidationFails();
  }

  private static void commitAll(String repo, String branch, String message) {
    Api.json().body(Map.of("message", message, "all", true, "author", Map.of("name", "Grace", "email", "g@x.example")))
        .post("/api/v1/repositories/{r}/branches/{b}/commits", repo, branch).then().statusCode(201);
  }

  private static ValidatableResponse rebase(String repo, String branch, Map<String, Object> body) {
    return Api.json().body(body).post("/api/v1/repositories/{r}/branches/{b}/rebase", repo, branch).then();
  }

  private static ValidatableResponse step(String repo, String branch, String what) {
    return Api.json().body(Map.of()).post("/api/v1/repositories/{r}/branches/{b}/rebase/" + what, repo, branch).then();
  }

  private static List<Map<String, Object>> log(String repo, String ref, int n) {
    return given().queryParam("ref", ref).queryParam("first_parent", true).queryParam("limit", n)
        .get("/api/v1/repositories/{r}/commits", repo).then().statusCode(200).extract().jsonPath().getList("items");
  }

  /** main: rows 1–5; dev from main: d1 (row 1), d2 (row 2); then main: m1 (row 5). */
  private String repository(String table) throws Exception {
    String repo = createRepository(uniqueName("rebase"));
    sql(pool, "create table public." + table + " (id int primary key, v text not null)");
    sql(pool, "insert into public." + table + " select g, 'v' || g from generate_series(1, 5) g");
    post("/api/v1/repositories/" + repo + "/tables", Map.of("name", "t", "location", "postgresql://local/public."
        + table)).statusCode(201);
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "dev")).statusCode(201);
    String view = Api.view(repo, "dev", "t");
    sql(pool, "update " + view + " set v = 'd1' where id = 1");
    commitAll(repo, "dev", "d1");
    sql(pool, "update " + view + " set v = 'd2' where id = 2");
    commitAll(repo, "dev", "d2");
    sql(pool, "update public." + table + " set v = 'm1' where id = 5");
    commitAll(repo, "main", "m1");
    return repo;
  }

  /** The content hash commit {@code id} recorded for table t. */
  private static String contentHashOf(String repo, String id) {
    return given().get("/api/v1/repositories/{r}/commits/{c}", repo, id).then().statusCode(200)
        .extract().path("changes.find { it.table == 't' }.content_hash");
  }

  /** The content hash of dev's t as it is now, measured from its rows. */
  private String measuredDev(String repo) {
    var m = pool.query("select count(*), coalesce(sum(" + TableCatalog.rowHash("x::text") + "), 0)::text from "
        + Api.view(repo, "dev", "t") + " x").execute().await().atMost(Duration.ofSeconds(10)).iterator().next();
    return TableTracked.contentHash(m.getLong(0), m.getString(1));
  }

  private List<String> dev(String repo) {
    return rows(pool, "select id || ':' || v from " + Api.view(repo, "dev", "t") + " order by id");
  }

  @Test
  void theBranchsCommitsAreReplayedOnTopWithTheirMessagesAndAuthors() throws Exception {
    String repo = repository("rebase_a");
    String oldD2 = head(repo, "dev");
    String main = head(repo, "main");
    rebase(repo, "dev", Map.of("onto", "main")).statusCode(200).body("rebase_in_progress", equalTo(false))
        .body("replayed", equalTo(2)).body("onto_commit", equalTo(main));
    assertThat(dev(repo)).containsExactly("1:d1", "2:d2", "3:v3", "4:v4", "5:m1");
    List<Map<String, Object>> log = log(repo, "dev", 3);
    assertThat(log).extracting(c -> c.get("message")).containsExactly("d2", "d1", "m1");
    assertThat(log.get(1).get("parents")).isEqualTo(List.of(main));
    assertThat(log.get(0).get("id")).isNotEqualTo(oldD2);
    assertThat(log.stream().map(c -> String.valueOf(((Map<?, ?>) c.get("author")).get("name"))).toList())
        .containsExactly("Grace", "Grace", "Grace");
    given().get("/api/v1/repositories/{r}/commits/{c}", repo, oldD2).then().statusCode(200);
    given().get("/api/v1/repositories/{r}/branches/dev/status", repo).then().body("clean", equalTo(true));
    // the replayed commits record the branch's content (the second starts from the first's, kept by the
    // server), and so does a commit after them
    assertThat(contentHashOf(repo, head(repo, "dev"))).isEqualTo(measuredDev(repo));
    sql(pool, "insert into " + Api.view(repo, "dev", "t") + " values (6, 'd3')");
    commitAll(repo, "dev", "d3");
    assertThat(contentHashOf(repo, head(repo, "dev"))).isEqualTo(measuredDev(repo));
    // dev now merges into main as a fast-forward
    Api.json().body(Map.of("source", "dev")).post("/api/v1/repositories/{r}/branches/main/merge", repo).then()
        .statusCode(200).body("fast_forward", equalTo(true)).body("strategy", equalTo("fast_forward"));
  }

  @Test
  void aConflictStopsTheRebaseAndContinueSkipAndAbortEndIt() throws Exception {
    String repo = repository("rebase_b");
    sql(pool, "update public.rebase_b set v = 'main' where id = 1");
    commitAll(repo, "main", "m2");
    String devHead = head(repo, "dev");
    List<String> devRows = dev(repo);

    // abort: the branch is back exactly
    rebase(repo, "dev", Map.of("onto", "main")).statusCode(409).body("error", equalTo("MergeConflict"));
    given().get("/api/v1/repositories/{r}/branches/dev/rebase", repo).then().statusCode(200)
        .body("rebase_in_progress", equalTo(true)).body("done", equalTo(0)).body("commits.size()", equalTo(2));
    Api.json().body(Map.of("source", "main")).post("/api/v1/repositories/{r}/branches/dev/merge", repo).then()
        .statusCode(409);
    // merge/abort does not end half a rebase: 409 naming the rebase, and nothing changes
    String events = "select count(*) from strata_meta.events where stream_id = '" + repo + "'";
    long before = Api.count(pool, events);
    Api.json().post("/api/v1/repositories/{r}/branches/dev/merge/abort", repo).then().statusCode(409)
        .body("error", equalTo("RebaseInProgress")).body("message", containsString("rebase/abort"))
        .body("details.onto", equalTo("main"));
    assertThat(Api.count(pool, events)).isEqualTo(before);
    given().get("/api/v1/repositories/{r}/branches/dev/merge", repo).then().statusCode(200)
        .body("merge_in_progress", equalTo(true));
    step(repo, "dev", "abort").statusCode(204);
    assertThat(head(repo, "dev")).isEqualTo(devHead);
    assertThat(dev(repo)).isEqualTo(devRows);
    given().get("/api/v1/repositories/{r}/branches/dev/status", repo).then().body("clean", equalTo(true))
        .body("merge_in_progress", equalTo(false));
    given().get("/api/v1/repositories/{r}/branches/dev/rebase", repo).then().body("rebase_in_progress", equalTo(false));

    // continue: the conflict resolved to the branch's side, the rest replayed
    rebase(repo, "dev", Map.of("onto", "main")).statusCode(409);
    Api.json().body(Map.of("take", "theirs")).post("/api/v1/repositories/{r}/branches/dev/merge/resolutions", repo)
        .then().statusCode(200);
    step(repo, "dev", "continue").statusCode(200).body("rebase_in_progress", equalTo(false));
    assertThat(dev(repo)).containsExactly("1:d1", "2:d2", "3:v3", "4:v4", "5:m1");
    assertThat(log(repo, "dev", 4)).extracting(c -> c.get("message")).containsExactly("d2", "d1", "m2", "m1");

    // skip: the conflicting commit is dropped
    step(repo, "dev", "skip").statusCode(409).body("error", equalTo("NoRebaseInProgress"));
    step(repo, "dev", "abort").statusCode(409);
    sql(pool, "update " + Api.view(repo, "dev", "t") + " set v = 'again' where id = 1");
    commitAll(repo, "dev", "d3");
    sql(pool, "update public.rebase_b set v = 'main again' where id = 1");
    commitAll(repo, "main", "m3");
    // d1 (replayed before) and d3 both change row 1, as main did: each stops the rebase, each is skipped
    rebase(repo, "dev", Map.of("onto", "main")).statusCode(409);
    step(repo, "dev", "skip").statusCode(409).body("error", equalTo("MergeConflict"));
    given().get("/api/v1/repositories/{r}/branches/dev/rebase", repo).then().body("done", equalTo(2));
    step(repo, "dev", "skip").statusCode(200).body("rebase_in_progress", equalTo(false));
    assertThat(log(repo, "dev", 2)).extracting(c -> c.get("message")).containsExactly("d2", "m3");
    assertThat(dev(repo)).containsExactly("1:main again", "2:d2", "3:v3", "4:v4", "5:m1");
  }

  @Test
  void upToDateFastForwardAndBadInput() throws Exception {
    String repo = repository("rebase_c");
    String devHead = head(repo, "dev");
    rebase(repo, "dev", Map.of("onto", "dev~1")).statusCode(200).body("head", equalTo(devHead));
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "behind", "from", "main~1")).statusCode(201);
    rebase(repo, "behind", Map.of("onto", "main")).statusCode(200).body("head", equalTo(head(repo, "main")));
    given().get("/api/v1/repositories/{r}/commits?ref=behind&limit=1", repo).then()
        .body("items[0].message", equalTo("m1"));

    rebase(repo, "dev", Map.of("onto", "dev")).statusCode(422);
    rebase(repo, "dev", Map.of()).statusCode(422);
    rebase(repo, "dev", Map.of("onto", "nope")).statusCode(404);
    rebase(repo, "nobranch", Map.of("onto", "main")).statusCode(404);
    step(repo, "dev", "continue").statusCode(409).body("error", equalTo("NoRebaseInProgress"));
    sql(pool, "update " + Api.view(repo, "dev", "t") + " set v = 'working' where id = 3");
    rebase(repo, "dev", Map.of("onto", "main")).statusCode(409).body("error", equalTo("WorkingChangesPresent"));
    assertThat(head(repo, "dev")).isEqualTo(devHead);
    given().get("/api/v1/repositories/{r}/branches/dev/rebase", repo).then().body("rebase_in_progress", equalTo(false));
  }
}
