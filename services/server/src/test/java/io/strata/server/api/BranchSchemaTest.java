package io.strata.server.api;

import static io.restassured.RestAssured.given;
import static io.strata.server.api.Api.createRepository;
import static io.strata.server.api.Api.json;
import static io.strata.server.api.Api.post;
import static io.strata.server.api.Api.sql;
import static io.strata.server.api.Api.trackNew;
import static io.strata.server.api.Api.uniqueName;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.strata.events.TableColumn;
import io.strata.events.TableShape;
import io.strata.server.TestDatabaseResource;
import io.strata.server.application.RepositoryStateLoader;
import io.strata.server.domain.RepositoryState;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Columns added on a branch through Strata ({@code POST …/branches/{branch}/tables/{table}/schema}):
 * defined by the table's database before anything changes, zero-copy (the table is not touched; rows the
 * branch has not written read the column's default), written, read, committed and isolated like the
 * branch's other columns; every refusal is a 4xx that changes nothing.
 */
@QuarkusTest
@WithTestResource(value = TestDatabaseResource.class, scope = TestResourceScope.GLOBAL)
class BranchSchemaTest {
  @Inject Pool pool;
  @Inject RepositoryStateLoader loader;

  private static JsonPath rows(String repo, String ref, boolean working) {
    return given().queryParam("ref", ref).queryParam("working", working)
        .get("/api/v1/repositories/{r}/tables/orders/rows", repo).then().statusCode(200).extract().jsonPath();
  }

  private static io.restassured.response.ValidatableResponse change(String repo, String branch, Object body) {
    return json().body(body).post("/api/v1/repositories/{r}/branches/{b}/tables/orders/schema", repo, branch).then();
  }

  private static Map<String, Object> addColumn(String name, String type, Boolean nullable, Object dflt) {
    Map<String, Object> op = new HashMap<>();
    op.put("op", "add_column");
    op.put("name", name);
    op.put("type", type);
    if (nullable != null) {
      op.put("nullable", nullable);
    }
    if (dflt != null) {
      op.put("default", dflt);
    }
    return op;
  }

  private static String commitAll(String repo, String branch, String message) {
    return json().body(Map.of("message", message, "all", true))
        .post("/api/v1/repositories/{r}/branches/{b}/commits", repo, branch).then().statusCode(201).extract().path("id");
  }

  private static int eventCount(String repo) {
    return given().queryParam("limit", 1000).get("/api/v1/repositories/{r}/events", repo).then().statusCode(200)
        .extract().jsonPath().getList("items").size();
  }

  private RepositoryState state(String repo, boolean folded) {
    return (folded ? loader.fold(repo) : loader.load(repo)).await().atMost(Duration.ofSeconds(10));
  }

  private static Map<String, Object> dropColumn(String name) {
    return Map.of("op", "drop_column", "name", name);
  }

