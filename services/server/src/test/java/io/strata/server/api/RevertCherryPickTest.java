package io.strata.server.api;

import static io.restassured.RestAssured.given;
import static io.strata.server.api.Api.createRepository;
import static io.strata.server.api.Api.post;
import static io.strata.server.api.Api.rows;
import static io.strata.server.api.Api.sql;
import static io.strata.server.api.Api.uniqueName;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.response.ValidatableResponse;
import io.strata.events.AppliedCommit;
import io.strata.events.CommitCreated;
import io.strata.events.EventCodec;
import io.strata.projections.log.EventLog;
import io.strata.server.TestDatabaseResource;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Reverts and cherry-picks through the API: a commit's change applied three-way against the branch
 * (backwards for a revert), rows changed since conflicting as in a merge (listed, resolved, continued),
 * merge commits with a mainline, and bad input refused with nothing changed.
 */
@QuarkusTest
@WithTestResource(value = TestDatabaseResource.class, scope = TestResourceScope.GLOBAL)
class RevertCherryPickTest {
  @Inject Pool pool;
  @Inject EventLog log;

  static {
    RestAssured.enableLoggingOfRequestAndResponseIfValidationFails();
  }

  private static void commitAll(String repo, String branch, String message) {
    Api.json().body(Map.of("message", message, "all", true))
        .post("/api/v1/repositories/{r}/branches/{b}/commits", repo, branch).then().statusCode(201);
  }

  private static ValidatableResponse apply(String repo, String branch, String operation, Map<String, Object> body) {
    return Api.json().body(body).post("/api/v1/repositories/{r}/branches/{b}/" + operation, repo, branch).then();
  }

  /** main: c1 (rows 1–5), c2 (2 changed, 6 added), c3 (3 deleted, 4 changed). */
  private String repository(String table) throws Exception {
    String repo = createRepository(uniqueName("revert"));
    sql(pool, "create table public." + table + " (id int primary key, v text not null)");
    sql(pool, "insert into public." + table + " select g, 'v' || g from generate_series(1, 5) g");
    post("/api/v1/repositories/" + repo + "/tables", Map.of("name", "t", "location", "postgresql://local/public."
        + table)).statusCode(201);
    sql(pool, "update public." + table + " set v = 'two' where id = 2; insert into public." + table + " values (6, 'v6')");
    commitAll(repo, "main", "c2");
    sql(pool, "delete from public." + table + " where id = 3; update public." + table + " set v = 'four' where id = 4");
    commitAll(repo, "main", "c3");
    return repo;
  }

  /** The commit a ref of main or dev names (main, main~1, …), from the branch's log. */
  private static String head(String repo, String ref) {
    String branch = ref.contains("~") ? ref.substring(0, ref.indexOf('~')) : ref;
    int back = ref.contains("~") ? Integer.parseInt(ref.substring(ref.indexOf('~') + 1)) : 0;
    return given().queryParam("ref", branch).queryParam("first_parent", true)
        .get("/api/v1/repositories/{r}/commits", repo).then().statusCode(200).extract().path("items[" + back + "].id");
  }

  private List<String> table(String table) {
    return rows(pool, "select id || ':' || v from public." + table + " order by id");
  }

  private CommitCreated commit(String repo, String id) {
    return log.readStream(repo, 0, 1000).await().atMost(Duration.ofSeconds(5)).stream()
        .map(e -> new EventCodec().decode(e.type(), e.data()))
        .filter(e -> e instanceof CommitCreated c && c.id().equals(id))
        .map(e -> (CommitCreated) e).findFirst().orElseThrow();
  }

