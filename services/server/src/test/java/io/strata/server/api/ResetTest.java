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
import io.strata.server.TestDatabaseResource;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Resets through the API: hard (head, working state and working changes) and soft (head only, the
 * difference staged), on the default branch (the table itself) and on a branch (its overlay), with
 * protection, a merge in progress and bad input refused; commits left behind stay readable.
 */
@QuarkusTest
@WithTestResource(value = TestDatabaseResource.class, scope = TestResourceScope.GLOBAL)
class ResetTest {
  @Inject Pool pool;

  static {
    RestAssured.enableLoggingOfRequestAndResponseIfValidationFails();
  }

  private static void commitAll(String repo, String branch, String message) {
    Api.json().body(Map.of("message", message, "all", true))
        .post("/api/v1/repositories/{r}/branches/{b}/commits", repo, branch).then().statusCode(201);
  }

  private static io.restassured.response.ValidatableResponse reset(String repo, String branch,
      Map<String, Object> body) {
    return Api.json().body(body).post("/api/v1/repositories/{r}/branches/{b}/reset", repo, branch).then();
  }

  /** A repository over {@code t} with three commits on main: c1 (rows 1–5), c2 (2 changed, 6 added), c3 (3 deleted). */
  private String repository(String table) throws Exception {
    String repo = createRepository(uniqueName("reset"));
    sql(pool, "create table public." + table + " (id int primary key, v text not null)");
    sql(pool, "insert into public." + table + " select g, 'v' || g from generate_series(1, 5) g");
    post("/api/v1/repositories/" + repo + "/tables", Map.of("name", "t", "location", "postgresql://local/public."
        + table)).statusCode(201);
    sql(pool, "update public." + table + " set v = 'two' where id = 2; insert into public." + table + " values (6, 'v6')");
    commitAll(repo, "main", "c2");
    sql(pool, "delete from public." + table + " where id = 3");
    commitAll(repo, "main", "c3");
    return repo;
  }

  private List<String> table(String table) {
    return rows(pool, "select id || ':' || v from public." + table + " order by id");
  }

  /** The rows of t at a ref, committed (the branch's head for a branch), as "id:v". */
  private static List<String> at(String repo, String ref) {
    List<List<Object>> rows = Api.json().body(Map.of("sql", "select id || ':' || v from t order by id", "ref", ref))
        .post("/api/v1/repositories/{r}/query", repo).then().statusCode(200).extract().jsonPath().getList("rows");
    return rows.stream().map(r -> String.valueOf(r.get(0))).toList();
  }