  @Test
  void aBranchsShapeIsUnchangedWhereItMeansTheSameAsItsHeadsRecord() {
    String repo = createRepository(uniqueName("branch-same"));
    // two tables tracked under the names they have in the database
    String a = uniqueName("shape_a").replace('-', '_');
    String b = uniqueName("shape_b").replace('-', '_');
    for (String t : List.of(a, b)) {
      sql(pool, "create table public." + t + " (id int primary key, status text not null, qty int)");
      sql(pool, "insert into public." + t + " values (1, 'new', 1)");
      post("/api/v1/repositories/" + repo + "/tables", Map.of("name", t, "location", "postgresql://local/public." + t))
          .statusCode(201);
    }
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "dev", "from", "main")).statusCode(201);
    String path = "/api/v1/repositories/{r}/branches/dev/tables/" + a + "/schema";
    // a column added and dropped again: the branch reads the table's columns, as at its head
    json().body(Map.of("operations", List.of(addColumn("note", "text", null, null)))).post(path, repo).then()
        .statusCode(200);
    json().body(Map.of("operations", List.of(dropColumn("note")))).post(path, repo).then().statusCode(200);
    given().get("/api/v1/repositories/{r}/branches/dev/status", repo).then().statusCode(200)
        .body("clean", equalTo(true));
    // one of the table's own dropped on the branch is a change of that table alone
    json().body(Map.of("operations", List.of(dropColumn("qty")))).post(path, repo).then().statusCode(200);
    given().get("/api/v1/repositories/{r}/branches/dev/status", repo).then().statusCode(200)
        .body("clean", equalTo(false))
        .body("tables.find { it.table == '" + a + "' }.schema_changed", equalTo(true))
        .body("tables.find { it.table == '" + b + "' }.schema_changed", equalTo(false));
    json().body(Map.of("message", "without qty", "all", true))
        .post("/api/v1/repositories/{r}/branches/dev/commits", repo).then().statusCode(201);
    given().get("/api/v1/repositories/{r}/branches/dev/status", repo).then().body("clean", equalTo(true));

    // the table gains a column on the default branch while a branch forked before reads it: the branch keeps its
    // columns, which are its head's, and has changed nothing
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "old", "from", "main")).statusCode(201);
    sql(pool, "alter table public." + b + " add column region text");
    json().body(Map.of("message", "region", "allow_empty", true))
        .post("/api/v1/repositories/{r}/branches/main/commits", repo).then().statusCode(201);
    given().get("/api/v1/repositories/{r}/branches/old/status", repo).then().statusCode(200)
        .body("clean", equalTo(true));
    json().body(Map.of("message", "nothing")).post("/api/v1/repositories/{r}/branches/old/commits", repo).then()
        .statusCode(422).body("details.field", equalTo("allow_empty"));
  }

  @Test
  void aCommitRecordsTheShapeChangesOfTheTablesItTakesAndLeavesTheOthersWorking() {
    String repo = createRepository(uniqueName("branch-shape-staged"));
    trackNew(pool, repo, "orders", "id int primary key, status text not null", "values (1, 'new')");
    trackNew(pool, repo, "notes", "id int primary key, body text", "values (1, 'hi')");
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "dev", "from", "main")).statusCode(201);
    change(repo, "dev", Map.of("operations", List.of(addColumn("region", "text", null, "eu")))).statusCode(200);
    json().body(Map.of("operations", List.of(addColumn("tag", "text", null, null))))
        .post("/api/v1/repositories/{r}/branches/dev/tables/notes/schema", repo).then().statusCode(200);
    // a REST write stages its row of orders: a commit of the staged changes takes orders' rows and shape only
    json().body(Map.of("status", "packed", "region", "us"))
        .put("/api/v1/repositories/{r}/branches/dev/tables/orders/rows/1", repo).then().statusCode(200);
    String staged = json().body(Map.of("message", "orders with regions"))
        .post("/api/v1/repositories/{r}/branches/dev/commits", repo).then().statusCode(201).extract().path("id");
    JsonPath status = given().get("/api/v1/repositories/{r}/branches/dev/status", repo).then().statusCode(200)
        .extract().jsonPath();
    assertThat(status.getBoolean("clean")).isFalse();
    assertThat(status.getBoolean("tables.find { it.table == 'orders' }.schema_changed")).isFalse();
    assertThat(status.getBoolean("tables.find { it.table == 'notes' }.schema_changed")).isTrue();
    // a table made on the branch, and dropped again, is a commit of that table alone: notes' change stays working
    String place = "made_" + repo.replace('-', '_');
    post("/api/v1/repositories/" + repo + "/branches/dev/tables", Map.of("name", "extras", "location",
        "postgresql://local/public." + place, "columns", List.of(Map.of("name", "id", "type", "bigint", "nullable",
        false)), "primary_key", List.of("id"))).statusCode(201);
    given().delete("/api/v1/repositories/{r}/branches/dev/tables/extras", repo).then().statusCode(204);
    given().get("/api/v1/repositories/{r}/branches/dev/status", repo).then().statusCode(200)
        .body("tables.find { it.table == 'notes' }.schema_changed", equalTo(true));
    staged = Api.head(repo, "dev");
    assertThat(given().queryParam("ref", staged).get("/api/v1/repositories/{r}/tables/orders/schema", repo).then()
        .statusCode(200).extract().jsonPath().getList("recorded.columns.name")).contains("region");
    assertThat(given().queryParam("ref", staged).get("/api/v1/repositories/{r}/tables/notes/schema", repo).then()
        .statusCode(200).extract().jsonPath().getList("recorded.columns.name")).doesNotContain("tag");
    // a hard reset to it keeps orders' column and gives notes the shape it had then
    json().body(Map.of("to", staged, "mode", "hard")).post("/api/v1/repositories/{r}/branches/dev/reset", repo)
        .then().statusCode(200);
    assertThat(Api.rows(pool, "select string_agg(attname, ',' order by attnum) from pg_attribute where attrelid = '"
        + Api.view(repo, "dev", "notes") + "'::regclass and attnum > 0 and not attisdropped")).containsExactly("id,body");
    given().get("/api/v1/repositories/{r}/branches/dev/status", repo).then().statusCode(200)
        .body("clean", equalTo(true));
    assertThat(rows(repo, "dev", false).getList("items.region")).containsExactly("us");
    // added again, then committed by naming the table (a shape alone: no allow_empty), or with all
    json().body(Map.of("operations", List.of(addColumn("tag", "text", null, null))))
        .post("/api/v1/repositories/{r}/branches/dev/tables/notes/schema", repo).then().statusCode(200);
    String named = json().body(Map.of("message", "tags", "tables", List.of("notes")))
        .post("/api/v1/repositories/{r}/branches/dev/commits", repo).then().statusCode(201).extract().path("id");
    assertThat(given().queryParam("ref", named).get("/api/v1/repositories/{r}/tables/notes/schema", repo).then()
        .statusCode(200).extract().jsonPath().getList("recorded.columns.name")).contains("tag");
    assertThat(given().queryParam("ref", named).get("/api/v1/repositories/{r}/tables/orders/schema", repo).then()
        .statusCode(200).extract().jsonPath().getList("recorded.columns.name")).contains("region");
    given().get("/api/v1/repositories/{r}/branches/dev/status", repo).then().statusCode(200)
        .body("clean", equalTo(true));
    RepositoryState live = state(repo, false);
    assertThat(live.addedOn("notes", "dev")).isEqualTo(state(repo, true).addedOn("notes", "dev"));
  }

  /** The columns a table has at {@code ref} as its record shows them. */
  private static List<String> recordedColumns(String repo, String table, String ref) {
    return given().queryParam("ref", ref).get("/api/v1/repositories/{r}/tables/{t}/schema", repo, table).then()
        .statusCode(200).extract().jsonPath().getList("recorded.columns.name");
  }

  @Test
  void aMergeRecordsTheShapesOfTheTablesItChangesAndTheTargetsOtherShapeChangesStayWorking() {
    String repo = createRepository(uniqueName("merge-shape-staged"));
    trackNew(pool, repo, "orders", "id int primary key, status text not null", "values (1, 'new'), (2, 'new')");
    trackNew(pool, repo, "notes", "id int primary key, body text", "values (1, 'hi')");
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "dev", "from", "main")).statusCode(201);
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "feature", "from", "main")).statusCode(201);
    change(repo, "feature", Map.of("operations", List.of(addColumn("region", "text", null, "eu")))).statusCode(200);
    json().body(Map.of("status", "packed", "region", "us"))
        .put("/api/v1/repositories/{r}/branches/feature/tables/orders/rows/1", repo).then().statusCode(200);
    commitAll(repo, "feature", "regions");
    // dev's own shape change of notes, not committed
    json().body(Map.of("operations", List.of(addColumn("tag", "text", null, null))))
        .post("/api/v1/repositories/{r}/branches/dev/tables/notes/schema", repo).then().statusCode(200);

    // a merge that commits at once records orders' shape (it changed it) and keeps notes' record of dev's head
    String merged = json().body(Map.of("source", "feature")).post("/api/v1/repositories/{r}/branches/dev/merge", repo)
        .then().statusCode(200).body("conflicts", equalTo(0)).extract().path("commit");
    assertThat(merged).isNotNull();
    assertThat(recordedColumns(repo, "orders", merged)).contains("region");
    assertThat(recordedColumns(repo, "notes", merged)).doesNotContain("tag");
    JsonPath status = given().get("/api/v1/repositories/{r}/branches/dev/status", repo).then().statusCode(200)
        .extract().jsonPath();
    assertThat(status.getBoolean("tables.find { it.table == 'orders' }.schema_changed")).isFalse();
    assertThat(status.getBoolean("tables.find { it.table == 'notes' }.schema_changed")).isTrue();

    // a merge that stops on conflicts, concluded by continue: the same
    change(repo, "feature", Map.of("operations", List.of(addColumn("priority", "int", null, 0)))).statusCode(200);
    json().body(Map.of("status", "theirs", "priority", 5))
        .put("/api/v1/repositories/{r}/branches/feature/tables/orders/rows/2", repo).then().statusCode(200);
    commitAll(repo, "feature", "priorities");
    json().body(Map.of("status", "ours"))
        .put("/api/v1/repositories/{r}/branches/dev/tables/orders/rows/2", repo).then().statusCode(200);
    json().body(Map.of("message", "ours", "tables", List.of("orders")))
        .post("/api/v1/repositories/{r}/branches/dev/commits", repo).then().statusCode(201);
    json().body(Map.of("source", "feature")).post("/api/v1/repositories/{r}/branches/dev/merge", repo).then()
        .statusCode(409);
    json().body(Map.of("take", "theirs")).post("/api/v1/repositories/{r}/branches/dev/merge/resolutions", repo)
        .then().statusCode(200);
    String continued = json().body(Map.of()).post("/api/v1/repositories/{r}/branches/dev/merge/continue", repo)
        .then().statusCode(201).extract().path("id");
    assertThat(recordedColumns(repo, "orders", continued)).contains("region", "priority");
    assertThat(recordedColumns(repo, "notes", continued)).doesNotContain("tag");
    given().get("/api/v1/repositories/{r}/branches/dev/status", repo).then().statusCode(200)
        .body("tables.find { it.table == 'notes' }.schema_changed", equalTo(true))
        .body("tables.find { it.table == 'orders' }.schema_changed", equalTo(false));
    // a hard reset to the merge keeps its columns and gives notes the shape it had at dev's head
    json().body(Map.of("to", continued, "mode", "hard")).post("/api/v1/repositories/{r}/branches/dev/reset", repo)
        .then().statusCode(200);
    given().get("/api/v1/repositories/{r}/branches/dev/status", repo).then().statusCode(200)
        .body("clean", equalTo(true));
    assertThat(rows(repo, "dev", false).getList("items.priority")).containsExactlyInAnyOrder(0, 5);
  }

  @Test
  void aRebasedBranchsStepsRecordItsShapesAndARetriedMergeRecordsWhatAnAbortedOneGaveTheTarget() {
    String repo = createRepository(uniqueName("rebase-shape"));
    trackNew(pool, repo, "orders", "id int primary key, status text not null", "values (1, 'new')");
    trackNew(pool, repo, "notes", "id int primary key, body text", "values (1, 'hi')");
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "dev", "from", "main")).statusCode(201);
    // a commit of a shape alone, then one of another table's rows
    change(repo, "dev", Map.of("operations", List.of(addColumn("region", "text", null, "eu")))).statusCode(200);
    json().body(Map.of("message", "regions", "tables", List.of("orders")))
        .post("/api/v1/repositories/{r}/branches/dev/commits", repo).then().statusCode(201);
    json().body(Map.of("body", "dev")).put("/api/v1/repositories/{r}/branches/dev/tables/notes/rows/2", repo).then()
        .statusCode(200);
    commitAll(repo, "dev", "a note");
    json().body(Map.of("status", "main")).put("/api/v1/repositories/{r}/branches/main/tables/orders/rows/2", repo)
        .then().statusCode(200);
    commitAll(repo, "main", "main moves on");
    json().body(Map.of("onto", "main")).post("/api/v1/repositories/{r}/branches/dev/rebase", repo).then()
        .statusCode(200);
    given().get("/api/v1/repositories/{r}/branches/dev/status", repo).then().statusCode(200)
        .body("clean", equalTo(true));
    assertThat(recordedColumns(repo, "orders", Api.head(repo, "dev"))).contains("region");

    // a merge that stops, aborted, leaves the column it carried; the merge again records it
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "feature", "from", "dev")).statusCode(201);
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "target", "from", "dev")).statusCode(201);
    change(repo, "feature", Map.of("operations", List.of(addColumn("priority", "int", null, 0)))).statusCode(200);
    json().body(Map.of("body", "theirs")).put("/api/v1/repositories/{r}/branches/feature/tables/notes/rows/1", repo)
        .then().statusCode(200);
    commitAll(repo, "feature", "priorities, and a note");
    json().body(Map.of("body", "ours")).put("/api/v1/repositories/{r}/branches/target/tables/notes/rows/1", repo)
        .then().statusCode(200);
    commitAll(repo, "target", "our note");
    json().body(Map.of("source", "feature")).post("/api/v1/repositories/{r}/branches/target/merge", repo).then()
        .statusCode(409);
    json().body(Map.of()).post("/api/v1/repositories/{r}/branches/target/merge/abort", repo).then().statusCode(204);
    String merged = json().body(Map.of("source", "feature", "strategy", "theirs"))
        .post("/api/v1/repositories/{r}/branches/target/merge", repo).then().statusCode(200).extract().path("commit");
    assertThat(recordedColumns(repo, "orders", merged)).contains("region", "priority");
    given().get("/api/v1/repositories/{r}/branches/target/status", repo).then().statusCode(200)
        .body("tables.find { it.table == 'orders' }.schema_changed", equalTo(false));
  }

  @Test
  void aShapeChangeOnABranchIsAWorkingChangeItsStatusShowsAndACommitOfItsTableRecordsWithoutAllowEmpty() {
    String repo = createRepository(uniqueName("branch-status"));
    trackNew(pool, repo, "orders", "id int primary key, status text not null", "values (1, 'new')");
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "dev", "from", "main")).statusCode(201);
    given().get("/api/v1/repositories/{r}/branches/dev/status", repo).then().statusCode(200)
        .body("clean", equalTo(true)).body("tables[0].schema_changed", equalTo(false));
    change(repo, "dev", Map.of("operations", List.of(addColumn("region", "text", null, null)))).statusCode(200);
    given().get("/api/v1/repositories/{r}/branches/dev/status", repo).then().statusCode(200)
        .body("clean", equalTo(false)).body("tables[0].schema_changed", equalTo(true));
    // staged like rows: a commit of the staged changes (none) leaves it; one naming the table takes it
    json().body(Map.of("message", "nothing staged")).post("/api/v1/repositories/{r}/branches/dev/commits", repo)
        .then().statusCode(422).body("message", containsString("name the tables"));
    String commit = json().body(Map.of("message", "a region column", "tables", List.of("orders")))
        .post("/api/v1/repositories/{r}/branches/dev/commits", repo).then().statusCode(201).extract().path("id");
    given().get("/api/v1/repositories/{r}/branches/dev/status", repo).then().statusCode(200)
        .body("clean", equalTo(true)).body("tables[0].schema_changed", equalTo(false));
    assertThat(given().queryParam("ref", commit).get("/api/v1/repositories/{r}/tables/orders/schema", repo).then()
        .statusCode(200).extract().jsonPath().getList("recorded.columns.name")).contains("region");
    // nothing changed since: refused as any empty commit
    json().body(Map.of("message", "again")).post("/api/v1/repositories/{r}/branches/dev/commits", repo).then()
        .statusCode(422).body("details.field", equalTo("allow_empty"));
    // a shape changed and changed back is no change
    change(repo, "dev", Map.of("operations", List.of(addColumn("note", "text", null, null)))).statusCode(200);
    change(repo, "dev", Map.of("operations", List.of(dropColumn("note")))).statusCode(200);
    given().get("/api/v1/repositories/{r}/branches/dev/status", repo).then().statusCode(200)
        .body("clean", equalTo(true));
  }

  @Test
  void aColumnAddedOnABranchIsDroppedAgainAndTheMergeBringsOnlyTheOthers() {
    String repo = createRepository(uniqueName("branch-drop"));
    String t = trackNew(pool, repo, "orders", "id int primary key, status text not null",
        "values (1, 'new'), (2, 'new'), (3, 'new')");
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "dev", "from", "main")).statusCode(201);
    change(repo, "dev", Map.of("operations", List.of(addColumn("region", "text", false, "eu"),
        addColumn("wieght", "integer", null, null)))).statusCode(200);
    String view = Api.view(repo, "dev", "orders");
    sql(pool, "update " + view + " set region = 'us', wieght = 7 where id = 1");
    sql(pool, "create role " + repo.replace('-', '_') + "_reader; grant select on " + view + " to "
        + repo.replace('-', '_') + "_reader");
    String withTypo = commitAll(repo, "dev", "regions, and a typo");

    // refused, nothing changed: a column of the table, one the branch lacks, a mix of kinds, a name twice,
    // the default branch, a drop carrying a definition
    int events = eventCount(repo);
    change(repo, "dev", Map.of("operations", List.of(dropColumn("id")))).statusCode(422)
        .body("message", containsString("primary key"));
    change(repo, "dev", Map.of("operations", List.of(dropColumn("nope")))).statusCode(422)
        .body("message", containsString("has no column 'nope'"));
    change(repo, "dev", Map.of("operations", List.of(dropColumn("wieght"), addColumn("weight", "integer", null, null))))
        .statusCode(422).body("message", containsString("one kind of operation"));
    change(repo, "dev", Map.of("operations", List.of(dropColumn("wieght"), dropColumn("wieght")))).statusCode(422);
    change(repo, "main", Map.of("operations", List.of(dropColumn("wieght")))).statusCode(422);
    change(repo, "dev", Map.of("operations", List.of(Map.of("op", "drop_column", "name", "wieght", "type", "int"))))
        .statusCode(422);
    sql(pool, "create view public." + t + "_dep as select id, region from " + view);
    change(repo, "dev", Map.of("operations", List.of(dropColumn("wieght")))).statusCode(422)
        .body("message", containsString("other objects depend on it"));
    sql(pool, "drop view public." + t + "_dep");
    change(repo, "dev", Map.of("operations", List.of(dropColumn("wieght")), "validate_only", true)).statusCode(200)
        .body("dropped", org.hamcrest.Matchers.contains("wieght"))
        .body("columns.name", org.hamcrest.Matchers.contains("id", "status", "region", "wieght"));
    assertThat(eventCount(repo)).isEqualTo(events);

    // dropped: the branch's view, rows and queries lose it; its privileges stay; the table is not touched
    change(repo, "dev", Map.of("operations", List.of(dropColumn("wieght")))).statusCode(200)
        .body("dropped", org.hamcrest.Matchers.contains("wieght")).body("added", org.hamcrest.Matchers.empty())
        .body("columns.name", org.hamcrest.Matchers.contains("id", "status", "region"));
    assertThat(eventCount(repo)).isEqualTo(events + 1);
    JsonPath dev = rows(repo, "dev", true);
    assertThat(dev.getMap("items[0]")).containsOnlyKeys("id", "status", "region");
    assertThat(dev.getList("items.region")).containsExactly("us", "eu", "eu");
    assertThat(Api.rows(pool, "select string_agg(attname, ',' order by attnum) from pg_attribute where attrelid = '"
        + view + "'::regclass and attnum > 0")).containsExactly("id,status,region");
    assertThat(Api.rows(pool, "select has_table_privilege('" + repo.replace('-', '_') + "_reader', '" + view
        + "', 'select')::text")).containsExactly("true");
    assertThat(Api.rows(pool, "select string_agg(attname, ',' order by attnum) from pg_attribute where attrelid = 'public."
        + t + "'::regclass and attnum > 0 and not attisdropped")).containsExactly("id,status");
    json().body(Map.of("sql", "select string_agg(region, ',' order by id) from orders", "ref", "dev", "working", true))
        .post("/api/v1/repositories/{r}/query", repo).then().statusCode(200).body("rows[0][0]", equalTo("us,eu,eu"));
    json().body(Map.of("sql", "select count(*) from orders", "ref", withTypo)).post("/api/v1/repositories/{r}/query", repo)
        .then().statusCode(200).body("rows[0][0]", equalTo(3));
    sql(pool, "insert into " + view + " (id, status) values (4, 'sql')");
    json().body(Map.of("status", "rest", "wieght", 1))
        .put("/api/v1/repositories/{r}/branches/dev/tables/orders/rows/5", repo).then().statusCode(422);
    // the same name again, of another type
    change(repo, "dev", Map.of("operations", List.of(addColumn("wieght", "numeric(6,2)", null, 0.5)))).statusCode(200);
    assertThat(rows(repo, "dev", true).getList("items.wieght", Float.class)).containsExactly(0.5f, 0.5f, 0.5f, 0.5f);
    change(repo, "dev", Map.of("operations", List.of(dropColumn("wieght")))).statusCode(200);
    commitAll(repo, "dev", "without the typo");
    RepositoryState live = state(repo, false);
    assertThat(live.addedOn("orders", "dev")).extracting(TableShape.Column::name).containsExactly("region");
    assertThat(state(repo, true).addedOn("orders", "dev")).isEqualTo(live.addedOn("orders", "dev"));

    // the promotion brings the column left, not the one dropped
    json().body(Map.of("source", "dev")).post("/api/v1/repositories/{r}/branches/main/merge", repo).then()
        .statusCode(200);
    assertThat(Api.rows(pool, "select string_agg(attname, ',' order by attnum) from pg_attribute where attrelid = 'public."
        + t + "'::regclass and attnum > 0 and not attisdropped")).containsExactly("id,status,region");
    assertThat(Api.rows(pool, "select string_agg(id || ':' || region, ',' order by id) from public." + t))
        .containsExactly("1:us,2:eu,3:eu,4:eu");

    // dropping every column it added gives the branch the table's row type back
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "tmp", "from", "main")).statusCode(201);
    change(repo, "tmp", Map.of("operations", List.of(addColumn("note", "text", null, null)))).statusCode(200);
    change(repo, "tmp", Map.of("operations", List.of(dropColumn("note")))).statusCode(200)
        .body("columns.name", org.hamcrest.Matchers.contains("id", "status", "region"));
    sql(pool, "update " + Api.view(repo, "tmp", "orders") + " set status = 'tmp' where id = 2");
    assertThat(rows(repo, "tmp", true).getList("items.status")).containsExactly("new", "tmp", "new", "sql");
    json().body(Map.of("sql", "select string_agg(status, ',' order by id) from orders", "ref", "tmp", "working", true))
        .post("/api/v1/repositories/{r}/query", repo).then().statusCode(200).body("rows[0][0]", equalTo("new,tmp,new,sql"));
    commitAll(repo, "tmp", "tmp");
    given().queryParam("force", true).delete("/api/v1/repositories/{r}/branches/tmp", repo).then().statusCode(204);
  }

  private static Map<String, Object> alterColumn(String name, String type, Boolean nullable) {
    Map<String, Object> op = new HashMap<>();
    op.put("op", "alter_column");
    op.put("name", name);
    if (type != null) {
      op.put("type", type);
    }
    if (nullable != null) {
      op.put("nullable", nullable);
    }
    return op;
  }

  private static String typeOf(JsonPath schema, String column) {
    return schema.getString("recorded.columns.find { it.name == '" + column + "' }.type");
  }

  @Test
  void aColumnGivenBackByAResetKeepsItsPlaceWhenTheTableGainsAnotherWhileTheBranchReadsIt() {
    String repo = createRepository(uniqueName("branch-drop-own-back"));
    String t = trackNew(pool, repo, "orders", "id int primary key, note text, status text not null",
        "values (1, 'a', 'new'), (2, 'b', 'new')");
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "dev", "from", "main")).statusCode(201);
    String forked = Api.head(repo, "dev");
    change(repo, "dev", Map.of("operations", List.of(dropColumn("note")))).statusCode(200);
    commitAll(repo, "dev", "no notes");
    // given back by a hard reset (Strata's objects of the branch hold it after status now), then the table gains a
    // column while dev reads the table's columns: dev keeps id, note, status, in the table's order
    json().body(Map.of("to", forked, "mode", "hard")).post("/api/v1/repositories/{r}/branches/dev/reset", repo).then()
        .statusCode(200);
    sql(pool, "alter table public." + t + " add column region text");
    org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).until(() -> given()
        .get("/api/v1/repositories/{r}/tables/orders", repo).then().extract().jsonPath().getList("columns").size() == 4);
    for (boolean working : List.of(true, false)) {
      json().body(Map.of("sql", "select * from orders order by id", "ref", "dev", "working", working))
          .post("/api/v1/repositories/{r}/query", repo).then().statusCode(200)
          .body("columns", org.hamcrest.Matchers.contains("id", "note", "status"))
          .body("rows[0]", org.hamcrest.Matchers.contains(1, "a", "new"));
    }
    assertThat(rows(repo, "dev", true).getList("items.note")).containsExactly("a", "b");
    json().body(Map.of("note", "x")).patch("/api/v1/repositories/{r}/branches/dev/tables/orders/rows/1", repo)
        .then().statusCode(200);
    assertThat(Api.rows(pool, "select id || ':' || note || ':' || status from " + Api.view(repo, "dev", "orders")
        + " order by id")).containsExactly("1:x:new", "2:b:new");
  }

  @Test
  void aColumnOfTheTableIsDroppedOnABranchOnlyThereAndItsHistoryAndResetsKeepIt() {
    String repo = createRepository(uniqueName("branch-drop-own"));
    String t = trackNew(pool, repo, "orders", "id int primary key, status text not null, note text",
        "values (1, 'new', 'a'), (2, 'new', 'b'), (3, 'new', null)");
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "dev", "from", "main")).statusCode(201);
    String forked = Api.head(repo, "dev");
    json().body(Map.of("note", "x")).patch("/api/v1/repositories/{r}/branches/dev/tables/orders/rows/1", repo)
        .then().statusCode(200);
    String noted = commitAll(repo, "dev", "a note");
    // SQL queries of the branch and of its commits, before the drop (the query role's functions made)
    json().body(Map.of("sql", "select string_agg(note, ',' order by id) from orders", "ref", "dev", "working", true))
        .post("/api/v1/repositories/{r}/query", repo).then().statusCode(200).body("rows[0][0]", equalTo("x,b"));

    change(repo, "dev", Map.of("operations", List.of(dropColumn("note")))).statusCode(200)
        .body("dropped", org.hamcrest.Matchers.contains("note"))
        .body("columns.name", org.hamcrest.Matchers.contains("id", "status"));
    // the branch reads and writes without it; the table and the default branch keep it, untouched
    assertThat(rows(repo, "dev", true).getMap("items[0]")).containsOnlyKeys("id", "status");
    String view = Api.view(repo, "dev", "orders");
    assertThat(Api.rows(pool, "select string_agg(attname, ',' order by attnum) from pg_attribute where attrelid = '"
        + view + "'::regclass and attnum > 0")).containsExactly("id,status");
    sql(pool, "insert into " + view + " (id, status) values (4, 'sql')");
    json().body(Map.of("status", "rest")).put("/api/v1/repositories/{r}/branches/dev/tables/orders/rows/5", repo)
        .then().statusCode(200);
    json().body(Map.of("status", "rest", "note", "n")).put("/api/v1/repositories/{r}/branches/dev/tables/orders/rows/6",
        repo).then().statusCode(422);
    sql(pool, "update " + view + " set status = 'done' where id = 2");
    assertThat(Api.rows(pool, "select string_agg(id || ':' || status || ':' || coalesce(note, '-'), ',' order by id)"
        + " from public." + t)).containsExactly("1:new:a,2:new:b,3:new:-");
    assertThat(rows(repo, "main", true).getList("items.note")).containsExactly("a", "b", null);
    String dropped = commitAll(repo, "dev", "no notes");
    json().body(Map.of("sql", "select string_agg(status, ',' order by id) from orders", "ref", "dev", "working", true))
        .post("/api/v1/repositories/{r}/query", repo).then().statusCode(200)
        .body("rows[0][0]", equalTo("new,done,new,sql,rest"));
    json().body(Map.of("sql", "select count(*) from orders", "ref", noted)).post("/api/v1/repositories/{r}/query", repo)
        .then().statusCode(200).body("rows[0][0]", equalTo(3));
    json().body(Map.of("sql", "select note from orders", "ref", "dev", "working", true))
        .post("/api/v1/repositories/{r}/query", repo).then().statusCode(422);
    assertThat(rows(repo, "dev", false).getList("items.status")).containsExactly("new", "done", "new", "sql", "rest");

    // the shapes at the commits: the column before the drop, not after
    assertThat(given().queryParam("ref", noted).get("/api/v1/repositories/{r}/tables/orders/schema", repo).then()
        .statusCode(200).extract().jsonPath().getList("recorded.columns.name")).containsExactly("id", "status", "note");
    assertThat(given().queryParam("ref", dropped).get("/api/v1/repositories/{r}/tables/orders/schema", repo).then()
        .statusCode(200).extract().jsonPath().getList("recorded.columns.name")).containsExactly("id", "status");
    // (rows read at a commit are read through the branch's objects, in the columns it has now)
    assertThat(rows(repo, noted, false).getList("items.id")).containsExactly(1, 2, 3);
    assertThat(rows(repo, dropped, false).getMap("items[0]")).containsOnlyKeys("id", "status");
    // the schema diff flags the drop as destructive
    given().queryParam("from", "main").queryParam("to", "dev").get("/api/v1/repositories/{r}/diff/schema", repo).then()
        .statusCode(200).body("tables[0].changes.object", org.hamcrest.Matchers.contains("note"))
        .body("tables[0].changes[0].change_type", equalTo("removed"))
        .body("tables[0].changes[0].destructive", equalTo(true));

    // a hard reset to a commit before the drop gives the column back, with the values the branch had then:
    // rows deleted since, and rows with working changes, too
    sql(pool, "delete from " + view + " where id = 2");
    commitAll(repo, "dev", "no second order");
    sql(pool, "update " + view + " set status = 'wip' where id = 1");
    json().body(Map.of("to", noted, "mode", "hard")).post("/api/v1/repositories/{r}/branches/dev/reset", repo).then()
        .statusCode(200);
    JsonPath back = rows(repo, "dev", true);
    assertThat(back.getList("items.id")).containsExactly(1, 2, 3);
    assertThat(back.getList("items.note")).containsExactly("x", "b", null);
    assertThat(back.getList("items.status")).containsExactly("new", "new", "new");
    assertThat(state(repo, false).columnsOn("orders", "dev")).extracting(TableColumn::name)
        .containsExactly("id", "status", "note");
    assertThat(state(repo, true).columnsOn("orders", "dev")).isEqualTo(state(repo, false).columnsOn("orders", "dev"));
    json().body(Map.of("sql", "select string_agg(coalesce(note, '-'), ',' order by id) from orders", "ref", "dev",
        "working", true)).post("/api/v1/repositories/{r}/query", repo).then().statusCode(200)
        .body("rows[0][0]", equalTo("x,b,-"));
    // and forward again: without it, the rows as they were
    json().body(Map.of("to", dropped, "mode", "hard")).post("/api/v1/repositories/{r}/branches/dev/reset", repo).then()
        .statusCode(200);
    assertThat(rows(repo, "dev", true).getMap("items[0]")).containsOnlyKeys("id", "status");
    assertThat(rows(repo, "dev", true).getList("items.status")).containsExactly("new", "done", "new", "sql", "rest");
    // back to the fork point, a commit of the default branch: the table's columns and rows
    json().body(Map.of("to", forked, "mode", "hard")).post("/api/v1/repositories/{r}/branches/dev/reset", repo).then()
        .statusCode(200);
    assertThat(rows(repo, "dev", true).getList("items.note")).containsExactly("a", "b", null);
    assertThat(rows(repo, "dev", true).getList("items.status")).containsExactly("new", "new", "new");
    sql(pool, "update " + Api.view(repo, "dev", "orders") + " set note = 'y' where id = 2");
    assertThat(rows(repo, "dev", true).getList("items.note")).containsExactly("a", "y", null);
    given().delete("/api/v1/repositories/{r}/branches/dev/working", repo).then().statusCode(204);
    json().body(Map.of("to", dropped, "mode", "hard")).post("/api/v1/repositories/{r}/branches/dev/reset", repo).then()
        .statusCode(200);
    assertThat(rows(repo, "dev", true).getList("items.status")).containsExactly("new", "done", "new", "sql", "rest");
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "again", "from", noted)).statusCode(201);
    assertThat(rows(repo, "again", true).getList("items.note")).containsExactly("x", "b", null);
    // a branch created from dev, or from its commit after the drop, does not read the column either
    for (String from : List.of("dev", dropped)) {
      String child = "child" + from.length();
      post("/api/v1/repositories/" + repo + "/branches", Map.of("name", child, "from", from)).statusCode(201);
      assertThat(rows(repo, child, true).getMap("items[0]")).containsOnlyKeys("id", "status");
      assertThat(rows(repo, child, true).getList("items.status")).containsExactly("new", "done", "new", "sql", "rest");
      assertThat(state(repo, false).columnsOn("orders", child)).extracting(TableColumn::name)
          .containsExactly("id", "status");
      assertThat(state(repo, true).columnsOn("orders", child)).isEqualTo(state(repo, false).columnsOn("orders", child));
      assertThat(Api.rows(pool, "select string_agg(attname, ',' order by attnum) from pg_attribute where attrelid = '"
          + Api.view(repo, child, "orders") + "'::regclass and attnum > 0")).containsExactly("id,status");
    }
    // a branch that reads the column, reset to a commit made without it, drops it too
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "qa", "from", "main")).statusCode(201);
    json().body(Map.of("to", dropped, "mode", "hard")).post("/api/v1/repositories/{r}/branches/qa/reset", repo).then()
        .statusCode(200);
    assertThat(rows(repo, "qa", true).getMap("items[0]")).containsOnlyKeys("id", "status");
    assertThat(rows(repo, "qa", true).getList("items.status")).containsExactly("new", "done", "new", "sql", "rest");
    assertThat(state(repo, true).columnsOn("orders", "qa")).isEqualTo(state(repo, false).columnsOn("orders", "qa"));

    // merged into the default branch: the table keeps its column (a merge drops no column of the table), the
    // rows the branch inserted read its default there
    json().body(Map.of("source", "dev", "fast_forward", "only")).post("/api/v1/repositories/{r}/branches/main/merge",
        repo).then().statusCode(409);
    json().body(Map.of("source", "dev")).post("/api/v1/repositories/{r}/branches/main/merge", repo).then()
        .statusCode(200).body("fast_forward", equalTo(false));
    assertThat(Api.head(repo, "main")).isNotEqualTo(dropped);
    // and the branch takes main's rows again (their merge base is its own commit, made without the column)
    sql(pool, "update public." + t + " set status = 'main' where id = 3");
    commitAll(repo, "main", "main moves on");
    json().body(Map.of("source", "main")).post("/api/v1/repositories/{r}/branches/dev/merge", repo).then()
        .statusCode(200);
    assertThat(rows(repo, "dev", false).getMap("items[2]")).isEqualTo(Map.of("id", 3, "status", "main"));
    assertThat(given().queryParam("ref", "main").get("/api/v1/repositories/{r}/tables/orders/schema", repo).then()
        .statusCode(200).extract().jsonPath().getList("recorded.columns.name")).containsExactly("id", "status", "note");
    assertThat(Api.rows(pool, "select string_agg(id || ':' || status || ':' || coalesce(note, '-'), ',' order by id)"
        + " from public." + t)).containsExactly("1:new:x,2:done:b,3:main:-,4:sql:-,5:rest:-");
    assertThat(state(repo, false).tables().get("orders").columns()).extracting(TableColumn::name)
        .containsExactly("id", "status", "note");

    // a NOT NULL column dropped: the overlay keeps the NOT NULL rule of the table's others
    String two = createRepository(uniqueName("branch-drop-required"));
    trackNew(pool, two, "orders", "id int primary key, status text not null default 'new', qty integer not null",
        "values (1, 'new', 1)");
    post("/api/v1/repositories/" + two + "/branches", Map.of("name", "slim", "from", "main")).statusCode(201);
    // a NOT NULL column the table fills for no row: the branch's inserts could never be merged
    change(two, "slim", Map.of("operations", List.of(dropColumn("qty")))).statusCode(422)
        .body("message", containsString("without a default"));
    change(two, "slim", Map.of("operations", List.of(dropColumn("status")))).statusCode(200);
    String slim = Api.view(two, "slim", "orders");
    sql(pool, "insert into " + slim + " (id, qty) values (7, 3)");
    assertThat(rows(two, "slim", true).getList("items.qty")).containsExactly(1, 3);
    // a column in the middle given back by a reset takes its place again: the branch reads the table's columns
    String slimForked = Api.head(two, "slim");
    commitAll(two, "slim", "no status");
    json().body(Map.of("to", slimForked, "mode", "hard")).post("/api/v1/repositories/{r}/branches/slim/reset", two)
        .then().statusCode(200);
    assertThat(state(two, false).hasOwnColumns("orders", "slim")).isFalse();
    assertThat(Api.rows(pool, "select string_agg(attname, ',' order by attnum) from pg_attribute where attrelid = '"
        + Api.view(two, "slim", "orders") + "'::regclass and attnum > 0")).containsExactly("id,status,qty");
    assertThat(rows(two, "slim", true).getList("items.status")).containsExactly("new");
    change(two, "slim", Map.of("operations", List.of(dropColumn("status")))).statusCode(200);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> sql(pool, "insert into " + slim + " (id, qty) values (8, null)"))
        .hasMessageContaining("check");
  }

  @Test
  void aBranchThatDroppedAColumnOfTheTableTakesTheDefaultBranchsRowsAndPassesTheDropOn() {
    String repo = createRepository(uniqueName("branch-drop-sync"));
    String t = trackNew(pool, repo, "orders", "id int primary key, status text not null, note text",
        "values (1, 'new', 'a'), (2, 'new', 'b'), (3, 'new', null)");
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "dev", "from", "main")).statusCode(201);
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "qa", "from", "main")).statusCode(201);
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "ops", "from", "main")).statusCode(201);
    change(repo, "dev", Map.of("operations", List.of(dropColumn("note")))).statusCode(200);
    sql(pool, "update " + Api.view(repo, "dev", "orders") + " set status = 'dev' where id = 1");
    commitAll(repo, "dev", "no notes");

    // the default branch moves on without touching the column's values: dev takes its rows, without the column
    sql(pool, "update public." + t + " set status = 'main' where id = 3");
    sql(pool, "insert into public." + t + " values (4, 'main', 'd')");
    commitAll(repo, "main", "more orders");
    json().body(Map.of("source", "main")).post("/api/v1/repositories/{r}/branches/dev/merge", repo).then()
        .statusCode(200);
    JsonPath dev = rows(repo, "dev", false);
    assertThat(dev.getList("items.status")).containsExactly("dev", "new", "main", "main");
    assertThat(dev.getMap("items[3]")).containsOnlyKeys("id", "status");
    // values the default branch changed in the column since: a schema_data conflict, unless ours settles it
    sql(pool, "update public." + t + " set note = 'changed' where id = 2");
    commitAll(repo, "main", "a note changed");
    int events = eventCount(repo);
    json().body(Map.of("source", "main")).post("/api/v1/repositories/{r}/branches/dev/merge", repo).then()
        .statusCode(409).body("error", equalTo("SchemaConflict"))
        .body("details.schema_conflicts[0].type", equalTo("schema_data"))
        .body("details.schema_conflicts[0].column", equalTo("note"));
    assertThat(eventCount(repo)).isEqualTo(events);
    json().body(Map.of("source", "main", "schema_strategy", "ours"))
        .post("/api/v1/repositories/{r}/branches/dev/merge", repo).then().statusCode(200);
    assertThat(rows(repo, "dev", false).getMap("items[1]")).isEqualTo(Map.of("id", 2, "status", "new"));
    // a commit of the default branch cherry-picked onto it: its rows arrive without the column
    sql(pool, "insert into public." + t + " values (5, 'picked', 'p')");
    String pick = commitAll(repo, "main", "one to pick");
    json().body(Map.of("commit", pick)).post("/api/v1/repositories/{r}/branches/dev/cherry-pick", repo).then()
        .statusCode(201);
    assertThat(rows(repo, "dev", false).getMap("items[4]")).isEqualTo(Map.of("id", 5, "status", "picked"));

    // merged into another branch that reads the column: it is dropped there too, zero-copy, with dev's rows
    json().body(Map.of("source", "dev")).post("/api/v1/repositories/{r}/branches/qa/merge", repo).then()
        .statusCode(200);
    assertThat(state(repo, false).columnsOn("orders", "qa")).extracting(TableColumn::name)
        .containsExactly("id", "status");
    assertThat(rows(repo, "qa", false).getList("items.status")).containsExactly("dev", "new", "main", "main", "picked");
    assertThat(Api.rows(pool, "select string_agg(attname, ',' order by attnum) from pg_attribute where attrelid = '"
        + Api.view(repo, "qa", "orders") + "'::regclass and attnum > 0")).containsExactly("id,status");
    // a branch that changed the column's values since the base: a schema_data conflict, unless ours keeps it
    sql(pool, "update " + Api.view(repo, "ops", "orders") + " set note = 'ops' where id = 1");
    commitAll(repo, "ops", "an ops note");
    json().body(Map.of("source", "dev")).post("/api/v1/repositories/{r}/branches/ops/merge", repo).then()
        .statusCode(409).body("details.schema_conflicts[0].type", equalTo("schema_data"));
    assertThat(state(repo, false).columnsOn("orders", "ops")).extracting(TableColumn::name)
        .containsExactly("id", "status", "note");
    json().body(Map.of("source", "dev", "schema_strategy", "ours"))
        .post("/api/v1/repositories/{r}/branches/ops/merge", repo).then().statusCode(200);
    assertThat(rows(repo, "ops", false).getList("items.note")).containsExactly("ops", "changed", null, "d", "p");
    assertThat(rows(repo, "ops", false).getList("items.status")).containsExactly("dev", "new", "main", "main", "picked");
  }

  @Test
  void aColumnAddedOnABranchChangesTypeAndNullabilityThereAndTravelsWithItsHistory() {
    String repo = createRepository(uniqueName("branch-alter"));
    String t = trackNew(pool, repo, "orders", "id int primary key, status text not null",
        "values (1, 'new'), (2, 'new'), (3, 'new')");
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "dev", "from", "main")).statusCode(201);
    change(repo, "dev", Map.of("operations", List.of(addColumn("score", "integer", null, 0),
        addColumn("note", "text", null, null)))).statusCode(200);
    String view = Api.view(repo, "dev", "orders");
    sql(pool, "update " + view + " set score = 7 where id = 1");
    sql(pool, "update " + view + " set note = 'x' where id = 2");
    String reader = repo.replace('-', '_') + "_alter_reader";
    sql(pool, "create role " + reader + "; grant select on " + view + " to " + reader);
    String narrow = commitAll(repo, "dev", "scores");

    // refused, nothing changed: the table's column in a type its values do not keep, one the branch lacks, a default, the default branch, a
    // type that is none, a value the branch wrote that does not convert, NOT NULL without a default, no
    // change at all, a mix of kinds, nothing asked
    int events = eventCount(repo);
    change(repo, "dev", Map.of("operations", List.of(alterColumn("status", "varchar(1)", null)))).statusCode(422)
        .body("message", containsString("is not one"));
    change(repo, "dev", Map.of("operations", List.of(alterColumn("nope", "bigint", null)))).statusCode(422)
        .body("message", containsString("has no column 'nope'"));
    Map<String, Object> withDefault = alterColumn("score", "bigint", null);
    withDefault.put("default", 1);
    change(repo, "dev", Map.of("operations", List.of(withDefault))).statusCode(422)
        .body("details.field", equalTo("operations[0].default"));
    change(repo, "main", Map.of("operations", List.of(alterColumn("score", "bigint", null)))).statusCode(422);
    change(repo, "dev", Map.of("operations", List.of(alterColumn("score", "bigintt", null)))).statusCode(422)
        .body("message", containsString("does not exist"));
    change(repo, "dev", Map.of("operations", List.of(alterColumn("score", "bigint; drop table x", null))))
        .statusCode(422).body("details.field", equalTo("operations[0].type"));
    change(repo, "dev", Map.of("operations", List.of(alterColumn("note", "integer", null)))).statusCode(422)
        .body("message", containsString("do not take the change"));
    change(repo, "dev", Map.of("operations", List.of(alterColumn("note", null, false)))).statusCode(422)
        .body("message", containsString("needs a default"));
    change(repo, "dev", Map.of("operations", List.of(alterColumn("score", "integer", true)))).statusCode(422)
        .body("message", containsString("nothing to change"));
    change(repo, "dev", Map.of("operations", List.of(alterColumn("score", "bigint", null), dropColumn("note"))))
        .statusCode(422).body("message", containsString("one kind of operation"));
    change(repo, "dev", Map.of("operations", List.of(Map.of("op", "alter_column", "name", "score")))).statusCode(422);
    change(repo, "dev", Map.of("operations", List.of(alterColumn("score", "bigint", false)), "validate_only", true))
        .statusCode(200).body("altered[0].type", equalTo("bigint")).body("altered[0].nullable", equalTo(false));
    assertThat(eventCount(repo)).isEqualTo(events);
    assertThat(Api.rows(pool, "select format_type(atttypid, atttypmod) from pg_attribute where attrelid = '" + view
        + "'::regclass and attname = 'note'")).containsExactly("text");

    // altered: the branch's rows converted, the rows it did not write read the converted default, values the
    // old type could not hold fit now, NOT NULL holds; its privileges stay; the table is not touched
    change(repo, "dev", Map.of("operations", List.of(alterColumn("score", "bigint", false)))).statusCode(200)
        .body("altered[0].name", equalTo("score")).body("altered[0].type", equalTo("bigint"))
        .body("columns.find { it.name == 'score' }.type", equalTo("bigint"))
        .body("columns.find { it.name == 'score' }.nullable", equalTo(false));
    assertThat(eventCount(repo)).isEqualTo(events + 1);
    assertThat(rows(repo, "dev", true).getList("items.score", Long.class)).containsExactly(7L, 0L, 0L);
    sql(pool, "insert into " + view + " (id, status, score) values (4, 'big', 9000000000)");
    sql(pool, "insert into " + view + " (id, status) values (5, 'defaulted')");
    assertThat(Api.rows(pool, "select string_agg(id || ':' || score, ',' order by id) from " + view))
        .containsExactly("1:7,2:0,3:0,4:9000000000,5:0");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> sql(pool, "update " + view + " set score = null where id = 2"))
        .hasMessageContaining("strata_required_score");
    assertThat(Api.rows(pool, "select has_table_privilege('" + reader + "', '" + view + "', 'select')::text"))
        .containsExactly("true");
    assertThat(Api.rows(pool, "select string_agg(attname, ',' order by attnum) from pg_attribute where attrelid = 'public."
        + t + "'::regclass and attnum > 0 and not attisdropped")).containsExactly("id,status");
    json().body(Map.of("sql", "select sum(score)::text from orders", "ref", "dev", "working", true))
        .post("/api/v1/repositories/{r}/query", repo).then().statusCode(200).body("rows[0][0]", equalTo("9000000007"));
    List<Map<String, Object>> altered = given().queryParam("types", "io.strata.table.branch_schema_changed.v6")
        .queryParam("limit", 100).get("/api/v1/repositories/{r}/events", repo).then().statusCode(200).extract()
        .jsonPath().getList("items.findAll { it.data.operations[0].op == 'alter_column' }.data");
    assertThat(altered).hasSize(1);
    assertThat(altered.get(0)).extracting(d -> ((List<?>) d.get("added")).size()).isEqualTo(2);
    // nullable again
    change(repo, "dev", Map.of("operations", List.of(alterColumn("score", null, true)))).statusCode(200);
    sql(pool, "update " + view + " set score = null where id = 5");
    String wide = commitAll(repo, "dev", "a big score");
    RepositoryState live = state(repo, false);
    assertThat(live.addedOn("orders", "dev")).isEqualTo(state(repo, true).addedOn("orders", "dev"));
    assertThat(live.addedOn("orders", "dev").get(0).type()).isEqualTo("bigint");

    // the shapes at the commits, and a hard reset to each: the columns as they were then, with the rows
    assertThat(typeOf(given().queryParam("ref", narrow).get("/api/v1/repositories/{r}/tables/orders/schema", repo)
        .then().statusCode(200).extract().jsonPath(), "score")).isEqualTo("integer");
    json().body(Map.of("to", narrow, "mode", "hard")).post("/api/v1/repositories/{r}/branches/dev/reset", repo).then()
        .statusCode(200);
    assertThat(Api.rows(pool, "select format_type(atttypid, atttypmod) from pg_attribute where attrelid = '" + view
        + "'::regclass and attname = 'score'")).containsExactly("integer");
    assertThat(rows(repo, "dev", true).getList("items.score", Long.class)).containsExactly(7L, 0L, 0L);
    json().body(Map.of("to", wide, "mode", "hard")).post("/api/v1/repositories/{r}/branches/dev/reset", repo).then()
        .statusCode(200);
    assertThat(Api.rows(pool, "select string_agg(id || ':' || coalesce(score::text, '-'), ',' order by id) from " + view))
        .containsExactly("1:7,2:0,3:0,4:9000000000,5:-");

    // a branch of it has the column as it is now; the promotion gives the table the new definition
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "child", "from", "dev")).statusCode(201);
    assertThat(Api.rows(pool, "select format_type(atttypid, atttypmod) from pg_attribute where attrelid = '"
        + Api.view(repo, "child", "orders") + "'::regclass and attname = 'score'")).containsExactly("bigint");
    json().body(Map.of("source", "dev")).post("/api/v1/repositories/{r}/branches/main/merge", repo).then()
        .statusCode(200);
    assertThat(Api.rows(pool, "select format_type(atttypid, atttypmod) from pg_attribute where attrelid = 'public."
        + t + "'::regclass and attname = 'score'")).containsExactly("bigint");
    assertThat(Api.rows(pool, "select string_agg(id || ':' || coalesce(score::text, '-'), ',' order by id) from public."
        + t)).containsExactly("1:7,2:0,3:0,4:9000000000,5:-");
  }

  @Test
  void anAlterationThatWouldChangeAValueOrCouldNotBeUndoneIsRefusedAndResetsUndoThem() {
    String repo = createRepository(uniqueName("branch-alter-refused"));
    trackNew(pool, repo, "orders", "id int primary key, status text not null",
        "values (1, 'new'), (2, 'new'), (3, 'new')");
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "w", "from", "main")).statusCode(201);
    change(repo, "w", Map.of("operations", List.of(addColumn("n", "integer", null, 0),
        addColumn("amount", "numeric", null, null), addColumn("code", "varchar(10)", null, null),
        addColumn("label", "text", null, "abcdefgh"), addColumn("d", "integer", null, null)))).statusCode(200);
    String view = Api.view(repo, "w", "orders");
    sql(pool, "update " + view + " set amount = 1.5, code = 'xyzxyzxyz' where id = 1");
    sql(pool, "update " + view + " set n = null where id = 2");
    String x = commitAll(repo, "w", "values");
    int events = eventCount(repo);

    // types of the server's internals; no cast back; values or a default that would read otherwise; an
    // unknown column named as such
    for (String type : List.of("pg_node_tree", "aclitem", "gtsvector", "pg_ndistinct", "int2vector")) {
      change(repo, "w", Map.of("operations", List.of(alterColumn("n", type, null)))).statusCode(422)
          .body("message", containsString("is not one a branch's column may have"));
    }
    change(repo, "w", Map.of("operations", List.of(alterColumn("d", "money", null)))).statusCode(422)
        .body("message", containsString("no cast back"));
    change(repo, "w", Map.of("operations", List.of(alterColumn("n", "money", null)))).statusCode(422)
        .body("message", containsString("its default reads 0 as integer"));
    change(repo, "w", Map.of("operations", List.of(alterColumn("amount", "integer", null)))).statusCode(422)
        .body("message", containsString("would read otherwise"));
    change(repo, "w", Map.of("operations", List.of(alterColumn("code", "varchar(2)", null)))).statusCode(422)
        .body("message", containsString("would read otherwise"));
    change(repo, "w", Map.of("operations", List.of(alterColumn("label", "varchar(2)", null)))).statusCode(422)
        .body("message", containsString("its default reads"));
    change(repo, "w", Map.of("operations", List.of(alterColumn("nope", "bigint", null)))).statusCode(422)
        .body("message", containsString("has no column 'nope'"));
    // a null the working log would bring back; NOT NULL without a default
    change(repo, "w", Map.of("operations", List.of(alterColumn("d", null, false)))).statusCode(422)
        .body("message", containsString("needs a default"));
    sql(pool, "update " + view + " set n = 7 where id = 2");
    change(repo, "w", Map.of("operations", List.of(alterColumn("n", null, false)))).statusCode(422)
        .body("message", containsString("changed since its last commit"));
    given().delete("/api/v1/repositories/{r}/branches/w/working", repo).then().statusCode(204);
    assertThat(eventCount(repo)).isEqualTo(events + 1); // the discard's
    assertThat(rows(repo, "w", true).getList("items.amount", Float.class)).containsExactly(1.5f, null, null);
    assertThat(rows(repo, "w", true).getList("items.code")).containsExactly("xyzxyzxyz", null, null);

    // widening keeps every value; NOT NULL relaxed before a reset's rows move, tightened after
    change(repo, "w", Map.of("operations", List.of(alterColumn("code", "varchar(20)", null)))).statusCode(200);
    sql(pool, "update " + view + " set n = 5");
    commitAll(repo, "w", "n set");
    change(repo, "w", Map.of("operations", List.of(alterColumn("n", null, false)))).statusCode(200);
    json().body(Map.of("to", x, "mode", "hard")).post("/api/v1/repositories/{r}/branches/w/reset", repo).then()
        .statusCode(200);
    assertThat(rows(repo, "w", true).getList("items.n")).containsExactly(0, null, 0);
    assertThat(state(repo, false).addedOn("orders", "w")).filteredOn(c -> c.name().equals("n"))
        .singleElement().satisfies(c -> assertThat(c.nullable()).isTrue());
    assertThat(Api.rows(pool, "select format_type(atttypid, atttypmod) from pg_attribute where attrelid = '" + view
        + "'::regclass and attname = 'code'")).containsExactly("character varying(10)");

    // a column dropped and added again with another default is not an alteration: the reset gives back the
    // commit's column, whose rows read its default
    change(repo, "w", Map.of("operations", List.of(dropColumn("label")))).statusCode(200);
    change(repo, "w", Map.of("operations", List.of(addColumn("label", "text", null, "zz")))).statusCode(200);
    assertThat(rows(repo, "w", true).getList("items.label")).containsExactly("zz", "zz", "zz");
    json().body(Map.of("to", x, "mode", "hard")).post("/api/v1/repositories/{r}/branches/w/reset", repo).then()
        .statusCode(200);
    assertThat(rows(repo, "w", true).getList("items.label")).containsExactly("abcdefgh", "abcdefgh", "abcdefgh");
  }

  @Test
  void aColumnAddedOnABranchIsReadWrittenAndCommittedThereWithoutTouchingTheTable() {
    String repo = createRepository(uniqueName("branch-schema"));
    String t = trackNew(pool, repo, "orders", "id int primary key, status text not null",
        "values (1, 'new'), (2, 'new'), (3, 'new')");
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "dev", "from", "main")).statusCode(201);
    json().body(Map.of("status", "dev")).put("/api/v1/repositories/{r}/branches/dev/tables/orders/rows/2", repo)
        .then().statusCode(200);

    change(repo, "dev", Map.of("operations", List.of(addColumn("region", "text", false, "eu"),
            addColumn("weight", "numeric(6,2)", null, null))))
        .statusCode(200)
        .body("added[0].type", equalTo("text")).body("added[0].default_value", equalTo("'eu'::text"))
        .body("added[1].type", equalTo("numeric(6,2)")).body("added[1].nullable", equalTo(true))
        .body("columns.name", org.hamcrest.Matchers.contains("id", "status", "region", "weight"));

    // the table is not touched; the branch reads the columns: its own row keeps its status, all read the default
    assertThat(Api.rows(pool, "select string_agg(attname, ',' order by attnum) from pg_attribute where attrelid = 'public."
        + t + "'::regclass and attnum > 0 and not attisdropped")).containsExactly("id,status");
    JsonPath dev = rows(repo, "dev", true);
    assertThat(dev.getList("items.status")).containsExactly("new", "dev", "new");
    assertThat(dev.getList("items.region")).containsExactly("eu", "eu", "eu");
    assertThat(dev.getList("items.weight")).containsExactly(null, null, null);
    assertThat(rows(repo, "main", true).getMap("items[0]")).containsOnlyKeys("id", "status");

    // the schema diff names the columns and the migration that promotes them
    given().queryParam("from", "main").queryParam("to", "dev").get("/api/v1/repositories/{r}/diff/schema", repo).then()
        .statusCode(200).body("tables[0].changes.object", org.hamcrest.Matchers.contains("region", "weight"))
        .body("tables[0].changes.change_type", org.hamcrest.Matchers.everyItem(equalTo("added")))
        .body("tables[0].up[0]", containsString("ADD COLUMN \"region\" text DEFAULT 'eu'::text NOT NULL"));
    // written through REST and SQL on the branch; an insert through its view takes the column's default
    json().body(Map.of("status", "dev", "region", "apac", "weight", 1.5))
        .put("/api/v1/repositories/{r}/branches/dev/tables/orders/rows/4", repo).then().statusCode(200);
    json().body(Map.of("region", "us")).patch("/api/v1/repositories/{r}/branches/dev/tables/orders/rows/1", repo)
        .then().statusCode(200);
    sql(pool, "insert into " + Api.view(repo, "dev", "orders") + " (id, status) values (5, 'sql')");
    sql(pool, "update " + Api.view(repo, "dev", "orders") + " set weight = 2 where id = 3");
    Map<String, Object> noRegion = new HashMap<>();
    noRegion.put("status", "x");
    noRegion.put("region", null);
    json().body(noRegion)
        .put("/api/v1/repositories/{r}/branches/dev/tables/orders/rows/6", repo).then().statusCode(422);
    // the default branch is isolated from the column and the branch from the default branch's writes
    sql(pool, "update public." + t + " set status = 'main' where id = 3");
    dev = rows(repo, "dev", true);
    assertThat(dev.getList("items.id")).containsExactly(1, 2, 3, 4, 5);
    assertThat(dev.getList("items.status")).containsExactly("new", "dev", "new", "dev", "sql");
    assertThat(dev.getList("items.region")).containsExactly("us", "eu", "eu", "apac", "eu");
    assertThat(dev.getList("items.weight", Float.class)).containsExactly(null, null, 2.0f, 1.5f, null);
    given().queryParam("ref", "dev").queryParam("working", true).queryParam("region", "eu")
        .get("/api/v1/repositories/{r}/tables/orders/rows", repo).then().statusCode(200)
        .body("items.id", org.hamcrest.Matchers.contains(2, 3, 5));
    json().body(Map.of("sql", "select string_agg(region, ',' order by id) from orders", "ref", "dev", "working", true))
        .post("/api/v1/repositories/{r}/query", repo).then().statusCode(200)
        .body("rows[0][0]", equalTo("us,eu,eu,apac,eu"));

    // committed on the branch: its head has the columns; diffs name them
    String head = commitAll(repo, "dev", "regions");
    JsonPath committed = rows(repo, head, false);
    assertThat(committed.getList("items.region")).containsExactly("us", "eu", "eu", "apac", "eu");
    given().queryParam("from", "main").queryParam("to", "dev").get("/api/v1/repositories/{r}/diff", repo).then()
        .statusCode(200).body("tables[0].inserted", equalTo(2));
    // /query at the branch's head, and at that commit once the branch moved on (read from the branch, its
    // later change undone: the branch's own state function, in its columns); at a commit made before the
    // column was added, the columns the table had then
    json().body(Map.of("region", "latam")).patch("/api/v1/repositories/{r}/branches/dev/tables/orders/rows/5", repo)
        .then().statusCode(200);
    commitAll(repo, "dev", "latam");
    String sql = "select string_agg(coalesce(region, '-'), ',' order by id) from orders";
    json().body(Map.of("sql", sql, "ref", "dev")).post("/api/v1/repositories/{r}/query", repo).then()
        .statusCode(200).body("rows[0][0]", equalTo("us,eu,eu,apac,latam"));
    for (String ref : List.of(head, "dev~1")) {
      json().body(Map.of("sql", sql, "ref", ref)).post("/api/v1/repositories/{r}/query", repo).then()
          .statusCode(200).body("rows[0][0]", equalTo("us,eu,eu,apac,eu"));
    }
    assertThat(rows(repo, head, false).getList("items.region")).containsExactly("us", "eu", "eu", "apac", "eu");
    json().body(Map.of("sql", "select * from orders order by id", "ref", "dev~2"))
        .post("/api/v1/repositories/{r}/query", repo).then().statusCode(200)
        .body("columns", org.hamcrest.Matchers.contains("id", "status"));

    // the state restored from the projections knows the columns, as the log does
    List<TableColumn> columns = List.of(new TableColumn("id", "integer", false), new TableColumn("status", "text", false),
        new TableColumn("region", "text", false), new TableColumn("weight", "numeric(6,2)", true));
    for (boolean folded : new boolean[] {false, true}) {
      RepositoryState s = state(repo, folded);
      assertThat(s.columnsOn("orders", "dev")).as("folded %s", folded).isEqualTo(columns);
      assertThat(s.addedOn("orders", "dev")).as("folded %s", folded).extracting(TableShape.Column::defaultValue)
          .containsExactly("'eu'::text", null);
    }
    List<Map<String, Object>> events = given().queryParam("types", "io.strata.table.branch_schema_changed.v6")
        .get("/api/v1/repositories/{r}/events", repo).then().statusCode(200).extract().jsonPath().getList("items");
    assertThat(events).singleElement().satisfies(e -> assertThat(e.toString()).contains("op=add_column"));

    // a branch created from dev reads dev's columns; deleted, dev's columns are forgotten
    given().queryParam("force", true).delete("/api/v1/repositories/{r}/branches/dev", repo).then().statusCode(204);
    assertThat(state(repo, false).addedOn("orders", "dev")).isEmpty();
    assertThat(state(repo, true).addedOn("orders", "dev")).isEmpty();
  }

  @Test
  void aMergeIntoTheDefaultBranchAddsTheBranchsColumnsToTheTableOnlineThenItsRows() {
    String repo = createRepository(uniqueName("branch-schema-promote"));
    String t = trackNew(pool, repo, "orders", "id int primary key, status text not null",
        "values (1, 'new'), (2, 'new'), (3, 'new')");
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "dev", "from", "main")).statusCode(201);
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "qa", "from", "main")).statusCode(201);
    change(repo, "dev", Map.of("operations", List.of(addColumn("region", "text", false, "eu")))).statusCode(200);
    json().body(Map.of("region", "us")).patch("/api/v1/repositories/{r}/branches/dev/tables/orders/rows/1", repo)
        .then().statusCode(200);
    json().body(Map.of("status", "dev", "region", "apac"))
        .put("/api/v1/repositories/{r}/branches/dev/tables/orders/rows/4", repo).then().statusCode(200);
    commitAll(repo, "dev", "regions");
    sql(pool, "update public." + t + " set status = 'main' where id = 2");
    commitAll(repo, "main", "main's work");
    String mainHead = Api.head(repo, "main");

    // a session holding the table: the ALTER waits for its lock no longer than the timeout, and nothing changes
    io.vertx.mutiny.sqlclient.SqlConnection holder = pool.getConnection().await().atMost(Duration.ofSeconds(5));
    try {
      holder.query("begin; select count(*) from public." + t).execute().await().atMost(Duration.ofSeconds(5));
      json().body(Map.of("source", "dev")).post("/api/v1/repositories/{r}/branches/main/merge", repo).then()
          .statusCode(409).body("error", equalTo("ConcurrentWrite")).body("message", containsString("stayed locked"));
    } finally {
      holder.query("rollback").execute().await().atMost(Duration.ofSeconds(5));
      holder.close().await().atMost(Duration.ofSeconds(5));
    }
    assertThat(Api.head(repo, "main")).isEqualTo(mainHead);
    assertThat(rows(repo, "main", true).getMap("items[0]")).containsOnlyKeys("id", "status");

    // the merge adds the column to the table (one ALTER TABLE, recorded), then merges the rows into it
    json().body(Map.of("source", "dev")).post("/api/v1/repositories/{r}/branches/main/merge", repo).then()
        .statusCode(200);
    assertThat(Api.rows(pool, "select format_type(atttypid, atttypmod) || ' ' || attnotnull || ' ' || pg_get_expr(d.adbin,"
        + " d.adrelid) from pg_attribute a join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum"
        + " where a.attrelid = 'public." + t + "'::regclass and a.attname = 'region'")).containsExactly("text true 'eu'::text");
    JsonPath main = rows(repo, "main", false);
    assertThat(main.getList("items.id")).containsExactly(1, 2, 3, 4);
    assertThat(main.getList("items.status")).containsExactly("new", "main", "new", "dev");
    assertThat(main.getList("items.region")).containsExactly("us", "eu", "eu", "apac");
    List<Map<String, Object>> changed = given().queryParam("types", "io.strata.table.schema_changed.v3")
        .get("/api/v1/repositories/{r}/events", repo).then().statusCode(200).extract().jsonPath().getList("items");
    assertThat(changed).singleElement().satisfies(e -> assertThat(e.toString()).contains("command=ALTER TABLE")
        .contains("migration=[ALTER TABLE \"public\".\"" + t + "\" ADD COLUMN \"region\" text DEFAULT 'eu'::text NOT NULL]")
        .contains("branch=qa, columns=[{name=id, type=integer, nullable=false}, {name=status, type=text,"
            + " nullable=false}]"));
    // a branch created before keeps its columns; dev reads the same columns as main now, and goes on
    assertThat(rows(repo, "qa", true).getMap("items[0]")).containsOnlyKeys("id", "status");
    json().body(Map.of("region", "emea")).patch("/api/v1/repositories/{r}/branches/dev/tables/orders/rows/3", repo)
        .then().statusCode(200);
    commitAll(repo, "dev", "emea");
    json().body(Map.of("source", "dev")).post("/api/v1/repositories/{r}/branches/main/merge", repo).then()
        .statusCode(200);
    assertThat(rows(repo, "main", false).getList("items.region")).containsExactly("us", "eu", "emea", "apac");
    given().queryParam("from", "main~2").queryParam("to", "main").get("/api/v1/repositories/{r}/diff/schema", repo)
        .then().statusCode(200).body("tables[0].changes[0].object", equalTo("region"));
  }

  @Test
  void addedColumnsTravelDevelopmentToStagingToProductionAndTheDefaultBranchsRowsReachTheBranch() {
    String repo = createRepository(uniqueName("branch-schema-pipeline"));
    String t = trackNew(pool, repo, "orders", "id int primary key, status text not null",
        "values (1, 'new'), (2, 'new')");
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "staging", "from", "main")).statusCode(201);
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "dev", "from", "main")).statusCode(201);
    change(repo, "dev", Map.of("operations", List.of(addColumn("region", "text", false, "eu")))).statusCode(200);
    json().body(Map.of("region", "us")).patch("/api/v1/repositories/{r}/branches/dev/tables/orders/rows/1", repo)
        .then().statusCode(200);
    commitAll(repo, "dev", "regions");

    // the default branch's rows reach the branch that added a column: the column stays as the branch has it
    sql(pool, "update public." + t + " set status = 'paid' where id = 1; insert into public." + t + " values (3, 'new')");
    commitAll(repo, "main", "paid");
    json().body(Map.of("source", "main")).post("/api/v1/repositories/{r}/branches/dev/merge", repo).then()
        .statusCode(200);
    JsonPath dev = rows(repo, "dev", false);
    assertThat(dev.getList("items.status")).containsExactly("paid", "new", "new");
    assertThat(dev.getList("items.region")).containsExactly("us", "eu", "eu");

    // into staging (another branch): it takes the column as dev did, then the rows
    json().body(Map.of("source", "dev")).post("/api/v1/repositories/{r}/branches/staging/merge", repo).then()
        .statusCode(200);
    JsonPath staging = rows(repo, "staging", false);
    assertThat(staging.getList("items.status")).containsExactly("paid", "new", "new");
    assertThat(staging.getList("items.region")).containsExactly("us", "eu", "eu");
    assertThat(state(repo, true).addedOn("orders", "staging")).extracting(TableShape.Column::name)
        .containsExactly("region");
    // and from staging into production: the table gains it online, and main's head (a merge commit, not a
    // fast-forward to commits made before the table had the column) records it
    json().body(Map.of("source", "staging", "fast_forward", "only"))
        .post("/api/v1/repositories/{r}/branches/main/merge", repo).then().statusCode(409)
        .body("error", equalTo("NotFastForward"));
    json().body(Map.of("source", "staging")).post("/api/v1/repositories/{r}/branches/main/merge", repo).then()
        .statusCode(200).body("fast_forward", equalTo(false));
    assertThat(rows(repo, "main", false).getList("items.region")).containsExactly("us", "eu", "eu");
    assertThat(Api.rows(pool, "select count(*)::text from public." + t + " where region = 'eu'")).containsExactly("2");
  }

  @Test
  void rowsOfABranchThatAddedAColumnMoveThroughItsHistoryWithTheColumn() {
    String repo = createRepository(uniqueName("branch-schema-history"));
    trackNew(pool, repo, "orders", "id int primary key, status text not null", "values (1, 'new'), (2, 'new')");
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "dev", "from", "main")).statusCode(201);
    String forked = Api.head(repo, "dev");
    change(repo, "dev", Map.of("operations", List.of(addColumn("region", "text", false, "eu")))).statusCode(200);
    // a row written through REST without the column takes its default
    json().body(Map.of("status", "rest")).put("/api/v1/repositories/{r}/branches/dev/tables/orders/rows/3", repo)
        .then().statusCode(200);
    json().body(Map.of("region", "us")).patch("/api/v1/repositories/{r}/branches/dev/tables/orders/rows/1", repo)
        .then().statusCode(200);
    String first = commitAll(repo, "dev", "regions");
    assertThat(rows(repo, "dev", false).getList("items.region")).containsExactly("us", "eu", "eu");
    // the shape at a commit has the columns its branch had added then
    assertThat(given().queryParam("ref", first).get("/api/v1/repositories/{r}/tables/orders/schema", repo).then()
        .statusCode(200).extract().jsonPath().getList("recorded.columns.name")).containsExactly("id", "status", "region");
    assertThat(given().queryParam("ref", forked).get("/api/v1/repositories/{r}/tables/orders/schema", repo).then()
        .statusCode(200).extract().jsonPath().getList("recorded.columns.name")).containsExactly("id", "status");
    json().body(Map.of("region", "apac")).patch("/api/v1/repositories/{r}/branches/dev/tables/orders/rows/2", repo)
        .then().statusCode(200);
    String second = commitAll(repo, "dev", "apac");

    // revert the second commit: its row goes back, in the branch's columns
    json().body(Map.of("commit", second)).post("/api/v1/repositories/{r}/branches/dev/revert", repo).then()
        .statusCode(201);
    assertThat(rows(repo, "dev", false).getList("items.region")).containsExactly("us", "eu", "eu");
    // cherry-pick it again
    json().body(Map.of("commit", second)).post("/api/v1/repositories/{r}/branches/dev/cherry-pick", repo).then()
        .statusCode(201);
    assertThat(rows(repo, "dev", false).getList("items.region")).containsExactly("us", "apac", "eu");
    // a stash keeps the column's values, and gives them back
    json().body(Map.of("region", "emea")).patch("/api/v1/repositories/{r}/branches/dev/tables/orders/rows/3", repo)
        .then().statusCode(200);
    post("/api/v1/repositories/" + repo + "/branches/dev/stash", Map.of("message", "emea")).statusCode(201);
    assertThat(rows(repo, "dev", true).getList("items.region")).containsExactly("us", "apac", "eu");
    post("/api/v1/repositories/" + repo + "/branches/dev/stash/0/pop", Map.of()).statusCode(200);
    assertThat(rows(repo, "dev", true).getList("items.region")).containsExactly("us", "apac", "emea");
    given().delete("/api/v1/repositories/{r}/branches/dev/working", repo).then().statusCode(204);
    // reset back to the first commit, and to before the column: the rows are the commit's, and so are the
    // columns the branch had added (a soft reset keeps them, with the working state)
    json().body(Map.of("to", first, "mode", "hard")).post("/api/v1/repositories/{r}/branches/dev/reset", repo).then()
        .statusCode(200);
    assertThat(rows(repo, "dev", false).getList("items.region")).containsExactly("us", "eu", "eu");
    json().body(Map.of("to", forked, "mode", "soft")).post("/api/v1/repositories/{r}/branches/dev/reset", repo).then()
        .statusCode(200);
    assertThat(rows(repo, "dev", true).getList("items.region")).containsExactly("us", "eu", "eu");
    json().body(Map.of("to", first, "mode", "soft")).post("/api/v1/repositories/{r}/branches/dev/reset", repo).then()
        .statusCode(200);
    String view = Api.view(repo, "dev", "orders");
    json().body(Map.of("to", forked, "mode", "hard")).post("/api/v1/repositories/{r}/branches/dev/reset", repo).then()
        .statusCode(200);
    JsonPath back = rows(repo, "dev", true);
    assertThat(back.getList("items.id")).containsExactly(1, 2);
    assertThat(back.getList("items.status")).containsExactly("new", "new");
    assertThat(back.getMap("items[0]")).containsOnlyKeys("id", "status");
    assertThat(Api.rows(pool, "select string_agg(attname, ',' order by attnum) from pg_attribute where attrelid = '"
        + view + "'::regclass and attnum > 0")).containsExactly("id,status");
    RepositoryState live = state(repo, false);
    assertThat(live.addedOn("orders", "dev")).isEmpty();
    assertThat(state(repo, true).addedOn("orders", "dev")).isEqualTo(live.addedOn("orders", "dev"));
    // and forward again: the column comes back with its definition and the values the commit had
    json().body(Map.of("to", second, "mode", "hard")).post("/api/v1/repositories/{r}/branches/dev/reset", repo).then()
        .statusCode(200);
    assertThat(rows(repo, "dev", true).getList("items.region")).containsExactly("us", "apac", "eu");
    assertThat(state(repo, false).addedOn("orders", "dev")).extracting(TableShape.Column::defaultValue)
        .containsExactly("'eu'::text");
    sql(pool, "insert into " + view + " (id, status) values (9, 'sql')");
    assertThat(rows(repo, "dev", true).getList("items.region")).containsExactly("us", "apac", "eu", "eu");
    // a column of that name added since, of another type: the reset puts the commit's back in its place
    given().delete("/api/v1/repositories/{r}/branches/dev/working", repo).then().statusCode(204);
    json().body(Map.of("to", forked, "mode", "hard")).post("/api/v1/repositories/{r}/branches/dev/reset", repo).then()
        .statusCode(200);
    change(repo, "dev", Map.of("operations", List.of(addColumn("region", "integer", null, null)))).statusCode(200);
    json().body(Map.of("to", second, "mode", "hard")).post("/api/v1/repositories/{r}/branches/dev/reset", repo).then()
        .statusCode(200);
    assertThat(state(repo, false).addedOn("orders", "dev")).extracting(TableShape.Column::type).containsExactly("text");
    assertThat(rows(repo, "dev", true).getList("items.region")).containsExactly("us", "apac", "eu");
  }

  @Test
  void whatCannotBeAddedIsRefusedBeforeAnythingChanges() {
    String repo = createRepository(uniqueName("branch-schema-refused"));
    String t = trackNew(pool, repo, "orders", "id int primary key, status text", "values (1, 'new')");
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "dev", "from", "main")).statusCode(201);
    int events = eventCount(repo);

    change(repo, "dev", Map.of("operations", List.of(addColumn("region", "texte", null, null))))
        .statusCode(422).body("message", containsString("column 'region'")).body("message", containsString("texte"));
    for (String hostile : List.of("text; drop table public." + t, "text default now()", "text) --",
        "int references public." + t, "\"text\"", "TEXT", "text collate \"C\"")) {
      change(repo, "dev", Map.of("operations", List.of(addColumn("region", hostile, null, null))))
          .statusCode(422).body("details.field", equalTo("operations[0].type"));
    }
    change(repo, "dev", Map.of("operations", List.of(addColumn("n", "integer", null, "abc"))))
        .statusCode(422).body("message", containsString("column 'n'"));
    change(repo, "dev", Map.of("operations", List.of(addColumn("code", "character varying(2)", null, "abc"))))
        .statusCode(422).body("message", containsString("too long"));
    change(repo, "dev", Map.of("operations", List.of(addColumn("xmin", "integer", null, null))))
        .statusCode(422).body("message", containsString("xmin"));
    change(repo, "dev", Map.of("operations", List.of(addColumn("__deleted", "boolean", null, null))))
        .statusCode(422).body("details.field", equalTo("operations[0].name"));
    change(repo, "dev", Map.of("operations", List.of(addColumn("Region", "text", null, null))))
        .statusCode(422).body("details.field", equalTo("operations[0].name"));
    change(repo, "dev", Map.of("operations", List.of(addColumn("status", "text", null, null))))
        .statusCode(422).body("message", containsString("has a column 'status' already"));
    change(repo, "dev", Map.of("operations", List.of(addColumn("a", "text", null, null), addColumn("a", "text", null, null))))
        .statusCode(422).body("message", containsString("added twice"));
    change(repo, "dev", Map.of("operations", List.of(addColumn("region", "text", false, null))))
        .statusCode(422).body("message", containsString("NOT NULL column needs a default"));
    // a type names a built-in type: no object identifier alias (its values print, and its default makes the
    // column depend on, whatever object they name: another tenant's table, a role), no row type, no type of
    // a schema on the server's search path (the tracked table's own row type among them)
    for (String reaching : List.of("regclass", "regclass[]", "regrole", "regnamespace", "regprocedure", "pg_class",
        "pg_authid")) {
      change(repo, "dev", Map.of("operations", List.of(addColumn("probe", reaching, null, null), addColumn("other",
          "text", null, null)), "validate_only", true))
          .statusCode(422).body("message", containsString("column 'probe'"))
          .body("message", containsString("is not one a branch's column may have"));
    }
    change(repo, "dev", Map.of("operations", List.of(addColumn("probe", t, null, null)), "validate_only", true))
        .statusCode(422).body("message", containsString("does not exist"));
    // a default that grows when the database writes it (each 1e1000 a thousand digits) is refused as written
    String growing = "{" + String.join(",", java.util.Collections.nCopies(140, "1e1000")) + "}";
    change(repo, "dev", Map.of("operations", List.of(addColumn("probe", "numeric[]", null, growing)),
        "validate_only", true)).statusCode(422).body("details.field", equalTo("operations[0].default"))
        .body("message", containsString("as the database writes it"));
    change(repo, "dev", Map.of("operations", List.of(addColumn("region", "text", null, Map.of("a", 1)))))
        .statusCode(422).body("details.field", equalTo("operations[0].default"));
    change(repo, "dev", Map.of("operations", List.of(Map.of("op", "drop_column", "name", "id"))))
        .statusCode(422).body("message", containsString("primary key"));
    change(repo, "dev", Map.of("operations", List.of(Map.of("op", "drop_column", "name", "__deleted"))))
        .statusCode(422).body("details.field", equalTo("operations[0].name"));
    for (String hostile : List.of("status\"; drop table orders; --", "x".repeat(64), "", "St\u0000tus")) {
      change(repo, "dev", Map.of("operations", List.of(Map.of("op", "drop_column", "name", hostile))))
          .statusCode(422).body("error", equalTo("ValidationError"));
    }
    change(repo, "dev", Map.of("operations", List.of(Map.of("op", "rename_column", "name", "status"))))
        .statusCode(422).body("message", containsString("new_name"));
    change(repo, "dev", Map.of("operations", List.of())).statusCode(422);
    change(repo, "dev", Map.of("operations", List.of(addColumn("region", "text", null, null)), "extra", 1))
        .statusCode(400);
    change(repo, "main", Map.of("operations", List.of(addColumn("region", "text", null, null))))
        .statusCode(422).body("message", containsString("default branch"));
    change(repo, "nope", Map.of("operations", List.of(addColumn("region", "text", null, null)))).statusCode(404);
    json().body(Map.of("operations", List.of(addColumn("region", "text", null, null))))
        .post("/api/v1/repositories/{r}/branches/dev/tables/nope/schema", repo).then().statusCode(404);
    // a NOT NULL column of a 63-character name (its overlay constraint's name is hashed past 63 bytes)
    String longName = "a".repeat(63);
    change(repo, "dev", Map.of("operations", List.of(addColumn(longName, "text", false, "x")), "validate_only", true))
        .statusCode(200).body("added[0].name", equalTo(longName));
    // checked alone: the answer, and nothing changed
    change(repo, "dev", Map.of("operations", List.of(addColumn("region", "text", null, "eu")), "validate_only", true))
        .statusCode(200).body("validate_only", equalTo(true)).body("added[0].default_value", equalTo("'eu'::text"))
        .body("columns.name", org.hamcrest.Matchers.contains("id", "status"));

    assertThat(eventCount(repo)).isEqualTo(events);
    assertThat(rows(repo, "dev", true).getMap("items[0]")).containsOnlyKeys("id", "status");
    assertThat(Api.rows(pool, "select count(*)::text from pg_class where relname like 'strata_probe%'")).containsExactly("0");

    // and added for real: the branch reads it, its rows take the default
    change(repo, "dev", Map.of("operations", List.of(addColumn(longName, "text", false, "x")))).statusCode(200);
    assertThat(rows(repo, "dev", true).getList("items." + longName)).containsExactly("x");
  }

  @Test
  void ddlStatementsAreReadIntoTheOperationsTheyMeanAndNothingIsRunAsGiven() {
    String repo = createRepository(uniqueName("branch-ddl"));
    String table = trackNew(pool, repo, "orders", "id int primary key, status text not null, amount numeric(10,2)",
        "values (1, 'new', 5), (2, 'paid', 7)");
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "dev", "from", "main")).statusCode(201);
    String view = Api.view(repo, "dev", "orders");
    // a column added, as a data engineer writes it
    change(repo, "dev", Map.of("statements", List.of("ALTER TABLE orders ADD COLUMN region VARCHAR(20) DEFAULT 'eu'"
        + " NOT NULL, ADD COLUMN note text"))).statusCode(200);
    sql(pool, "insert into " + view + " (id, status, region) values (3, 'new', 'us')");
    assertThat(Api.rows(pool, "select id || ':' || region from " + view + " order by id"))
        .containsExactly("1:eu", "2:eu", "3:us");
    // renamed, and the one it was named before is gone from the branch's view
    change(repo, "dev", Map.of("statements", List.of("alter table strata_dev.orders rename column note to remark")))
        .statusCode(200);
    // a check and an index; validate_only changes nothing
    change(repo, "dev", Map.of("statements", List.of("alter table orders add constraint positive check (amount > 0)"),
        "validate_only", true)).statusCode(200);
    sql(pool, "update " + view + " set amount = -1 where id = 3");
    sql(pool, "update " + view + " set amount = 1 where id = 3");
    change(repo, "dev", Map.of("statements", List.of("alter table orders add constraint positive check (amount > 0)")))
        .statusCode(200);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> sql(pool, "update " + view + " set amount = -1 where id = 3"))
        .hasMessageContaining("violates check constraint");
    change(repo, "dev", Map.of("statements", List.of("create index by_region on orders (region)"))).statusCode(200);
    String shape = given().get("/api/v1/repositories/{r}/branches/dev/status", repo).then().statusCode(200)
        .extract().asString();
    assertThat(shape).contains("\"schema_changed\":true");

    // what is not taken: 422 naming the statement, and nothing changed (the table, the branch's view)
    int before = eventCount(repo);
    for (String hostile : List.of("drop table orders", "alter table orders add column x int; drop table " + table,
        "alter table orders add column x int default pg_sleep(10)", "alter table orders add column x text default"
        + " 'a'; select pg_read_file('/etc/passwd')", "create index i on orders ((pg_sleep(1)::text))")) {
      change(repo, "dev", Map.of("statements", List.of(hostile))).statusCode(422)
          .body("error", equalTo("ValidationError")).body("message", containsString("statements[0]"));
    }
    change(repo, "dev", Map.of("statements", List.of("alter table orders add column x int"), "operations", List.of()))
        .statusCode(422).body("message", containsString("not both"));
    change(repo, "dev", Map.of("statements", List.of("alter table orders add column x int",
        "alter table orders drop column remark"))).statusCode(422)
        .body("message", containsString("one kind of change a request"));
    // a statement the reader takes but the branch refuses: the operation's own 422
    change(repo, "dev", Map.of("statements", List.of("alter table orders add column ok text",
        "alter table orders add column region text"))).statusCode(422)
        .body("message", containsString("region")).body("details.field", equalTo("statements[1]"));
    // read, then refused by the operation's own checks: a check calling what is not immutable, a conversion of
    // another column
    change(repo, "dev", Map.of("statements", List.of("alter table orders add constraint slow check"
        + " (pg_sleep(1) is not null)"))).statusCode(422).body("error", equalTo("ValidationError"));
    change(repo, "dev", Map.of("statements", List.of("alter table orders alter column region type text using"
        + " (select string_agg(status, ',') from orders)"))).statusCode(422);
    assertThat(eventCount(repo)).isEqualTo(before);
    assertThat(Api.rows(pool, "select count(*)::text from public." + table)).containsExactly("2");
    assertThat(Api.rows(pool, "select string_agg(column_name, ',' order by ordinal_position) from"
        + " information_schema.columns where table_name = '" + table + "'")).containsExactly("id,status,amount");
  }
}
