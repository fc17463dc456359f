package io.strata.server.api;

import static io.restassured.RestAssured.given;
import static io.strata.server.api.Api.createRepository;
import static io.strata.server.api.Api.json;
import static io.strata.server.api.Api.post;
import static io.strata.server.api.Api.sql;
import static io.strata.server.api.Api.trackNew;
import static io.strata.server.api.Api.uniqueName;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.strata.server.TestDatabaseResource;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * CHECK constraints a branch adds to a table ({@code add_constraint}): checked over every row the branch reads
 * first, then held on the rows it writes through its view and the API; the table and every other branch are
 * untouched; a branch created from it, or from its commit, holds them too. Only the expression as the database
 * printed it is kept, and only immutable functions pass: a hostile expression is a 422 that changes nothing.
 */
@QuarkusTest
@WithTestResource(value = TestDatabaseResource.class, scope = TestResourceScope.GLOBAL)
class BranchConstraintTest {
  @Inject Pool pool;

  private static io.restassured.response.ValidatableResponse change(String repo, String branch, Object... operations) {
    return json().body(Map.of("operations", List.of(operations)))
        .post("/api/v1/repositories/{r}/branches/{b}/tables/orders/schema", repo, branch).then();
  }

  private static Map<String, Object> check(String name, String expression) {
    return Map.of("op", "add_constraint", "name", name, "check", expression);
  }

  /** Whether each check the branch's overlay of orders holds is valid (false: pending, a merge's). */
  private List<String> overlayChecksValid(String repo, String branch) {
    return Api.rows(pool, "select convalidated::text from pg_constraint where conname like 'strata\\_check\\_%'"
        + " and conrelid = 'strata.\"" + io.strata.projections.rowdata.TrackedTable.idOf(repo, "orders") + "__v_"
        + io.strata.projections.rowdata.TrackedTable.branchIdOf(repo, branch) + "\"'::regclass");
  }

  private static List<String> constraintNames(String repo, String ref) {
    return given().queryParam("ref", ref).get("/api/v1/repositories/{r}/tables/orders/schema", repo).then()
        .statusCode(200).extract().jsonPath().getList("recorded.constraints.name");
  }

