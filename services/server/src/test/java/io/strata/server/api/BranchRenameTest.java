package io.strata.server.api;

import static io.restassured.RestAssured.given;
import static io.strata.server.api.Api.createRepository;
import static io.strata.server.api.Api.json;
import static io.strata.server.api.Api.post;
import static io.strata.server.api.Api.sql;
import static io.strata.server.api.Api.trackNew;
import static io.strata.server.api.Api.uniqueName;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.strata.server.TestDatabaseResource;
import io.strata.server.application.RepositoryStateLoader;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Columns shown under another name on a branch ({@code rename_column}): the branch's view, its rows through the
 * API, its SQL queries and its shape name them so, writes take the new name, and nothing else moves — the table,
 * its rows, the default branch and every image keep the stored name, so commits, merges and branches of it share
 * rows as before. Every refusal is a 422 that changes nothing.
 */
@QuarkusTest
@WithTestResource(value = TestDatabaseResource.class, scope = TestResourceScope.GLOBAL)
class BranchRenameTest {
  @Inject Pool pool;
  @Inject RepositoryStateLoader loader;

  private static JsonPath rows(String repo, String ref) {
    return given().queryParam("ref", ref).queryParam("working", true)
        .get("/api/v1/repositories/{r}/tables/orders/rows", repo).then().statusCode(200).extract().jsonPath();
  }

  private static io.restassured.response.ValidatableResponse change(String repo, String branch, Object body) {
    return json().body(body).post("/api/v1/repositories/{r}/branches/{b}/tables/orders/schema", repo, branch).then();
  }

  private static Map<String, Object> rename(String name, String to) {
    return Map.of("op", "rename_column", "name", name, "new_name", to);
  }

  private static String commitAll(String repo, String branch, String message) {
    return json().body(Map.of("message", message, "all", true))
        .post("/api/v1/repositories/{r}/branches/{b}/commits", repo, branch).then().statusCode(201).extract().path("id");
  }

