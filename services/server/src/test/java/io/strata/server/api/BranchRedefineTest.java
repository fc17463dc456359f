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

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.strata.server.TestDatabaseResource;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The table's own columns defined otherwise on a branch ({@code alter_column} of a column the branch did not
 * add): NOT NULL set (checked over every row the branch reads first) or dropped, a default set or dropped. The
 * rows the branch writes — through its view and through the API — take its rules and defaults; the table, the
 * default branch and every other branch keep theirs; a branch created from it, or from one of its commits,
 * takes them too. Every refusal is a 422 (409 for a shape that moved) that changes nothing.
 */
@QuarkusTest
@WithTestResource(value = TestDatabaseResource.class, scope = TestResourceScope.GLOBAL)
class BranchRedefineTest {
  @Inject Pool pool;

  private static io.restassured.response.ValidatableResponse change(String repo, String branch, Object... operations) {
    return json().body(Map.of("operations", List.of(operations)))
        .post("/api/v1/repositories/{r}/branches/{b}/tables/orders/schema", repo, branch).then();
  }

  private static Map<String, Object> alter(String name, Object... fields) {
    Map<String, Object> op = new HashMap<>();
    op.put("op", "alter_column");
    op.put("name", name);
    for (int i = 0; i < fields.length; i += 2) {
      op.put((String) fields[i], fields[i + 1]);
    }
    return op;
  }

  private static JsonPath shape(String repo, String ref) {
    return given().queryParam("ref", ref).get("/api/v1/repositories/{r}/tables/orders/schema", repo).then()
        .statusCode(200).extract().jsonPath();
  }

  private static Object column(JsonPath shape, String name, String field) {
    return shape.get("recorded.columns.find { it.name == '" + name + "' }." + field);
  }