  @Test
  void aRevertUndoesOneCommitAndKeepsTheLaterOnes() throws Exception {
    String repo = repository("revert_a");
    String c2 = head(repo, "main~1");
    String c3 = head(repo, "main");
    String id = apply(repo, "main", "revert", Map.of("commit", "main~1")).statusCode(201)
        .body("commit.message", equalTo("Revert \"c2\"")).body("commit.parents", equalTo(List.of(c3)))
        .body("commit.stats.updated", equalTo(1)).body("commit.stats.deleted", equalTo(1))
        // one shape: the application that made the commit beside it
        .body("merge.commit", equalTo(head(repo, "main"))).body("merge.merge_in_progress", equalTo(false))
        .body("merge.strategy", equalTo("three_way")).extract().path("commit.id");
    assertThat(table("revert_a")).containsExactly("1:v1", "2:v2", "4:four", "5:v5");
    assertThat(commit(repo, id).applied()).isEqualTo(new AppliedCommit("revert", c2, null));
    given().get("/api/v1/repositories/{r}/branches/main/status", repo).then().body("clean", equalTo(true));
    // reverting the revert brings c2 back
    apply(repo, "main", "revert", Map.of("commit", id)).statusCode(201);
    assertThat(table("revert_a")).containsExactly("1:v1", "2:two", "4:four", "5:v5", "6:v6");
  }

  @Test
  void aRowChangedSinceConflictsAndIsResolvedAsInAMerge() throws Exception {
    String repo = repository("revert_b");
    sql(pool, "update public.revert_b set v = 'later' where id = 2");
    commitAll(repo, "main", "c4");
    String c4 = head(repo, "main");

    apply(repo, "main", "revert", Map.of("commit", "main~2")).statusCode(409)
        .body("error", equalTo("MergeConflict")).body("details.conflicts", equalTo(1));
    given().get("/api/v1/repositories/{r}/branches/main/status", repo).then().body("merge_in_progress", equalTo(true));
    assertThat(table("revert_b")).as("the rest of the revert is in, ours in the conflict")
        .containsExactly("1:v1", "2:later", "4:four", "5:v5");
    given().get("/api/v1/repositories/{r}/branches/main/merge", repo).then().statusCode(200)
        .body("items[0].key", equalTo(List.of(2))).body("items[0].fields[0].base", equalTo("two"))
        .body("items[0].fields[0].ours", equalTo("later")).body("items[0].fields[0].theirs", equalTo("v2"));
    Api.json().body(Map.of("take", "theirs")).post("/api/v1/repositories/{r}/branches/main/merge/resolutions", repo)
        .then().statusCode(200);
    String id = Api.json().body(Map.of()).post("/api/v1/repositories/{r}/branches/main/merge/continue", repo).then()
        .statusCode(201).body("parents", equalTo(List.of(c4))).body("message", equalTo("Revert \"c2\""))
        .extract().path("id");
    assertThat(table("revert_b")).containsExactly("1:v1", "2:v2", "4:four", "5:v5");
    assertThat(commit(repo, id).applied().operation()).isEqualTo("revert");
    assertThat(commit(repo, id).merge()).isNull();

    // aborted instead, the branch is back exactly
    apply(repo, "main", "revert", Map.of("commit", id)).statusCode(201);
    sql(pool, "update public.revert_b set v = 'again' where id = 6");
    commitAll(repo, "main", "c6");
    List<String> before = table("revert_b");
    apply(repo, "main", "revert", Map.of("commit", id)).statusCode(409);
    Api.json().body(Map.of()).post("/api/v1/repositories/{r}/branches/main/merge/abort", repo).then().statusCode(204);
    assertThat(table("revert_b")).isEqualTo(before);
  }

