package io.strata.server.api;

import static io.restassured.RestAssured.given;
import static io.strata.server.api.Api.createRepository;
import static io.strata.server.api.Api.head;
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
import io.strata.server.TestDatabaseResource;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Stashes through the API: working changes saved and the branch put back at its head, applied and
 * popped three-way after the head moved, conflicts refusing an application and changing nothing, and
 * bad input refused.
 */
@QuarkusTest
@WithTestResource(value = TestDatabaseResource.class, scope = TestResourceScope.GLOBAL)
class StashTest {
  @Inject Pool pool;

  static {
    RestAssured.enableLoggingOfRequestAndResponseIfValidationFails();
  }

  private static ValidatableResponse stash(String repo, String branch, Map<String, Object> body) {
    return Api.json().body(body).post("/api/v1/repositories/{r}/branches/{b}/stash", repo, branch).then();
  }

  private static ValidatableResponse apply(String repo, String branch, String n, String how, Map<String, Object> body) {
    return Api.json().body(body).post("/api/v1/repositories/{r}/branches/{b}/stash/" + n + "/" + how, repo, branch)
        .then();
  }

  private static void commitAll(String repo, String branch, String message) {
    Api.json().body(Map.of("message", message, "all", true))
        .post("/api/v1/repositories/{r}/branches/{b}/commits", repo, branch).then().statusCode(201);
  }

  private String repository(String table) throws Exception {
    String repo = createRepository(uniqueName("stash"));
    sql(pool, "create table public." + table + " (id int primary key, v text not null)");
    sql(pool, "insert into public." + table + " select g, 'v' || g from generate_series(1, 5) g");
    post("/api/v1/repositories/" + repo + "/tables", Map.of("name", "t", "location", "postgresql://local/public."
        + table)).statusCode(201);
    return repo;
  }

  private List<String> rowsOf(String relation) {
    return rows(pool, "select id || ':' || v from " + relation + " order by id");
  }

  @Test
  void aStashSavesTheWorkingChangesAndAppliesThemBack() throws Exception {
    String repo = repository("stash_a");
    String headBefore = head(repo, "main");
    sql(pool, "update public.stash_a set v = 'changed' where id = 1; delete from public.stash_a where id = 2;"
        + " insert into public.stash_a values (9, 'new')");
    List<String> working = rowsOf("public.stash_a");

    stash(repo, "main", Map.of("message", "half done")).statusCode(201).body("index", equalTo(0))
        .body("message", equalTo("half done")).body("head", equalTo(headBefore))
        .body("tables[0].inserted", equalTo(1)).body("tables[0].updated", equalTo(1))
        .body("tables[0].deleted", equalTo(1));
    assertThat(rowsOf("public.stash_a")).containsExactly("1:v1", "2:v2", "3:v3", "4:v4", "5:v5");
    given().get("/api/v1/repositories/{r}/branches/main/status", repo).then().body("clean", equalTo(true));
    assertThat(head(repo, "main")).isEqualTo(headBefore);
    given().get("/api/v1/repositories/{r}/branches/main/stash", repo).then().statusCode(200)
        .body("items.size()", equalTo(1)).body("items[0].message", equalTo("half done"));

    apply(repo, "main", "0", "apply", Map.of()).statusCode(200).body("popped", equalTo(false));
    assertThat(rowsOf("public.stash_a")).isEqualTo(working);
    given().get("/api/v1/repositories/{r}/branches/main/status", repo).then()
        .body("tables[0].unstaged.inserted", equalTo(1)).body("tables[0].unstaged.updated", equalTo(1))
        .body("tables[0].unstaged.deleted", equalTo(1));
    given().get("/api/v1/repositories/{r}/branches/main/stash", repo).then().body("items.size()", equalTo(1));
    given().delete("/api/v1/repositories/{r}/branches/main/stash/0", repo).then().statusCode(204);
    given().get("/api/v1/repositories/{r}/branches/main/stash", repo).then().body("items.size()", equalTo(0));
    commitAll(repo, "main", "the stashed work");
    assertThat(rowsOf("public.stash_a")).isEqualTo(working);
  }