  @Test
  void aHardResetOfTheDefaultBranchRewritesTheTableAndLeavesBranchesAndHistoryAlone() throws Exception {
    String repo = repository("reset_a");
    String c3 = head(repo, "main");
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "dev")).statusCode(201);
    post("/api/v1/repositories/" + repo + "/tags", Map.of("name", "v3", "ref", "main")).statusCode(201);
    sql(pool, "update public.reset_a set v = 'uncommitted' where id = 1");

    reset(repo, "main", Map.of("to", "main~2", "mode", "hard")).statusCode(200)
        .body("name", equalTo("main"));
    assertThat(table("reset_a")).containsExactly("1:v1", "2:v2", "3:v3", "4:v4", "5:v5");
    given().get("/api/v1/repositories/{r}/branches/main/status", repo).then().body("clean", equalTo(true));
    // dev keeps its snapshot; the commits left behind stay readable by id and tag
    assertThat(at(repo, "dev")).containsExactly("1:v1", "2:two", "4:v4", "5:v5", "6:v6");
    assertThat(at(repo, c3)).containsExactly("1:v1", "2:two", "4:v4", "5:v5", "6:v6");
    given().get("/api/v1/repositories/{r}/commits/{c}", repo, c3).then().statusCode(200);
    given().get("/api/v1/repositories/{r}/tags/v3", repo).then().statusCode(200).body("commit", equalTo(c3));

    // forward again, to the tag: the table follows
    reset(repo, "main", Map.of("to", "v3", "mode", "hard")).statusCode(200).body("head", equalTo(c3));
    assertThat(table("reset_a")).containsExactly("1:v1", "2:two", "4:v4", "5:v5", "6:v6");
    // a commit after a reset records exactly its changes
    sql(pool, "update public.reset_a set v = 'after' where id = 4");
    commitAll(repo, "main", "c4");
    given().queryParam("from", c3).queryParam("to", "main").get("/api/v1/repositories/{r}/diff", repo).then()
        .body("tables[0].updated", equalTo(1)).body("tables[0].inserted", equalTo(0));
  }

  @Test
  void aResetTheTablesOwnUniqueConstraintRefusesIsA422NotARetriedRace() throws Exception {
    String repo = createRepository(uniqueName("reset-unique"));
    String table = "reset_u_" + repo.substring(repo.length() - 8).replace('-', '_');
    sql(pool, "create table public." + table + " (id int primary key, v text not null unique)");
    sql(pool, "insert into public." + table + " values (1, 'a'), (2, 'b')");
    post("/api/v1/repositories/" + repo + "/tables", Map.of("name", "t", "location", "postgresql://local/public."
        + table)).statusCode(201);
    String before = head(repo, "main");
    // the values move between the rows: going back writes 'a' into row 1 while row 2 may still hold it, which the
    // table's own (immediate) unique constraint refuses whatever Strata does
    sql(pool, "update public." + table + " set v = 'c' where id = 1; update public." + table
        + " set v = 'a' where id = 2; update public." + table + " set v = 'b' where id = 1");
    commitAll(repo, "main", "swapped");
    String after = head(repo, "main");
    var answer = reset(repo, "main", Map.of("to", before, "mode", "hard")).extract();
    if (answer.statusCode() == 200) { // the rows happened to be written in an order the constraint takes
      assertThat(table(table)).containsExactly("1:a", "2:b");
      return;
    }
    assertThat(answer.statusCode()).as(answer.body().asString()).isEqualTo(422);
    assertThat((String) answer.path("message")).contains(table + "_v_key");
    assertThat(head(repo, "main")).isEqualTo(after);
    assertThat(table(table)).containsExactly("1:b", "2:a");
    // a discard of working changes that moved the values back is refused the same way, nothing changed
    sql(pool, "update public." + table + " set v = 'c' where id = 2; update public." + table
        + " set v = 'a' where id = 1; update public." + table + " set v = 'b' where id = 2");
    var discard = given().delete("/api/v1/repositories/{r}/branches/main/working", repo).then().extract();
    if (discard.statusCode() != 204 && discard.statusCode() != 200) {
      assertThat(discard.statusCode()).as(discard.body().asString()).isEqualTo(422);
      assertThat(table(table)).containsExactly("1:a", "2:b");
    }
  }

  @Test
  void aSoftResetKeepsTheWorkingStateAndStagesTheDifference() throws Exception {
    String repo = repository("reset_b");
    String c3 = head(repo, "main");
    reset(repo, "main", Map.of("to", "main~2", "mode", "soft")).statusCode(200);
    assertThat(table("reset_b")).containsExactly("1:v1", "2:two", "4:v4", "5:v5", "6:v6");
    given().get("/api/v1/repositories/{r}/branches/main/status", repo).then().statusCode(200)
        .body("clean", equalTo(false))
        .body("tables[0].staged.inserted", equalTo(1)).body("tables[0].staged.updated", equalTo(1))
        .body("tables[0].staged.deleted", equalTo(1));
    commitAll(repo, "main", "squashed");
    assertThat(at(repo, "main")).isEqualTo(at(repo, c3));
    given().get("/api/v1/repositories/{r}/branches/main/status", repo).then().body("clean", equalTo(true));
  }

  @Test
  void aBranchIsResetInItsOverlay() throws Exception {
    String repo = repository("reset_c");
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "dev")).statusCode(201);
    String view = Api.view(repo, "dev", "t");
    sql(pool, "update " + view + " set v = 'dev' where id = 1");
    commitAll(repo, "dev", "dev 1");
    sql(pool, "delete from " + view + " where id = 5");
    commitAll(repo, "dev", "dev 2");
    sql(pool, "insert into " + view + " values (9, 'working')");

    reset(repo, "dev", Map.of("to", "dev~1", "mode", "soft")).statusCode(200);
    assertThat(at(repo, "dev")).containsExactly("1:dev", "2:two", "4:v4", "5:v5", "6:v6");
    given().get("/api/v1/repositories/{r}/branches/dev/status", repo).then()
        .body("tables[0].staged.deleted", equalTo(1));
    reset(repo, "dev", Map.of("to", "main", "mode", "hard")).statusCode(200);
    assertThat(rows(pool, "select id || ':' || v from " + view + " order by id"))
        .containsExactly("1:v1", "2:two", "4:v4", "5:v5", "6:v6");
    given().get("/api/v1/repositories/{r}/branches/dev/status", repo).then().body("clean", equalTo(true));
    assertThat(table("reset_c")).as("main untouched").containsExactly("1:v1", "2:two", "4:v4", "5:v5", "6:v6");
  }

  @Test
  void protectionAMergeInProgressAndBadInputAreRefusedAndChangeNothing() throws Exception {
    String repo = repository("reset_d");
    String c3 = head(repo, "main");
    given().contentType("application/json").body(Map.of("protected", true))
        .patch("/api/v1/repositories/{r}/branches/main", repo).then().statusCode(200);
    reset(repo, "main", Map.of("to", "main~1", "mode", "hard")).statusCode(409).body("error", equalTo("BranchProtected"));
    reset(repo, "main", Map.of("to", "main~1", "mode", "sideways")).statusCode(422).body("error", equalTo("ValidationError"));
    reset(repo, "main", Map.of("to", "main~1")).statusCode(422);
    reset(repo, "main", Map.of("mode", "hard")).statusCode(422);
    reset(repo, "main", Map.of("to", "nope", "mode", "hard")).statusCode(404);
    reset(repo, "main", Map.of("to", "main~1", "mode", "hard", "force", true, "expected_head", "0000000"))
        .statusCode(409).body("error", equalTo("HeadMoved"));
    reset(repo, "nobranch", Map.of("to", "main~1", "mode", "hard")).statusCode(404);
    assertThat(head(repo, "main")).isEqualTo(c3);
    assertThat(table("reset_d")).containsExactly("1:v1", "2:two", "4:v4", "5:v5", "6:v6");
    reset(repo, "main", Map.of("to", "main~1", "mode", "hard", "force", true, "expected_head", c3))
        .statusCode(200);
    assertThat(table("reset_d")).containsExactly("1:v1", "2:two", "3:v3", "4:v4", "5:v5", "6:v6");

    // a merge in progress refuses the reset
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "dev")).statusCode(201);
    sql(pool, "update " + Api.view(repo, "dev", "t") + " set v = 'dev' where id = 1");
    commitAll(repo, "dev", "dev");
    sql(pool, "update public.reset_d set v = 'main' where id = 1");
    commitAll(repo, "main", "main");
    Api.json().body(Map.of("source", "dev")).post("/api/v1/repositories/{r}/branches/main/merge", repo).then()
        .statusCode(409);
    reset(repo, "main", Map.of("to", "main~1", "mode", "hard", "force", true)).statusCode(409)
        .body("error", equalTo("MergeInProgress"));
  }

  /** A unique value moving between two rows: the table refuses the rows of a hard reset: 422 naming it, not a retry loop. */
  @Test
  void aResetTheTableRefusesIsA422AndChangesNothing() throws Exception {
    String repo = createRepository(uniqueName("reset"));
    sql(pool, "create table public.reset_u (id int primary key, email text not null unique)");
    sql(pool, "insert into public.reset_u values (1, 'a'), (2, 'b')");
    post("/api/v1/repositories/" + repo + "/tables", Map.of("name", "u", "location", "postgresql://local/public.reset_u"))
        .statusCode(201);
    sql(pool, "update public.reset_u set email = 'tmp' where id = 1; update public.reset_u set email = 'a' where id = 2;"
        + " update public.reset_u set email = 'b' where id = 1");
    commitAll(repo, "main", "swap");
    String head = head(repo, "main");
    reset(repo, "main", Map.of("to", "main~1", "mode", "hard")).statusCode(422).body("error", equalTo("ValidationError"))
        .body("details.table", equalTo("u"));
    assertThat(head(repo, "main")).isEqualTo(head);
    assertThat(rows(pool, "select id || ':' || email from public.reset_u order by id")).containsExactly("1:b", "2:a");
  }

  /**
   * A trigger on the table writes another tracked table: what a reset's writes cause there is that
   * table's working change, recorded, and the other table's history stays as it was.
   */
  @Test
  void whatAResetCausesInAnotherTrackedTableIsAWorkingChangeThere() throws Exception {
    String repo = createRepository(uniqueName("reset"));
    sql(pool, "create table public.reset_p (id int primary key, v text not null)");
    sql(pool, "create table public.reset_audit (id bigserial primary key, what text not null)");
    sql(pool, "insert into public.reset_p values (1, 'one')");
    sql(pool, "create function public.reset_log() returns trigger language plpgsql as $$ begin "
        + "insert into public.reset_audit (what) values (tg_op); return null; end $$");
    sql(pool, "create trigger reset_log after insert or update or delete on public.reset_p for each row "
        + "execute function public.reset_log()");
    post("/api/v1/repositories/" + repo + "/tables", Map.of("name", "p", "location", "postgresql://local/public.reset_p"))
        .statusCode(201);
    post("/api/v1/repositories/" + repo + "/tables", Map.of("name", "audit", "location",
        "postgresql://local/public.reset_audit")).statusCode(201);
    String c1 = head(repo, "main");
    sql(pool, "insert into public.reset_p values (2, 'two')");
    commitAll(repo, "main", "c2");
    reset(repo, "main", Map.of("to", c1, "mode", "hard")).statusCode(200);
    assertThat(rows(pool, "select id || ':' || v from public.reset_p order by id")).containsExactly("1:one");
    List<List<Object>> atC1 = Api.json().body(Map.of("sql", "select what from audit", "ref", c1))
        .post("/api/v1/repositories/{r}/query", repo).then().statusCode(200).extract().jsonPath().getList("rows");
    assertThat(atC1).as("the audit table at c1, empty then").isEmpty();
    Map<String, Object> audit = given().get("/api/v1/repositories/{r}/branches/main/status", repo).then()
        .extract().jsonPath().getMap("tables.find { it.table == 'audit' }");
    assertThat(audit).as("the trigger's row is audit's working change").isNotNull();
    assertThat(((Map<?, ?>) audit.get("staged")).get("inserted") + "/" + ((Map<?, ?>) audit.get("unstaged"))
        .get("inserted")).isIn("1/0", "0/1");
  }
}