  @Test
  void aCherryPickAppliesABranchCommitAndAMergeCommitNeedsAMainline() throws Exception {
    String repo = repository("revert_c");
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "dev")).statusCode(201);
    String view = Api.view(repo, "dev", "t");
    sql(pool, "update " + view + " set v = 'hotfix' where id = 5");
    commitAll(repo, "dev", "fix 5");
    sql(pool, "update " + view + " set v = 'dev only' where id = 1");
    commitAll(repo, "dev", "dev 1");
    String fix = head(repo, "dev~1");

    // a commit not on main cannot be reverted there; a non-merge takes no mainline; the root has no parent
    apply(repo, "main", "revert", Map.of("commit", fix)).statusCode(422);
    apply(repo, "main", "cherry-pick", Map.of("commit", fix, "mainline", 1)).statusCode(422);
    apply(repo, "main", "cherry-pick", Map.of("commit", "nope")).statusCode(404);
    apply(repo, "main", "cherry-pick", Map.of()).statusCode(422);
    assertThat(table("revert_c")).containsExactly("1:v1", "2:two", "4:four", "5:v5", "6:v6");

    String picked = apply(repo, "main", "cherry-pick", Map.of("commit", fix)).statusCode(201)
        .body("commit.message", equalTo("fix 5")).body("commit.stats.updated", equalTo(1))
        .body("merge.source_commit", equalTo(fix)).extract().path("commit.id");
    assertThat(table("revert_c")).containsExactly("1:v1", "2:two", "4:four", "5:hotfix", "6:v6");
    assertThat(commit(repo, picked).applied()).isEqualTo(new AppliedCommit("cherry_pick", fix, null));

    // dev merged into main (a merge commit); reverting it needs mainline 1: dev's side is undone
    sql(pool, "update public.revert_c set v = 'main' where id = 2");
    commitAll(repo, "main", "main 2");
    Api.json().body(Map.of("source", "dev", "fast_forward", "never"))
        .post("/api/v1/repositories/{r}/branches/main/merge", repo).then().statusCode(200);
    assertThat(table("revert_c")).containsExactly("1:dev only", "2:main", "4:four", "5:hotfix", "6:v6");
    apply(repo, "main", "revert", Map.of("commit", "main")).statusCode(422).body("details.field", equalTo("mainline"));
    apply(repo, "main", "revert", Map.of("commit", "main", "mainline", 3)).statusCode(422);
    apply(repo, "main", "revert", Map.of("commit", "main", "mainline", 1)).statusCode(201);
    assertThat(table("revert_c")).containsExactly("1:v1", "2:main", "4:four", "5:hotfix", "6:v6");
  }

  /** The hostile pass: changes already on the branch made an empty commit, around the allow_empty rule. */
  @Test
  void anEmptyCherryPickOrRevertIsRefusedUnlessAllowEmpty() throws Exception {
    String repo = repository("revert_e");
    String c3 = head(repo, "main");
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "dev")).statusCode(201);
    Map<String, String> digest = Api.digest();
    // dev was made from main: c3's changes are on it already, and picking c3 again changes nothing
    apply(repo, "dev", "cherry-pick", Map.of("commit", c3)).statusCode(422)
        .body("error", equalTo("ValidationError")).body("details.field", equalTo("allow_empty"))
        .body("message", org.hamcrest.Matchers.containsString("changes nothing"));
    assertThat(Api.digest()).as("nothing changed").isEqualTo(digest);
    assertThat(head(repo, "dev")).isEqualTo(c3);
    // reverting c3 twice: the second finds nothing left to undo
    String reverted = apply(repo, "main", "revert", Map.of("commit", c3)).statusCode(201).extract()
        .path("commit.id");
    apply(repo, "main", "revert", Map.of("commit", c3)).statusCode(422).body("details.field", equalTo("allow_empty"));
    assertThat(head(repo, "main")).isEqualTo(reverted);
    given().get("/api/v1/repositories/{r}/branches/main/status", repo).then().body("clean", equalTo(true))
        .body("merge_in_progress", equalTo(false));
    // allow_empty records the empty commit, as a commit's does
    apply(repo, "dev", "cherry-pick", Map.of("commit", c3, "allow_empty", true)).statusCode(201)
        .body("commit.stats.tables", equalTo(0)).body("commit.parents", equalTo(List.of(c3)));
  }

  @Test
  void noCommitLeavesTheRevertStagedForTheNextCommit() throws Exception {
    String repo = repository("revert_d");
    String c3 = head(repo, "main");
    String c3Id = c3;
    apply(repo, "main", "revert", Map.of("commit", "main", "no_commit", true)).statusCode(200)
        .body("merge.merge_in_progress", equalTo(true)).body("commit", org.hamcrest.Matchers.nullValue());
    assertThat(table("revert_d")).containsExactly("1:v1", "2:two", "3:v3", "4:v4", "5:v5", "6:v6");
    assertThat(head(repo, "main")).isEqualTo(c3);
    String id = Api.json().body(Map.of("message", "undo c3"))
        .post("/api/v1/repositories/{r}/branches/main/commits", repo).then().statusCode(201)
        .body("parents", equalTo(List.of(c3))).extract().path("id");
    assertThat(commit(repo, id).applied()).isEqualTo(new AppliedCommit("revert", c3Id, null));
    given().get("/api/v1/repositories/{r}/branches/main/status", repo).then().body("clean", equalTo(true))
        .body("merge_in_progress", equalTo(false));
  }
}