  @Test
  void aCheckAddedOnABranchHoldsItsRowsOnlyOnceEveryRowItReadsPassesIt() {
    String repo = createRepository(uniqueName("branch-check"));
    String t = trackNew(pool, repo, "orders", "id int primary key, qty int, note text",
        "values (1, 2, 'a'), (2, -1, 'b')");
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "dev", "from", "main")).statusCode(201);
    String view = Api.view(repo, "dev", "orders");

    // row 2 fails it: refused, naming its key, nothing changed (a check alone looks at the rows too)
    json().body(Map.of("operations", List.of(check("qty_positive", "qty > 0")), "validate_only", true))
        .post("/api/v1/repositories/{r}/branches/dev/tables/orders/schema", repo).then().statusCode(422)
        .body("message", containsString("key 2"));
    change(repo, "dev", check("qty_positive", "qty > 0")).statusCode(422).body("message", containsString("key 2"));
    assertThat(constraintNames(repo, "dev")).doesNotContain("qty_positive");
    json().body(Map.of("qty", 3)).patch("/api/v1/repositories/{r}/branches/dev/tables/orders/rows/2", repo).then()
        .statusCode(200);
    // the row as it was before that change, which a discard would bring back, fails it too: committed first
    change(repo, "dev", check("qty_positive", "qty > 0")).statusCode(422)
        .body("message", containsString("commit or discard"));
    json().body(Map.of("message", "fixed", "all", true))
        .post("/api/v1/repositories/{r}/branches/dev/commits", repo).then().statusCode(201);
    change(repo, "dev", check("qty_positive", "qty > 0")).statusCode(200)
        .body("constraints[0].name", equalTo("qty_positive"))
        .body("constraints[0].definition", equalTo("CHECK ((qty > 0))"));
    assertThat(constraintNames(repo, "dev")).contains("qty_positive");
    assertThat(constraintNames(repo, "main")).doesNotContain("qty_positive");
    // the branch's writes keep to it, through its view and the API; a null passes, as in PostgreSQL
    assertThatThrownBy(() -> sql(pool, "insert into " + view + " (id, qty) values (3, 0)"))
        .hasMessageContaining("strata_check_");
    json().body(Map.of("qty", -5)).put("/api/v1/repositories/{r}/branches/dev/tables/orders/rows/4", repo).then()
        .statusCode(422);
    sql(pool, "insert into " + view + " (id, qty) values (5, null)");
    // the table and the default branch take any value
    sql(pool, "insert into public." + t + " (id, qty) values (9, -9)");

    // the schema diff lists it, with the statement that makes it
    given().queryParam("from", "main").queryParam("to", "dev").get("/api/v1/repositories/{r}/diff/schema", repo).then()
        .statusCode(200).body("tables[0].up.toString()", containsString("qty_positive"));

    // a branch of it, and a branch at its commit, hold it too
    String commit = json().body(Map.of("message", "checked", "all", true))
        .post("/api/v1/repositories/{r}/branches/dev/commits", repo).then().statusCode(201).extract().path("id");
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "dev2", "from", "dev")).statusCode(201);
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "at-commit", "from", commit)).statusCode(201);
    for (String b : List.of("dev2", "at-commit")) {
      assertThat(constraintNames(repo, b)).contains("qty_positive");
      assertThatThrownBy(() -> sql(pool, "insert into " + Api.view(repo, b, "orders") + " (id, qty) values (6, -1)"))
          .hasMessageContaining("strata_check_");
    }
    assertThat(constraintNames(repo, commit)).contains("qty_positive");

    // a column a check names is not dropped before the check; dropped, the branch takes any value again
    change(repo, "dev", Map.of("op", "drop_column", "name", "qty")).statusCode(422)
        .body("message", containsString("qty_positive"));
    change(repo, "dev", Map.of("op", "drop_constraint", "name", "qty_positive")).statusCode(200)
        .body("constraints.size()", equalTo(0));
    sql(pool, "insert into " + view + " (id, qty) values (7, -7)");
    change(repo, "dev", Map.of("op", "drop_constraint", "name", "qty_positive")).statusCode(422);
  }

  @Test
  void aCheckRunsAsItWasVettedOnTheBranchAndOnTheTableNotThroughAFunctionAClientPutCloserOnThePath() {
    String repo = createRepository(uniqueName("branch-check-path"));
    String t = trackNew(pool, repo, "orders", "id int primary key, code varchar(10)", "values (1, ' a ')");
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "dev", "from", "main")).statusCode(201);
    // a closer match than pg_catalog.btrim(text) for a varchar, on the server's default search path: were it bound
    // into a constraint, writes would raise and its drop would be refused
    sql(pool, "create function public.btrim(character varying) returns text language plpgsql immutable as"
        + " $f$ begin raise exception 'hijacked'; end $f$");
    try {
      change(repo, "dev", check("code_not_x", "btrim(code) <> 'x'")).statusCode(200);
      sql(pool, "insert into " + Api.view(repo, "dev", "orders") + " (id, code) values (2, ' b ')");
      json().body(Map.of("message", "checked", "all", true))
          .post("/api/v1/repositories/{r}/branches/dev/commits", repo).then().statusCode(201);
      json().body(Map.of("source", "dev")).post("/api/v1/repositories/{r}/branches/main/merge", repo).then()
          .statusCode(200);
      assertThat(constraintNames(repo, "main")).contains("code_not_x");
      sql(pool, "insert into public." + t + " (id, code) values (3, 'c')");
    } finally {
      sql(pool, "drop function public.btrim(character varying)");
    }
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> sql(pool, "insert into public." + t
        + " (id, code) values (4, ' x ')")).hasMessageContaining("code_not_x");
  }

  @Test
  void checksTravelWithMergesAndHardResetsAndReachTheTableOnline() {
    String repo = createRepository(uniqueName("branch-check-merge"));
    String t = trackNew(pool, repo, "orders", "id int primary key, qty int", "values (1, 2)");
    for (String b : List.of("dev", "other", "loose", "rival")) {
      post("/api/v1/repositories/" + repo + "/branches", Map.of("name", b, "from", "main")).statusCode(201);
    }
    String before = json().body(Map.of("message", "before", "all", true, "allow_empty", true))
        .post("/api/v1/repositories/{r}/branches/dev/commits", repo).then().extract().path("id");
    change(repo, "dev", check("qty_positive", "qty > 0")).statusCode(200);
    sql(pool, "insert into " + Api.view(repo, "dev", "orders") + " (id, qty) values (2, 5)");
    String checked = json().body(Map.of("message", "checked", "all", true))
        .post("/api/v1/repositories/{r}/branches/dev/commits", repo).then().statusCode(201).extract().path("id");

    // into another branch: its rows kept to it first, then its overlay holds it
    json().body(Map.of("source", "dev")).post("/api/v1/repositories/{r}/branches/other/merge", repo).then()
        .statusCode(200);
    assertThat(constraintNames(repo, "other")).contains("qty_positive");
    assertThat(overlayChecksValid(repo, "other")).containsExactly("true"); // a fast-forward: the source's rows pass
    assertThatThrownBy(() -> sql(pool, "insert into " + Api.view(repo, "other", "orders") + " (id, qty) values (3, -1)"))
        .hasMessageContaining("strata_check_");
    // a branch holding rows that fail it: each is a constraint_violation conflict of a merge in progress (a dry run
    // lists them and changes nothing), resolved by giving it values that pass (or deleting it)
    sql(pool, "insert into " + Api.view(repo, "loose", "orders") + " (id, qty) values (4, -4), (5, -5), (6, 6)");
    json().body(Map.of("message", "negative", "all", true))
        .post("/api/v1/repositories/{r}/branches/loose/commits", repo).then().statusCode(201);
    json().body(Map.of("source", "dev", "dry_run", true)).post("/api/v1/repositories/{r}/branches/loose/merge", repo)
        .then().statusCode(200).body("conflicts", equalTo(2))
        .body("conflict_details.find { it.key == [4] }.type", equalTo("constraint_violation"))
        .body("conflict_details.find { it.key == [4] }.constraint", equalTo("qty_positive"));
    assertThat(constraintNames(repo, "loose")).doesNotContain("qty_positive");
    json().body(Map.of("source", "dev")).post("/api/v1/repositories/{r}/branches/loose/merge", repo).then()
        .statusCode(409).body("error", equalTo("MergeConflict")).body("details.conflicts", equalTo(2))
        .body("details.first_conflicts[0].type", equalTo("constraint_violation"))
        .body("details.first_conflicts[0].key", equalTo(List.of(4)))
        .body("details.first_conflicts[0].constraint", equalTo("qty_positive"))
        .body("details.first_conflicts[0].fields[0].name", equalTo("qty"))
        .body("details.first_conflicts[0].fields[0].ours", equalTo(-4));
    assertThat(constraintNames(repo, "loose")).contains("qty_positive");
    assertThat(overlayChecksValid(repo, "loose")).containsExactly("false");
    String looseView = Api.view(repo, "loose", "orders");
    // meanwhile the branch's writes keep to it; a side's row is no resolution, nor is a value that fails it
    assertThatThrownBy(() -> sql(pool, "insert into " + looseView + " (id, qty) values (7, -7)"))
        .hasMessageContaining("strata_check_");
    json().body(Map.of("table", "orders", "key", List.of(4), "take", "ours"))
        .post("/api/v1/repositories/{r}/branches/loose/merge/resolutions", repo).then().statusCode(422)
        .body("message", containsString("constraint_violation"));
    json().body(Map.of("take", "theirs"))
        .post("/api/v1/repositories/{r}/branches/loose/merge/resolutions", repo).then().statusCode(422);
    json().body(Map.of("table", "orders", "key", List.of(4), "take", "value", "value", Map.of("qty", -1)))
        .post("/api/v1/repositories/{r}/branches/loose/merge/resolutions", repo).then().statusCode(422);
    json().body(Map.of()).post("/api/v1/repositories/{r}/branches/loose/merge/continue", repo).then()
        .statusCode(409).body("error", equalTo("MergeConflict"));
    json().body(Map.of("table", "orders", "key", List.of(4), "take", "value", "value", Map.of("qty", 40)))
        .post("/api/v1/repositories/{r}/branches/loose/merge/resolutions", repo).then().statusCode(200)
        .body("resolved", equalTo(1)).body("remaining", equalTo(1));
    json().body(Map.of("table", "orders", "key", List.of(5), "field", "qty", "take", "value", "value", 50))
        .post("/api/v1/repositories/{r}/branches/loose/merge/resolutions", repo).then().statusCode(200)
        .body("remaining", equalTo(0));
    json().body(Map.of()).post("/api/v1/repositories/{r}/branches/loose/merge/continue", repo).then()
        .statusCode(201);
    assertThat(Api.rows(pool, "select id || ':' || qty from " + looseView + " order by id"))
        .containsExactly("1:2", "2:5", "4:40", "5:50", "6:6");
    // concluded, the check holds every row of the branch: valid on its overlay
    assertThat(overlayChecksValid(repo, "loose")).containsExactly("true");

    // aborted, the merge takes the check it carried away again: the branch's rows may fail it, as before
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "lax", "from", before)).statusCode(201);
    sql(pool, "insert into " + Api.view(repo, "lax", "orders") + " (id, qty) values (8, -8)");
    json().body(Map.of("message", "lax", "all", true))
        .post("/api/v1/repositories/{r}/branches/lax/commits", repo).then().statusCode(201);
    json().body(Map.of("source", "dev")).post("/api/v1/repositories/{r}/branches/lax/merge", repo).then()
        .statusCode(409).body("details.first_conflicts[0].key", equalTo(List.of(8)));
    json().body(Map.of()).post("/api/v1/repositories/{r}/branches/lax/merge/abort", repo).then().statusCode(204);
    assertThat(constraintNames(repo, "lax")).doesNotContain("qty_positive");
    sql(pool, "insert into " + Api.view(repo, "lax", "orders") + " (id, qty) values (9, -9)");
    // the same name defined otherwise on both: schema_schema, settled by theirs
    change(repo, "rival", check("qty_positive", "qty > 1")).statusCode(200);
    json().body(Map.of("source", "dev")).post("/api/v1/repositories/{r}/branches/rival/merge", repo).then()
        .statusCode(409).body("details.schema_conflicts[0].type", equalTo("schema_schema"))
        .body("details.schema_conflicts[0].theirs", equalTo("CHECK ((qty > 0))"));
    json().body(Map.of("source", "dev", "schema_strategy", "theirs"))
        .post("/api/v1/repositories/{r}/branches/rival/merge", repo).then().statusCode(200);
    assertThat(given().queryParam("ref", "rival").get("/api/v1/repositories/{r}/tables/orders/schema", repo).then()
        .extract().jsonPath().getString("recorded.constraints.find { it.name == 'qty_positive' }.definition"))
        .isEqualTo("CHECK ((qty > 0))");

    // into the default branch: the table itself gains it (NOT VALID, then validated), followed by the guard
    json().body(Map.of("source", "dev")).post("/api/v1/repositories/{r}/branches/main/merge", repo).then()
        .statusCode(200);
    assertThat(Api.rows(pool, "select pg_get_constraintdef(oid) from pg_constraint where conrelid = 'public." + t
        + "'::regclass and conname = 'qty_positive'")).containsExactly("CHECK ((qty > 0))");
    assertThatThrownBy(() -> sql(pool, "insert into public." + t + " (id, qty) values (8, -8)"))
        .hasMessageContaining("qty_positive");
    assertThat(constraintNames(repo, "main")).contains("qty_positive");
    // merged back into the branch, the default branch (which adds no checks of its own) takes none from it
    sql(pool, "insert into public." + t + " (id, qty) values (20, 20)");
    json().body(Map.of("message", "main moves on", "all", true))
        .post("/api/v1/repositories/{r}/branches/main/commits", repo).then().statusCode(201);
    json().body(Map.of("source", "main")).post("/api/v1/repositories/{r}/branches/dev/merge", repo).then()
        .statusCode(200);
    assertThat(constraintNames(repo, "dev")).contains("qty_positive");
    assertThatThrownBy(() -> sql(pool, "insert into " + Api.view(repo, "dev", "orders") + " (id, qty) values (21, -1)"))
        .hasMessageContaining("strata_check_");

    // a hard reset gives the branch the checks of the commit it is reset to
    json().body(Map.of("to", before, "mode", "hard")).post("/api/v1/repositories/{r}/branches/dev/reset", repo).then()
        .statusCode(200);
    assertThat(constraintNames(repo, "dev")).doesNotContain("qty_positive");
    sql(pool, "insert into " + Api.view(repo, "dev", "orders") + " (id, qty) values (6, -6)");
    json().body(Map.of("to", checked, "mode", "hard")).post("/api/v1/repositories/{r}/branches/dev/reset", repo).then()
        .statusCode(200);
    assertThat(constraintNames(repo, "dev")).contains("qty_positive");
    assertThatThrownBy(() -> sql(pool, "insert into " + Api.view(repo, "dev", "orders") + " (id, qty) values (7, -7)"))
        .hasMessageContaining("strata_check_");
  }

  @Test
  void aCarriedCheckItsRowsFailIsConflictsResolvedByValuesAndAnAbortPutsEverythingBack() {
    String repo = createRepository(uniqueName("check-violations"));
    String t = trackNew(pool, repo, "orders", "id int primary key, qty int", "values (1, 2), (2, -2)");
    for (String b : List.of("src", "tgt", "mine")) {
      post("/api/v1/repositories/" + repo + "/branches", Map.of("name", b, "from", "main")).statusCode(201);
    }
    // the source fixes row 2, then adds the check
    json().body(Map.of("qty", 3)).patch("/api/v1/repositories/{r}/branches/src/tables/orders/rows/2", repo).then()
        .statusCode(200);
    json().body(Map.of("message", "fixed", "all", true))
        .post("/api/v1/repositories/{r}/branches/src/commits", repo).then().statusCode(201);
    change(repo, "src", check("qty_positive", "qty > 0")).statusCode(200);
    json().body(Map.of("message", "checked", "all", true, "allow_empty", true))
        .post("/api/v1/repositories/{r}/branches/src/commits", repo).then().statusCode(201);
    sql(pool, "insert into " + Api.view(repo, "tgt", "orders") + " (id, qty) values (3, -3)");
    json().body(Map.of("message", "three", "all", true))
        .post("/api/v1/repositories/{r}/branches/tgt/commits", repo).then().statusCode(201);

    // row 2 takes the source's fix; row 3 fails the check: the merge stops with it, resolved, then aborted —
    // every row goes back (row 2 as -2, row 3 as -3, which the check would refuse) and the check leaves the branch
    json().body(Map.of("source", "src")).post("/api/v1/repositories/{r}/branches/tgt/merge", repo).then()
        .statusCode(409).body("details.conflicts", equalTo(1))
        .body("details.first_conflicts[0].key", equalTo(List.of(3)));
    json().body(Map.of("table", "orders", "key", List.of(3), "take", "value", "value", Map.of("qty", 30)))
        .post("/api/v1/repositories/{r}/branches/tgt/merge/resolutions", repo).then().statusCode(200)
        .body("remaining", equalTo(0));
    String tgtView = Api.view(repo, "tgt", "orders");
    assertThat(Api.rows(pool, "select id || ':' || qty from " + tgtView + " order by id"))
        .containsExactly("1:2", "2:3", "3:30");
    json().body(Map.of()).post("/api/v1/repositories/{r}/branches/tgt/merge/abort", repo).then().statusCode(204);
    assertThat(Api.rows(pool, "select id || ':' || qty from " + tgtView + " order by id"))
        .containsExactly("1:2", "2:-2", "3:-3");
    assertThat(constraintNames(repo, "tgt")).doesNotContain("qty_positive");
    assertThat(overlayChecksValid(repo, "tgt")).isEmpty();
    sql(pool, "insert into " + tgtView + " (id, qty) values (4, -4)");

    // a conflict a strategy settles to a row that fails the check is a violation still
    json().body(Map.of("qty", -20)).patch("/api/v1/repositories/{r}/branches/mine/tables/orders/rows/2", repo).then()
        .statusCode(200);
    json().body(Map.of("message", "mine", "all", true))
        .post("/api/v1/repositories/{r}/branches/mine/commits", repo).then().statusCode(201);
    json().body(Map.of("source", "src", "strategy", "ours"))
        .post("/api/v1/repositories/{r}/branches/mine/merge", repo).then()
        .statusCode(409).body("details.conflicts", equalTo(1))
        .body("details.first_conflicts[0].key", equalTo(List.of(2)))
        .body("details.first_conflicts[0].type", equalTo("constraint_violation"));
    json().body(Map.of("table", "orders", "key", List.of(2), "take", "value", "value", Map.of("qty", 20)))
        .post("/api/v1/repositories/{r}/branches/mine/merge/resolutions", repo).then().statusCode(200);
    json().body(Map.of()).post("/api/v1/repositories/{r}/branches/mine/merge/continue", repo).then()
        .statusCode(201);
    assertThat(Api.rows(pool, "select id || ':' || qty from " + Api.view(repo, "mine", "orders") + " order by id"))
        .containsExactly("1:2", "2:20");
    assertThat(overlayChecksValid(repo, "mine")).containsExactly("true");

    // into the default branch, rows of the table that fail the check refuse the merge (the application's rows:
    // changed there first), each listed in key order with how many fail it; nothing changed
    sql(pool, "insert into public." + t + " (id, qty) values (6, -6), (5, -5)");
    json().body(Map.of("message", "more", "all", true))
        .post("/api/v1/repositories/{r}/branches/main/commits", repo).then().statusCode(201);
    json().body(Map.of("source", "src")).post("/api/v1/repositories/{r}/branches/main/merge", repo).then()
        .statusCode(409).body("error", equalTo("SchemaConflict"))
        .body("details.schema_conflict_count", equalTo(3))
        .body("details.schema_conflicts.key", equalTo(List.of("2", "5", "6")))
        .body("details.schema_conflicts[0].type", equalTo("constraint_violation"))
        .body("message", containsString("keys 2; 5; 6"));
    assertThat(Api.rows(pool, "select count(*)::text from pg_constraint where conname = 'qty_positive' and conrelid ="
        + " 'public." + t + "'::regclass")).containsExactly("0");
  }

  @Test
  void aHostileOrUnfitCheckIsRefusedAndNothingChanges() {
    String repo = createRepository(uniqueName("branch-check-refused"));
    trackNew(pool, repo, "orders", "id int primary key, qty int, note text, constraint has_note check (note <> '')",
        "values (1, 2, 'a')");
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "dev", "from", "main")).statusCode(201);
    // statements smuggled in, subqueries, functions that read the server or the session, other tables, names the
    // table has, a column the branch does not have, names Strata keeps, nothing at all
    change(repo, "dev", check("evil", "true); drop table orders; --")).statusCode(422);
    // an ALTER TABLE subcommand after the expression would have its default evaluated: never reaches the database
    change(repo, "dev", check("evil", "true), add column z int default (table_to_xml('public.orders'::regclass,"
        + " true, false, '')::text::int")).statusCode(422).body("message", containsString("parenthesis"));
    change(repo, "dev", check("evil", "true) not valid, add constraint x check (true")).statusCode(422);
    change(repo, "dev", check("evil", "qty > 0 -- comment")).statusCode(422);
    change(repo, "dev", check("evil", "note <> $$x$$")).statusCode(422);
    change(repo, "dev", check("evil", "note <> E'\\x'")).statusCode(422);
    change(repo, "dev", check("evil", "(note, qty) < ('x', extract(epoch from now())::int)")).statusCode(422);
    change(repo, "dev", check("evil", "qty > (select count(*) from pg_class)")).statusCode(422);
    change(repo, "dev", check("evil", "length(pg_read_file('/etc/passwd')) > 0")).statusCode(422)
        .body("message", containsString("not immutable"));
    change(repo, "dev", check("evil", "qty < extract(epoch from now())")).statusCode(422);
    change(repo, "dev", check("evil", "note <> current_user")).statusCode(422);
    change(repo, "dev", check("evil", "nextval('x') > 0")).statusCode(422);
    change(repo, "dev", check("evil", "orders is not null")).statusCode(422);
    // functions, operators and types of other schemas, and other relations (a regclass literal would pin them), are
    // refused before anything in the text is evaluated: an immutable function given a constant is never run
    sql(pool, "create schema if not exists hostile_fns");
    sql(pool, "create or replace function hostile_fns.boom(int) returns int language plpgsql immutable as"
        + " 'begin raise exception ''boom ran''; end'");
    change(repo, "dev", check("evil", "hostile_fns.boom(1) > qty")).statusCode(422)
        .body("message", containsString("hostile_fns.boom")).body("message", not(containsString("boom ran")));
    change(repo, "dev", check("evil", "hostile_fns.boom(qty) > 0")).statusCode(422)
        .body("message", containsString("not PostgreSQL's own"));
    change(repo, "dev", check("evil", "'strata_meta.tables'::regclass::oid <> 0")).statusCode(422)
        .body("message", containsString("strata_meta.tables"));
    // a domain is never taken as a column's own type: its CHECK would run whatever it calls on the branch's values
    sql(pool, "create domain hostile_fns.checked_int as int check (hostile_fns.boom(value) > 0)");
    trackNew(pool, repo, "domained", "id int primary key, v hostile_fns.checked_int", "select 1, null where false");
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "dev2", "from", "main")).statusCode(201);
    json().body(Map.of("operations", List.of(check("evil", "(v + 1)::hostile_fns.checked_int is not null"))))
        .post("/api/v1/repositories/{r}/branches/dev2/tables/domained/schema", repo).then().statusCode(422)
        .body("message", containsString("checked_int"));
    change(repo, "dev", check("has_note", "qty > 0")).statusCode(422).body("message", containsString("has_note"));
    change(repo, "dev", check("c", "nope > 0")).statusCode(422);
    change(repo, "dev", check("strata_x", "qty > 0")).statusCode(422);
    change(repo, "dev", check("Bad-Name", "qty > 0")).statusCode(422);
    change(repo, "dev", check("c", "")).statusCode(422);
    change(repo, "dev", check("c", "x".repeat(3000))).statusCode(422);
    change(repo, "dev", check("c", "qty > 0"), check("c", "qty > 1")).statusCode(422);
    change(repo, "main", check("c", "qty > 0")).statusCode(422).body("message", containsString("default branch"));
    // a column the branch shows under another name: not built
    change(repo, "dev", Map.of("op", "rename_column", "name", "qty", "new_name", "amount")).statusCode(200);
    change(repo, "dev", check("c", "amount > 0")).statusCode(422).body("message", containsString("renamed"));
    assertThat(constraintNames(repo, "dev")).hasSize(2).contains("has_note");
    // a literal that reads like a statement stays a literal: it is the database's printed expression that is kept
    change(repo, "dev", check("quoted", "note <> 'x''); drop table orders; --'")).statusCode(200);
    assertThat(Api.rows(pool, "select count(*)::text from pg_tables where tablename like 'orders%'")).isNotEmpty();
  }
}