  @Test
  void aColumnRenamedOnABranchIsReadAndWrittenUnderItsNewNameThereAndNowhereElse() {
    String repo = createRepository(uniqueName("branch-rename"));
    String t = trackNew(pool, repo, "orders", "id int primary key, status text not null, note text",
        "values (1, 'new', 'a'), (2, 'new', 'b')");
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "dev", "from", "main")).statusCode(201);
    String forked = Api.head(repo, "dev");
    json().body(Map.of("sql", "select count(*) from orders", "ref", "dev", "working", true))
        .post("/api/v1/repositories/{r}/query", repo).then().statusCode(200);

    change(repo, "dev", Map.of("operations", List.of(rename("note", "remark")))).statusCode(200)
        .body("renamed[0].from", equalTo("note")).body("renamed[0].to", equalTo("remark"))
        .body("columns.name", contains("id", "status", "remark"));
    // the branch's view, rows and queries show the new name; the table and the default branch the old one
    String view = Api.view(repo, "dev", "orders");
    assertThat(Api.rows(pool, "select string_agg(attname, ',' order by attnum) from pg_attribute where attrelid = '"
        + view + "'::regclass and attnum > 0")).containsExactly("id,status,remark");
    assertThat(rows(repo, "dev").getMap("items[0]")).containsOnlyKeys("id", "status", "remark");
    assertThat(rows(repo, "dev").getList("items.remark")).containsExactly("a", "b");
    assertThat(rows(repo, "main").getMap("items[0]")).containsOnlyKeys("id", "status", "note");
    given().queryParam("ref", "dev").queryParam("working", true).queryParam("remark", "b")
        .get("/api/v1/repositories/{r}/tables/orders/rows", repo).then().statusCode(200).body("items.id", contains(2));
    given().queryParam("ref", "dev").queryParam("working", true).queryParam("note", "b")
        .get("/api/v1/repositories/{r}/tables/orders/rows", repo).then().statusCode(422);
    json().body(Map.of("sql", "select string_agg(remark, ',' order by id) from orders", "ref", "dev", "working", true))
        .post("/api/v1/repositories/{r}/query", repo).then().statusCode(200).body("rows[0][0]", equalTo("a,b"));
    json().body(Map.of("sql", "select string_agg(remark, ',' order by id) from orders", "ref", "dev", "working", false))
        .post("/api/v1/repositories/{r}/query", repo).then().statusCode(200).body("rows[0][0]", equalTo("a,b"));
    json().body(Map.of("sql", "select id, status from orders where id = 1", "ref", "dev", "working", false))
        .post("/api/v1/repositories/{r}/query", repo).then().statusCode(200).body("rows[0][0]", equalTo(1));
    assertThat(given().queryParam("ref", "dev").get("/api/v1/repositories/{r}/tables/orders/schema", repo).then()
        .statusCode(200).extract().jsonPath().getList("recorded.columns.name")).containsExactly("id", "status", "remark");

    // the schema diff names it a rename, not a drop: nothing destructive, and the SQL that makes it either way
    given().queryParam("from", "main").queryParam("to", "dev").get("/api/v1/repositories/{r}/diff/schema", repo).then()
        .statusCode(200).body("tables[0].changes.change_type", contains("renamed"))
        .body("tables[0].changes[0].object", equalTo("note"))
        .body("tables[0].changes[0].after.name", equalTo("remark"))
        .body("tables[0].changes[0].destructive", equalTo(false))
        .body("tables[0].destructive", equalTo(false))
        .body("tables[0].up", contains(containsString("RENAME COLUMN \"note\" TO \"remark\"")))
        .body("tables[0].down", contains(containsString("RENAME COLUMN \"remark\" TO \"note\"")));
    // writes name it so, through SQL on the view and through the API; the old name is refused there
    sql(pool, "update " + view + " set remark = 'sql' where id = 1");
    sql(pool, "insert into " + view + " (id, status, remark) values (3, 'new', 'inserted')");
    json().body(Map.of("status", "rest", "remark", "put")).put("/api/v1/repositories/{r}/branches/dev/tables/orders/rows/4",
        repo).then().statusCode(200).body("remark", equalTo("put"));
    json().body(Map.of("remark", "patched")).patch("/api/v1/repositories/{r}/branches/dev/tables/orders/rows/2", repo)
        .then().statusCode(200).body("remark", equalTo("patched"));
    json().body(Map.of("status", "x", "note", "n")).put("/api/v1/repositories/{r}/branches/dev/tables/orders/rows/5",
        repo).then().statusCode(422);
    json().body(List.of(Map.of("op", "upsert", "row", Map.of("id", 6, "status", "batch", "remark", "b6"))))
        .post("/api/v1/repositories/{r}/branches/dev/tables/orders/rows:batch", repo).then().statusCode(200);
    assertThat(rows(repo, "dev").getList("items.remark")).containsExactly("sql", "patched", "inserted", "put", "b6");
    assertThat(Api.rows(pool, "select string_agg(id || ':' || coalesce(note, '-'), ',' order by id) from public." + t))
        .containsExactly("1:a,2:b");

    // committed and merged by their stored name: the default branch's table keeps its name and takes the values
    String remarked = commitAll(repo, "dev", "remarks");
    json().body(Map.of("source", "dev")).post("/api/v1/repositories/{r}/branches/main/merge", repo).then()
        .statusCode(200);
    assertThat(Api.rows(pool, "select string_agg(id || ':' || coalesce(note, '-'), ',' order by id) from public." + t))
        .containsExactly("1:sql,2:patched,3:inserted,4:put,6:b6");
    assertThat(rows(repo, "main").getMap("items[0]")).containsOnlyKeys("id", "status", "note");

    // a branch of it shows the same names; renaming back shows the stored name again
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "child", "from", "dev")).statusCode(201);
    assertThat(rows(repo, "child").getMap("items[0]")).containsOnlyKeys("id", "status", "remark");
    change(repo, "dev", Map.of("operations", List.of(rename("remark", "note")))).statusCode(200)
        .body("columns.name", contains("id", "status", "note"));
    assertThat(rows(repo, "dev").getMap("items[0]")).containsOnlyKeys("id", "status", "note");
    assertThat(rows(repo, "child").getMap("items[0]")).containsOnlyKeys("id", "status", "remark");
    // the projections and the log agree
    var loaded = loader.load(repo).await().atMost(Duration.ofSeconds(10));
    var folded = loader.fold(repo).await().atMost(Duration.ofSeconds(10));
    assertThat(loaded.renamedOn("orders", "child")).isEqualTo(Map.of("note", "remark")).isEqualTo(
        folded.renamedOn("orders", "child"));
    assertThat(loaded.renamedOn("orders", "dev")).isEmpty();
    assertThat(folded.renamedOn("orders", "dev")).isEmpty();

    // a commit records the names its branch showed: its shape, a branch created there and a hard reset to it
    assertThat(given().queryParam("ref", remarked).get("/api/v1/repositories/{r}/tables/orders/schema", repo).then()
        .statusCode(200).extract().jsonPath().getList("recorded.columns.name")).containsExactly("id", "status", "remark");
    assertThat(given().queryParam("ref", remarked).get("/api/v1/repositories/{r}/tables/orders/rows", repo).then()
        .statusCode(200).extract().jsonPath().getMap("items[0]")).containsOnlyKeys("id", "status", "remark");
    json().body(Map.of("sql", "select string_agg(remark, ',' order by id) from orders", "ref", remarked))
        .post("/api/v1/repositories/{r}/query", repo).then().statusCode(200)
        .body("rows[0][0]", equalTo("sql,patched,inserted,put,b6"));
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "then", "from", remarked)).statusCode(201);
    assertThat(rows(repo, "then").getMap("items[0]")).containsOnlyKeys("id", "status", "remark");
    json().body(Map.of("to", remarked, "mode", "hard")).post("/api/v1/repositories/{r}/branches/dev/reset", repo)
        .then().statusCode(200);
    assertThat(rows(repo, "dev").getMap("items[0]")).containsOnlyKeys("id", "status", "remark");
    assertThat(rows(repo, "dev").getList("items.remark")).containsExactly("sql", "patched", "inserted", "put", "b6");
    json().body(Map.of("to", forked, "mode", "hard")).post("/api/v1/repositories/{r}/branches/dev/reset", repo)
        .then().statusCode(200);
    assertThat(rows(repo, "dev").getMap("items[0]")).containsOnlyKeys("id", "status", "note");
    assertThat(rows(repo, "dev").getList("items.note")).containsExactly("a", "b");
    for (var s : List.of(loader.load(repo), loader.fold(repo))) {
      var st = s.await().atMost(Duration.ofSeconds(10));
      assertThat(st.renamedOn("orders", "dev")).isEmpty();
      assertThat(st.renamedOn("orders", "then")).isEqualTo(Map.of("note", "remark"));
    }

    // a dropped renamed column goes by its new name
    change(repo, "child", Map.of("operations", List.of(Map.of("op", "drop_column", "name", "remark")))).statusCode(200)
        .body("columns.name", contains("id", "status"));
    assertThat(rows(repo, "child").getMap("items[0]")).containsOnlyKeys("id", "status");
  }

  private static io.restassured.response.ValidatableResponse merge(String repo, String into, Map<String, Object> body) {
    return json().body(body).post("/api/v1/repositories/{r}/branches/{b}/merge", repo, into).then();
  }

  @Test
  void aMergeCarriesARenameToAnotherBranchAndTwoRenamesOfOneColumnConflict() {
    String repo = createRepository(uniqueName("branch-rename-merge"));
    trackNew(pool, repo, "orders", "id int primary key, status text, note text", "values (1, 'new', 'a')");
    for (String b : List.of("dev", "feature", "other", "clash")) {
      post("/api/v1/repositories/" + repo + "/branches", Map.of("name", b, "from", "main")).statusCode(201);
    }
    change(repo, "dev", Map.of("operations", List.of(rename("note", "remark")))).statusCode(200);
    json().body(Map.of("remark", "dev")).patch("/api/v1/repositories/{r}/branches/dev/tables/orders/rows/1", repo)
        .then().statusCode(200);
    commitAll(repo, "dev", "remark");

    // a branch that kept the name takes the rename with the rows
    json().body(Map.of("status", "feature")).patch("/api/v1/repositories/{r}/branches/feature/tables/orders/rows/1",
        repo).then().statusCode(200);
    commitAll(repo, "feature", "status");
    merge(repo, "feature", Map.of("source", "dev")).statusCode(200);
    assertThat(rows(repo, "feature").getMap("items[0]")).containsExactlyInAnyOrderEntriesOf(
        Map.of("id", 1, "status", "feature", "remark", "dev"));

    // a branch that renamed it otherwise: schema_schema, settled by either side
    change(repo, "other", Map.of("operations", List.of(rename("note", "comment")))).statusCode(200);
    merge(repo, "other", Map.of("source", "dev")).statusCode(409).body("error", equalTo("SchemaConflict"))
        .body("details.schema_conflicts[0].type", equalTo("schema_schema"))
        .body("details.schema_conflicts[0].column", equalTo("note"))
        .body("details.schema_conflicts[0].ours.name", equalTo("comment"))
        .body("details.schema_conflicts[0].theirs.name", equalTo("remark"));
    assertThat(rows(repo, "other").getMap("items[0]")).containsOnlyKeys("id", "status", "comment");
    merge(repo, "other", Map.of("source", "dev", "schema_strategy", "ours")).statusCode(200);
    assertThat(rows(repo, "other").getMap("items[0]")).containsExactlyInAnyOrderEntriesOf(
        Map.of("id", 1, "status", "new", "comment", "dev"));

    // a name another column of the target shows: refused too, nothing changed
    change(repo, "clash", Map.of("operations", List.of(Map.of("op", "add_column", "name", "remark", "type", "text"))))
        .statusCode(200);
    merge(repo, "clash", Map.of("source", "dev")).statusCode(409).body("error", equalTo("SchemaConflict"));
    assertThat(rows(repo, "clash").getMap("items[0]")).containsOnlyKeys("id", "status", "note", "remark");

    // into the default branch: the table keeps its name, the values arrive
    merge(repo, "main", Map.of("source", "dev")).statusCode(200);
    assertThat(rows(repo, "main").getMap("items[0]")).containsExactlyInAnyOrderEntriesOf(
        Map.of("id", 1, "status", "new", "note", "dev"));
    // and the default branch merged back (it never renames): the branch keeps its name
    json().body(Map.of("status", "main")).patch("/api/v1/repositories/{r}/branches/main/tables/orders/rows/1", repo)
        .then().statusCode(200);
    commitAll(repo, "main", "main moves on");
    merge(repo, "dev", Map.of("source", "main")).statusCode(200);
    assertThat(rows(repo, "dev").getMap("items[0]")).containsExactlyInAnyOrderEntriesOf(
        Map.of("id", 1, "status", "main", "remark", "dev"));
    merge(repo, "feature", Map.of("source", Api.head(repo, "main"), "strategy", "theirs")).statusCode(200);
    assertThat(rows(repo, "feature").getMap("items[0]")).containsOnlyKeys("id", "status", "remark");
  }

  @Test
  void chainedNamesTravelWholeNamesTakenSinceGiveWayAndGeneratedColumnsFollow() {
    String repo = createRepository(uniqueName("branch-rename-chain"));
    String t = trackNew(pool, repo, "orders", "id int primary key, a text, b text, g text generated always as"
        + " (coalesce(a, '') || '+' || coalesce(b, '')) stored", "values (1, 'x', 'y')");
    for (String b : List.of("dev", "feature", "f2")) {
      post("/api/v1/repositories/" + repo + "/branches", Map.of("name", b, "from", "main")).statusCode(201);
    }
    // a chain: b shown as c, then a as b (a's old name is free by then)
    change(repo, "dev", Map.of("operations", List.of(rename("b", "c"), rename("a", "b")))).statusCode(200)
        .body("columns.name", contains("id", "b", "c", "g"));
    // the view's trigger computes the generated column over the stored names
    String view = Api.view(repo, "dev", "orders");
    sql(pool, "insert into " + view + " (id, b, c) values (2, 'p', 'q')");
    assertThat(rows(repo, "dev").getList("items.g")).containsExactly("x+y", "p+q");
    assertThat(rows(repo, "dev").getList("items.b")).containsExactly("x", "p");
    String chained = commitAll(repo, "dev", "chained names");
    // a branch of it shows the same names, the same columns under them
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "child", "from", "dev")).statusCode(201);
    assertThat(rows(repo, "child").getList("items.b")).containsExactly("x", "p");
    assertThat(rows(repo, "child").getList("items.c")).containsExactly("y", "q");
    // a merge carries the chain whole
    merge(repo, "feature", Map.of("source", "dev")).statusCode(200);
    assertThat(rows(repo, "feature").getList("items.b")).containsExactly("x", "p");
    assertThat(rows(repo, "feature").getList("items.c")).containsExactly("y", "q");

    // the table takes the name c by DDL: a branch created at the commit since reads the table's c, so it shows
    // the chained names only where no column has them (no broken view, no 500), and so does a hard reset to it
    sql(pool, "alter table public." + t + " add column c text");
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> given()
        .get("/api/v1/repositories/{r}/tables/orders", repo).then().body("columns", org.hamcrest.Matchers.hasSize(5)));
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "late", "from", chained)).statusCode(201);
    assertThat(rows(repo, "late").getMap("items[0]")).containsOnlyKeys("id", "a", "b", "c", "g");
    json().body(Map.of("to", chained, "mode", "hard")).post("/api/v1/repositories/{r}/branches/late/reset", repo)
        .then().statusCode(200);
    assertThat(rows(repo, "late").getMap("items[0]")).containsOnlyKeys("id", "a", "b", "c", "g");
    assertThat(rows(repo, "late").getList("items.a")).containsExactly("x", "p");
    // reads at the commit show its names (its columns had no c of the table's then)
    assertThat(given().queryParam("ref", chained).get("/api/v1/repositories/{r}/tables/orders/rows", repo).then()
        .statusCode(200).extract().jsonPath().getList("items.b")).containsExactly("x", "p");

    // a column given by a merge that meets a name the target shows: a schema conflict, nothing changed
    change(repo, "f2", Map.of("operations", List.of(rename("a", "x")))).statusCode(200);
    change(repo, "child", Map.of("operations", List.of(Map.of("op", "add_column", "name", "x", "type", "text"))))
        .statusCode(200);
    merge(repo, "f2", Map.of("source", "child")).statusCode(409).body("error", equalTo("SchemaConflict"));
    assertThat(rows(repo, "f2").getMap("items[0]")).containsOnlyKeys("id", "x", "b", "g");
  }

  @Test
  void aConflictOnARenamedColumnIsResolvedByTheNameTheBranchShows() {
    String repo = createRepository(uniqueName("branch-rename-resolve"));
    trackNew(pool, repo, "orders", "id int primary key, status text, note text", "values (1, 'new', 'a')");
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "dev", "from", "main")).statusCode(201);
    change(repo, "dev", Map.of("operations", List.of(rename("note", "remark")))).statusCode(200);
    json().body(Map.of("remark", "dev")).patch("/api/v1/repositories/{r}/branches/dev/tables/orders/rows/1", repo)
        .then().statusCode(200);
    commitAll(repo, "dev", "dev's remark");
    json().body(Map.of("note", "main")).patch("/api/v1/repositories/{r}/branches/main/tables/orders/rows/1", repo)
        .then().statusCode(200);
    commitAll(repo, "main", "main's note");
    merge(repo, "dev", Map.of("source", "main")).statusCode(409);
    json().body(Map.of("table", "orders", "field", "remark", "take", "theirs"))
        .post("/api/v1/repositories/{r}/branches/dev/merge/resolutions", repo).then().statusCode(200);
    json().body(Map.of()).post("/api/v1/repositories/{r}/branches/dev/merge/continue", repo).then().statusCode(201);
    assertThat(rows(repo, "dev").getList("items.remark")).containsExactly("main");
  }

  @Test
  void whatCannotBeRenamedIsRefusedBeforeAnythingChanges() {
    String repo = createRepository(uniqueName("branch-rename-refused"));
    trackNew(pool, repo, "orders", "id int primary key, status text, note text", "values (1, 'new', 'a')");
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "dev", "from", "main")).statusCode(201);
    int events = given().queryParam("limit", 1000).get("/api/v1/repositories/{r}/events", repo).then()
        .extract().jsonPath().getList("items").size();
    change(repo, "main", Map.of("operations", List.of(rename("note", "remark")))).statusCode(422);
    change(repo, "dev", Map.of("operations", List.of(rename("id", "ident")))).statusCode(422)
        .body("message", containsString("primary key"));
    change(repo, "dev", Map.of("operations", List.of(rename("nope", "remark")))).statusCode(422);
    change(repo, "dev", Map.of("operations", List.of(rename("note", "status")))).statusCode(422)
        .body("message", containsString("already"));
    change(repo, "dev", Map.of("operations", List.of(rename("note", "Bad\"Name")))).statusCode(422);
    change(repo, "dev", Map.of("operations", List.of(rename("note", "__strata")))).statusCode(422);
    change(repo, "dev", Map.of("operations", List.of(rename("note", "x".repeat(64))))).statusCode(422);
    change(repo, "dev", Map.of("operations", List.of(rename("note\u0000", "remark")))).statusCode(422);
    change(repo, "dev", Map.of("operations", List.of(Map.of("op", "rename_column", "name", "note")))).statusCode(422);
    change(repo, "dev", Map.of("operations", List.of(rename("note", "remark"), Map.of("op", "drop_column", "name",
        "status")))).statusCode(422);
    change(repo, "dev", Map.of("operations", List.of(rename("note", "remark"), rename("remark", "note2"))))
        .statusCode(422).body("message", containsString("twice"));
    change(repo, "dev", Map.of("operations", List.of(rename("note", "remark")), "validate_only", true)).statusCode(200)
        .body("validate_only", equalTo(true));
    assertThat(given().queryParam("limit", 1000).get("/api/v1/repositories/{r}/events", repo).then()
        .extract().jsonPath().getList("items")).hasSize(events);
    assertThat(rows(repo, "dev").getMap("items[0]")).containsOnlyKeys("id", "status", "note");

    // a name another column shows, or the stored name of a column shown otherwise, is not added nor taken
    change(repo, "dev", Map.of("operations", List.of(rename("note", "remark")))).statusCode(200);
    change(repo, "dev", Map.of("operations", List.of(Map.of("op", "add_column", "name", "remark", "type", "text"))))
        .statusCode(422);
    change(repo, "dev", Map.of("operations", List.of(Map.of("op", "add_column", "name", "note", "type", "text"))))
        .statusCode(422);
    change(repo, "dev", Map.of("operations", List.of(Map.of("op", "drop_column", "name", "note")))).statusCode(422);
  }
}