  @Test
  void aBranchMakesATableColumnNotNullOnlyOnceEveryRowItReadsHasAValueAndHoldsItsWritesToIt() {
    String repo = createRepository(uniqueName("redefine-null"));
    String t = trackNew(pool, repo, "orders", "id int primary key, status text not null default 'new', note text",
        "values (1, 'new', 'a'), (2, 'new', null)");
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "dev", "from", "main")).statusCode(201);
    String view = Api.view(repo, "dev", "orders");

    // a row the branch reads from the table has no note: refused, naming its key, nothing changed
    change(repo, "dev", alter("note", "nullable", false)).statusCode(422)
        .body("message", containsString("key 2"));
    assertThat(column(shape(repo, "dev"), "note", "nullable")).isEqualTo(true);
    // validate_only decides without changing anything, looking at the rows as the change would
    json().body(Map.of("operations", List.of(alter("status", "nullable", true)), "validate_only", true))
        .post("/api/v1/repositories/{r}/branches/dev/tables/orders/schema", repo).then().statusCode(200);
    json().body(Map.of("operations", List.of(alter("note", "nullable", false)), "validate_only", true))
        .post("/api/v1/repositories/{r}/branches/dev/tables/orders/schema", repo).then().statusCode(422)
        .body("message", containsString("key 2"));
    assertThat(column(shape(repo, "dev"), "status", "nullable")).isEqualTo(false);

    json().body(Map.of("status", "new", "note", "b")).put("/api/v1/repositories/{r}/branches/dev/tables/orders/rows/2",
        repo).then().statusCode(200);
    // its working changes hold the null it had (a discard would bring it back): committed first
    change(repo, "dev", alter("note", "nullable", false)).statusCode(422)
        .body("message", containsString("commit or discard"));
    String given = json().body(Map.of("message", "note given", "all", true))
        .post("/api/v1/repositories/{r}/branches/dev/commits", repo).then().statusCode(201).extract().path("id");
    change(repo, "dev", alter("note", "nullable", false)).statusCode(200)
        .body("altered[0].name", equalTo("note")).body("altered[0].nullable", equalTo(false));
    assertThat(column(shape(repo, "dev"), "note", "nullable")).isEqualTo(false);
    assertThat(column(shape(repo, "main"), "note", "nullable")).isEqualTo(true);
    // the branch refuses a null note through its view and through the API; the table takes one
    assertThatThrownBy(() -> sql(pool, "insert into " + view + " (id, status) values (3, 'new')"))
        .hasMessageContaining("strata_table_required");
    json().body(Map.of("status", "new")).put("/api/v1/repositories/{r}/branches/dev/tables/orders/rows/3", repo).then()
        .statusCode(422);
    sql(pool, "insert into public." + t + " (id, status) values (9, 'main')");
    // the table's NOT NULL dropped on the branch: a row without status is the branch's to have
    change(repo, "dev", alter("status", "nullable", true, "drop_default", true)).statusCode(200);
    sql(pool, "insert into " + view + " (id, note) values (4, 'no status')");
    assertThat(Api.rows(pool, "select coalesce(status, '-') || ':' || note from " + view + " where id = 4"))
        .containsExactly("-:no status");
    assertThat(column(shape(repo, "dev"), "status", "nullable")).isEqualTo(true);
    assertThat(column(shape(repo, "dev"), "status", "default_value")).isNull();
    assertThat(column(shape(repo, "main"), "status", "default_value")).isEqualTo("'new'::text");

    // the schema diff names both as changes of the column, with the statements that make them
    given().queryParam("from", "main").queryParam("to", "dev").get("/api/v1/repositories/{r}/diff/schema", repo).then()
        .statusCode(200).body("tables[0].up.toString()", containsString("SET NOT NULL"))
        .body("tables[0].up.toString()", containsString("DROP NOT NULL"));

    // a branch of it, and a branch at its commit, keep the same rules
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "dev2", "from", "dev")).statusCode(201);
    assertThat(column(shape(repo, "dev2"), "note", "nullable")).isEqualTo(false);
    assertThatThrownBy(() -> sql(pool, "insert into " + Api.view(repo, "dev2", "orders")
        + " (id, status) values (5, 'new')")).hasMessageContaining("strata_table_required");
    String commit = json().body(Map.of("message", "rules", "all", true))
        .post("/api/v1/repositories/{r}/branches/dev/commits", repo).then().statusCode(201).extract().path("id");
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "at-commit", "from", commit)).statusCode(201);
    assertThat(column(shape(repo, "at-commit"), "note", "nullable")).isEqualTo(false);
    assertThat(column(shape(repo, "at-commit"), "status", "nullable")).isEqualTo(true);
    assertThat(column(shape(repo, commit), "note", "nullable")).isEqualTo(false);
    sql(pool, "insert into " + Api.view(repo, "at-commit", "orders") + " (id, note) values (6, 'x')");

    // a hard reset gives the branch the rules its commit was made with: before them, the table's (row 4, which
    // has no status, goes); back at the commit with them, its rows and rules return together
    json().body(Map.of("to", given, "mode", "hard")).post("/api/v1/repositories/{r}/branches/dev/reset", repo).then()
        .statusCode(200);
    assertThat(column(shape(repo, "dev"), "note", "nullable")).isEqualTo(true);
    assertThat(column(shape(repo, "dev"), "status", "nullable")).isEqualTo(false);
    assertThat(column(shape(repo, "dev"), "status", "default_value")).isEqualTo("'new'::text");
    sql(pool, "insert into " + view + " (id) values (11)");
    assertThat(Api.rows(pool, "select status || ':' || coalesce(note, '-') from " + view + " where id = 11"))
        .containsExactly("new:-");
    json().body(Map.of("to", commit, "mode", "hard")).post("/api/v1/repositories/{r}/branches/dev/reset", repo).then()
        .statusCode(200);
    assertThat(column(shape(repo, "dev"), "note", "nullable")).isEqualTo(false);
    assertThat(column(shape(repo, "dev"), "status", "nullable")).isEqualTo(true);
    assertThat(Api.rows(pool, "select coalesce(status, '-') || ':' || note from " + view + " where id = 4"))
        .containsExactly("-:no status");
    assertThatThrownBy(() -> sql(pool, "insert into " + view + " (id, status) values (12, 'x')"))
        .hasMessageContaining("strata_table_required");

    // back to the table's definition: the branch defines it as the table does again
    change(repo, "dev", alter("note", "nullable", true)).statusCode(200);
    sql(pool, "insert into " + view + " (id, status) values (7, 'new')");
    // again: nothing to change
    change(repo, "dev", alter("note", "nullable", true)).statusCode(422)
        .body("message", containsString("nothing to change"));
  }

  @Test
  void aBranchGivesATableColumnADefaultItsInsertsTakeThroughItsViewAndTheApi() {
    String repo = createRepository(uniqueName("redefine-default"));
    String t = trackNew(pool, repo, "orders", "id int primary key, qty int default 1, note text",
        "values (1, 2, 'a')");
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "dev", "from", "main")).statusCode(201);
    String view = Api.view(repo, "dev", "orders");
    change(repo, "dev", alter("qty", "default", 5), alter("note", "default", "n/a")).statusCode(200)
        .body("altered[0].default_value", equalTo("5"))
        .body("altered[1].default_value", equalTo("'n/a'::text"));
    assertThat(column(shape(repo, "dev"), "qty", "default_value")).isEqualTo("5");
    sql(pool, "insert into " + view + " (id) values (2)");
    json().body(Map.of()).put("/api/v1/repositories/{r}/branches/dev/tables/orders/rows/3", repo).then()
        .statusCode(200).body("qty", equalTo(5)).body("note", equalTo("n/a"));
    json().body(List.of(Map.of("op", "upsert", "row", Map.of("id", 4))))
        .post("/api/v1/repositories/{r}/branches/dev/tables/orders/rows:batch", repo).then().statusCode(200);
    assertThat(Api.rows(pool, "select string_agg(id || ':' || qty || ':' || note, ',' order by id) from " + view))
        .containsExactly("1:2:a,2:5:n/a,3:5:n/a,4:5:n/a");
    // the table and the default branch keep theirs
    sql(pool, "insert into public." + t + " (id) values (10)");
    assertThat(Api.rows(pool, "select qty || ':' || coalesce(note, '-') from public." + t + " where id = 10"))
        .containsExactly("1:-");
    // a renamed column takes its default under the name the branch shows
    change(repo, "dev", Map.of("op", "rename_column", "name", "qty", "new_name", "amount")).statusCode(200);
    sql(pool, "insert into " + view + " (id) values (5)");
    assertThat(Api.rows(pool, "select amount::text from " + view + " where id = 5")).containsExactly("5");
    change(repo, "dev", alter("amount", "drop_default", true)).statusCode(200);
    sql(pool, "insert into " + view + " (id) values (6)");
    assertThat(Api.rows(pool, "select coalesce(amount::text, '-') from " + view + " where id = 6")).containsExactly("-");
    // back to the table's default
    change(repo, "dev", alter("amount", "default", 1)).statusCode(200);
    sql(pool, "insert into " + view + " (id) values (7)");
    assertThat(Api.rows(pool, "select amount::text from " + view + " where id = 7")).containsExactly("1");
  }

  @Test
  void aMergeCarriesTheSourcesRulesIntoTheTableAndIntoOtherBranchesAndRefusesTwoOfThem() {
    String repo = createRepository(uniqueName("redefine-merge"));
    String t = trackNew(pool, repo, "orders", "id int primary key, status text not null, qty int default 1,"
        + " note text", "values (1, 'new', 1, 'a')");
    for (String b : List.of("dev", "other", "rival")) {
      post("/api/v1/repositories/" + repo + "/branches", Map.of("name", b, "from", "main")).statusCode(201);
    }
    change(repo, "dev", alter("status", "nullable", true), alter("qty", "default", 5)).statusCode(200);
    sql(pool, "insert into " + Api.view(repo, "dev", "orders") + " (id, note) values (2, 'no status')");
    json().body(Map.of("message", "loose status", "all", true))
        .post("/api/v1/repositories/{r}/branches/dev/commits", repo).then().statusCode(201);

    // into another branch: its view takes the rules, before the rows
    json().body(Map.of("source", "dev")).post("/api/v1/repositories/{r}/branches/other/merge", repo).then()
        .statusCode(200);
    assertThat(column(shape(repo, "other"), "status", "nullable")).isEqualTo(true);
    assertThat(column(shape(repo, "other"), "qty", "default_value")).isEqualTo("5");
    sql(pool, "insert into " + Api.view(repo, "other", "orders") + " (id) values (3)");
    assertThat(Api.rows(pool, "select coalesce(status, '-') || ':' || qty from " + Api.view(repo, "other", "orders")
        + " where id = 3")).containsExactly("-:5");

    // into the default branch: the table itself, online, followed by the guard; the rows then arrive
    json().body(Map.of("source", "dev")).post("/api/v1/repositories/{r}/branches/main/merge", repo).then()
        .statusCode(200);
    assertThat(Api.rows(pool, "select is_nullable || ':' || coalesce(column_default, '') from information_schema.columns"
        + " where table_name = '" + t + "' and column_name in ('status', 'qty') order by column_name"))
        .containsExactly("YES:5", "YES:");
    assertThat(Api.rows(pool, "select id || ':' || coalesce(status, '-') from public." + t + " order by id"))
        .containsExactly("1:new", "2:-");
    assertThat(column(shape(repo, "main"), "qty", "default_value")).isEqualTo("5");

    // the same column given two defaults since the base: a schema_schema conflict, settled either way
    change(repo, "rival", alter("qty", "default", 7)).statusCode(200);
    json().body(Map.of("source", "dev")).post("/api/v1/repositories/{r}/branches/rival/merge", repo).then()
        .statusCode(409).body("error", equalTo("SchemaConflict"))
        .body("details.schema_conflicts[0].type", equalTo("schema_schema"))
        .body("details.schema_conflicts[0].column", equalTo("qty"))
        .body("details.schema_conflicts[0].ours.default", equalTo("7"))
        .body("details.schema_conflicts[0].theirs.default", equalTo("5"));
    assertThat(column(shape(repo, "rival"), "qty", "default_value")).isEqualTo("7");
    json().body(Map.of("source", "dev", "schema_strategy", "theirs"))
        .post("/api/v1/repositories/{r}/branches/rival/merge", repo).then().statusCode(200);
    assertThat(column(shape(repo, "rival"), "qty", "default_value")).isEqualTo("5");

    // NOT NULL carried into a branch holding a null there: refused, nothing changed
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "strict", "from", "main")).statusCode(201);
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "nulls", "from", "main")).statusCode(201);
    change(repo, "strict", alter("status", "nullable", false)).statusCode(422); // row 2 has none
    json().body(Map.of("status", "given")).patch("/api/v1/repositories/{r}/branches/strict/tables/orders/rows/2",
        repo).then().statusCode(200);
    json().body(Map.of("message", "given", "all", true))
        .post("/api/v1/repositories/{r}/branches/strict/commits", repo).then().statusCode(201);
    change(repo, "strict", alter("status", "nullable", false)).statusCode(200);
    // a merge takes strict as its head commit records it: NOT NULL is carried once committed
    json().body(Map.of("source", "strict")).post("/api/v1/repositories/{r}/branches/nulls/merge", repo).then()
        .statusCode(200);
    assertThat(column(shape(repo, "nulls"), "status", "nullable")).isEqualTo(true);
    json().body(Map.of("message", "status required", "all", true))
        .post("/api/v1/repositories/{r}/branches/strict/commits", repo).then().statusCode(201);
    sql(pool, "insert into " + Api.view(repo, "nulls", "orders") + " (id) values (8)");
    json().body(Map.of("message", "null", "all", true))
        .post("/api/v1/repositories/{r}/branches/nulls/commits", repo).then().statusCode(201);
    json().body(Map.of("source", "strict")).post("/api/v1/repositories/{r}/branches/nulls/merge", repo).then()
        .statusCode(422).body("message", containsString("key 8"));
    assertThat(column(shape(repo, "nulls"), "status", "nullable")).isEqualTo(true);
    // and into the default branch, whose table has a row without status: refused, the table unchanged
    sql(pool, "insert into public." + t + " (id) values (9)");
    json().body(Map.of("message", "a row without status", "all", true))
        .post("/api/v1/repositories/{r}/branches/main/commits", repo).then().statusCode(201);
    json().body(Map.of("source", "strict")).post("/api/v1/repositories/{r}/branches/main/merge", repo).then()
        .statusCode(422).body("message", containsString("status"));
    assertThat(Api.rows(pool, "select is_nullable from information_schema.columns where table_name = '" + t
        + "' and column_name = 'status'")).containsExactly("YES");
  }

  @Test
  void whatABranchCannotChangeOfATablesColumnsIsRefusedAndNothingChanges() {
    String repo = createRepository(uniqueName("redefine-refused"));
    trackNew(pool, repo, "orders", "id int primary key, seq int generated by default as identity, qty int,"
        + " doubled int generated always as (qty * 2) stored", "values (1, 1, 2)");
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "dev", "from", "main")).statusCode(201);
    change(repo, "dev", Map.of("op", "add_column", "name", "extra", "type", "text")).statusCode(200);
    // a new type of an identity or generated column, the key, an identity's or generated column's default, a value
    // the type does not read, both a default and its drop, a column it does not have, mixing added and own columns
    change(repo, "dev", alter("seq", "type", "bigint")).statusCode(422).body("message", containsString("identity"));
    change(repo, "dev", alter("doubled", "type", "bigint")).statusCode(422).body("message", containsString("generated"));
    change(repo, "dev", alter("id", "nullable", true)).statusCode(422).body("message", containsString("primary key"));
    change(repo, "dev", alter("seq", "default", 3)).statusCode(422).body("message", containsString("identity"));
    change(repo, "dev", alter("doubled", "default", 3)).statusCode(422).body("message", containsString("generated"));
    change(repo, "dev", alter("qty", "default", "'); drop table orders; --")).statusCode(422)
        .body("message", containsString("qty"));
    change(repo, "dev", alter("qty", "default", 3, "drop_default", true)).statusCode(422);
    change(repo, "dev", alter("nope", "nullable", false)).statusCode(422);
    change(repo, "dev", alter("qty", "default", 3), alter("extra", "nullable", false)).statusCode(422)
        .body("message", containsString("separate requests"));
    change(repo, "dev", alter("extra", "default", "x")).statusCode(422);
    change(repo, "dev", alter("qty", "default", Map.of("a", 1))).statusCode(422);
    // the default branch changes its table with DDL
    change(repo, "main", alter("qty", "nullable", false)).statusCode(422)
        .body("message", containsString("default branch"));
    JsonPath dev = shape(repo, "dev");
    assertThat(column(dev, "qty", "default_value")).isNull();
    assertThat(column(dev, "qty", "nullable")).isEqualTo(true);
  }
}