  @Test
  void aPopAfterTheHeadMovedMergesThreeWayOnABranch() throws Exception {
    String repo = repository("stash_b");
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "dev")).statusCode(201);
    String view = Api.view(repo, "dev", "t");
    sql(pool, "update " + view + " set v = 'stashed' where id = 1");
    stash(repo, "dev", Map.of()).statusCode(201);
    sql(pool, "update " + view + " set v = 'committed' where id = 3");
    commitAll(repo, "dev", "meanwhile");
    // a second stash on top: the stack's newest is index 0
    sql(pool, "update " + view + " set v = 'second' where id = 4");
    stash(repo, "dev", Map.of("message", "second")).statusCode(201);
    given().get("/api/v1/repositories/{r}/branches/dev/stash", repo).then()
        .body("items.message", equalTo(java.util.Arrays.asList("second", null)));

    // by id: the same stash whatever was pushed meanwhile
    String first = given().get("/api/v1/repositories/{r}/branches/dev/stash", repo).then().extract().path("items[1].id");
    apply(repo, "dev", first, "pop", Map.of()).statusCode(200).body("popped", equalTo(true)).body("id", equalTo(first));
    assertThat(rowsOf(view)).containsExactly("1:stashed", "2:v2", "3:committed", "4:v4", "5:v5");
    assertThat(rowsOf("public.stash_b")).as("main untouched").containsExactly("1:v1", "2:v2", "3:v3", "4:v4", "5:v5");
    given().get("/api/v1/repositories/{r}/branches/dev/stash", repo).then()
        .body("items.size()", equalTo(1)).body("items[0].message", equalTo("second"));
    // the remaining stash cannot go onto working changes in its table
    apply(repo, "dev", "0", "pop", Map.of()).statusCode(409).body("error", equalTo("WorkingChangesPresent"));
  }

  @Test
  void aConflictRefusesTheStashAndChangesNothingUnlessAStrategySettlesIt() throws Exception {
    String repo = repository("stash_c");
    sql(pool, "update public.stash_c set v = 'stashed' where id = 1; update public.stash_c set v = 'also' where id = 2");
    stash(repo, "main", Map.of()).statusCode(201);
    sql(pool, "update public.stash_c set v = 'committed' where id = 1");
    commitAll(repo, "main", "clash");
    apply(repo, "main", "0", "pop", Map.of()).statusCode(409).body("error", equalTo("MergeConflict"))
        .body("details.conflicts", equalTo(1)).body("details.first_conflicts[0].key", equalTo(List.of(1)));
    assertThat(rowsOf("public.stash_c")).containsExactly("1:committed", "2:v2", "3:v3", "4:v4", "5:v5");
    given().get("/api/v1/repositories/{r}/branches/main/stash", repo).then().body("items.size()", equalTo(1));
    apply(repo, "main", "0", "pop", Map.of("strategy", "theirs")).statusCode(200);
    assertThat(rowsOf("public.stash_c")).containsExactly("1:stashed", "2:also", "3:v3", "4:v4", "5:v5");
  }

  @Test
  void badInputIsRefused() throws Exception {
    String repo = repository("stash_d");
    stash(repo, "main", Map.of()).statusCode(422);
    stash(repo, "main", Map.of("tables", List.of("nope"))).statusCode(404).body("error", equalTo("TableNotFound"));
    stash(repo, "main", Map.of("sideways", true)).statusCode(400);
    apply(repo, "main", "0", "apply", Map.of()).statusCode(404).body("error", equalTo("StashNotFound"));
    apply(repo, "main", "x", "apply", Map.of()).statusCode(422);
    apply(repo, "main", "-1", "pop", Map.of()).statusCode(422);
    apply(repo, "main", "6a1f0c2e-9d4b-4e7a-8c3f-1b2d3e4f5a6b", "pop", Map.of()).statusCode(404)
        .body("error", equalTo("StashNotFound"));
    given().delete("/api/v1/repositories/{r}/branches/main/stash/3", repo).then().statusCode(404);
    stash(repo, "nobranch", Map.of()).statusCode(404);
    sql(pool, "update public.stash_d set v = 'x' where id = 1");
    apply(repo, "main", "0", "apply", Map.of("strategy", "sideways")).statusCode(422);
  }

  /** A table whose writes may reach other rows (a cascading foreign key) is not stashed: putting it back could lose them. */
  @Test
  void aTableWhoseWritesCascadeIsNotStashed() throws Exception {
    String repo = createRepository(uniqueName("stash"));
    sql(pool, "create table public.stash_par (id int primary key, v text not null)");
    sql(pool, "create table public.stash_chi (id int primary key, par int not null references public.stash_par"
        + " on delete cascade)");
    sql(pool, "insert into public.stash_par values (1, 'one')");
    post("/api/v1/repositories/" + repo + "/tables", Map.of("name", "par", "location",
        "postgresql://local/public.stash_par")).statusCode(201);
    post("/api/v1/repositories/" + repo + "/tables", Map.of("name", "chi", "location",
        "postgresql://local/public.stash_chi")).statusCode(201);
    sql(pool, "insert into public.stash_par values (2, 'two'); insert into public.stash_chi values (20, 2)");
    stash(repo, "main", Map.of("tables", List.of("par"))).statusCode(422).body("details.field", equalTo("tables"));
    assertThat(rows(pool, "select id || ':' || par from public.stash_chi")).containsExactly("20:2");
    assertThat(rowsOf("public.stash_par")).containsExactly("1:one", "2:two");
  }

  /** A stash whose table was untracked (and tracked again) since has lost its changes: 409, kept until dropped. */
  @Test
  void aStashWhoseTableWasUntrackedSinceIsRefused() throws Exception {
    String repo = repository("stash_e");
    sql(pool, "update public.stash_e set v = 'stashed' where id = 1");
    stash(repo, "main", Map.of()).statusCode(201);
    given().delete("/api/v1/repositories/{r}/tables/t", repo).then().statusCode(204);
    post("/api/v1/repositories/" + repo + "/tables", Map.of("name", "t", "location", "postgresql://local/public.stash_e"))
        .statusCode(201);
    apply(repo, "main", "0", "pop", Map.of()).statusCode(409).body("error", equalTo("StashGone"));
    given().get("/api/v1/repositories/{r}/branches/main/stash", repo).then().body("items.size()", equalTo(1));
    given().delete("/api/v1/repositories/{r}/branches/main/stash/0", repo).then().statusCode(204);
  }

  /** A branch with stashes is deleted only with force: they go with it. */
  @Test
  void aBranchWithStashesIsDeletedOnlyWithForce() throws Exception {
    String repo = repository("stash_f");
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "dev")).statusCode(201);
    sql(pool, "update " + Api.view(repo, "dev", "t") + " set v = 'dev' where id = 1");
    stash(repo, "dev", Map.of()).statusCode(201);
    given().delete("/api/v1/repositories/{r}/branches/dev", repo).then().statusCode(409)
        .body("error", equalTo("BranchHasStashes"));
    given().delete("/api/v1/repositories/{r}/branches/dev?force=true", repo).then().statusCode(204);
  }

  /** A trigger that raises refuses the stashed rows: a 422 in the database's words, nothing changed. */
  @Test
  void aTableThatRefusesTheStashedRowsAnswers422() throws Exception {
    String repo = repository("stash_g");
    sql(pool, "update public.stash_g set v = 'frozen' where id = 2");
    stash(repo, "main", Map.of()).statusCode(201);
    sql(pool, "create function public.stash_g_guard() returns trigger language plpgsql as $$ begin "
        + "if new.v = 'frozen' then raise exception 'frozen by policy'; end if; return new; end $$");
    sql(pool, "create trigger stash_g_guard before insert or update on public.stash_g for each row "
        + "execute function public.stash_g_guard()");
    apply(repo, "main", "0", "pop", Map.of()).statusCode(422).body("error", equalTo("ValidationError"))
        .body("details.table", equalTo("t"));
    assertThat(rowsOf("public.stash_g")).containsExactly("1:v1", "2:v2", "3:v3", "4:v4", "5:v5");
    given().get("/api/v1/repositories/{r}/branches/main/stash", repo).then().body("items.size()", equalTo(1));
  }
}
