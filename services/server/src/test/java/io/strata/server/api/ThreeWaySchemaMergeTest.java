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
import static org.hamcrest.Matchers.nullValue;

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
 * The three-way merge of columns added through Strata (docs/schema-versioning.md, "Three-way schema
 * merge") through the API: sides that defined the same column two ways since their merge base refuse the
 * merge with 409 {@code SchemaConflict} before anything changes, listing each conflict with the base's,
 * ours' and theirs' definitions, unless {@code schema_strategy} settles them; a tag brings the columns its
 * branch had added as the branch does, and so does a cherry-pick of the commit that added them; a column
 * the target dropped since the base stays dropped, unless the source changed its values (schema_data).
 */
@QuarkusTest
@WithTestResource(value = TestDatabaseResource.class, scope = TestResourceScope.GLOBAL)
class ThreeWaySchemaMergeTest {
  @Inject Pool pool;

  private static JsonPath rows(String repo, String ref) {
    return given().queryParam("ref", ref).get("/api/v1/repositories/{r}/tables/orders/rows", repo).then()
        .statusCode(200).extract().jsonPath();
  }

  private static void addColumn(String repo, String branch, String name, String type, Object dflt) {
    Map<String, Object> op = new HashMap<>(Map.of("op", "add_column", "name", name, "type", type));
    if (dflt != null) {
      op.put("default", dflt);
    }
    json().body(Map.of("operations", List.of(op)))
        .post("/api/v1/repositories/{r}/branches/{b}/tables/orders/schema", repo, branch).then().statusCode(200);
  }

  /** Changes row {@code id} of orders on {@code branch} through REST (staged). */
  private static void patch(String repo, String branch, int id, Map<String, Object> values) {
    json().body(values).patch("/api/v1/repositories/{r}/branches/{b}/tables/orders/rows/{id}", repo, branch, id)
        .then().log().ifValidationFails().statusCode(200);
  }

  private static void commitAll(String repo, String branch) {
    json().body(Map.of("message", "work on " + branch, "all", true))
        .post("/api/v1/repositories/{r}/branches/{b}/commits", repo, branch).then().statusCode(201);
  }

  private static io.restassured.response.ValidatableResponse merge(String repo, String source, Map<String, Object> more) {
    return mergeInto(repo, "main", source, more);
  }

  /** Merges {@code source} into branch {@code target}, with the request's other fields {@code more}. */
  private static io.restassured.response.ValidatableResponse mergeInto(String repo, String target, String source,
      Map<String, Object> more) {
    Map<String, Object> body = new HashMap<>(more);
    body.put("source", source);
    return json().body(body).post("/api/v1/repositories/{r}/branches/{b}/merge", repo, target).then();
  }

  /** The schema of orders at {@code ref} (its recorded shape). */
  private static io.restassured.response.ValidatableResponse schemaAt(String repo, String ref) {
    return given().queryParam("ref", ref).get("/api/v1/repositories/{r}/tables/orders/schema", repo).then()
        .statusCode(200);
  }

  /** A query of the query endpoint at branch {@code ref}'s working state or head. */
  private static io.restassured.response.ValidatableResponse query(String repo, String sql, String ref,
      boolean working) {
    return json().body(Map.of("sql", sql, "ref", ref, "working", working)).post("/api/v1/repositories/{r}/query", repo)
        .then();
  }

  private List<String> columnTypes(String table) {
    return Api.rows(pool, "select attname || ' ' || format_type(atttypid, atttypmod) from pg_attribute where attrelid = 'public."
        + table + "'::regclass and attnum > 0 and not attisdropped order by attnum");
  }

  @Test
  void refusalsOfAMergeThatWouldGiveColumnsChangeNothingAndHoldNoConnection() {
    String repo = createRepository(uniqueName("schema-rehearsal-refusals"));
    String t = trackNew(pool, repo, "orders", "id int primary key, status text not null", "values (1, 'new')");
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "dev", "from", "main")).statusCode(201);
    addColumn(repo, "dev", "priority", "integer", 0);
    patch(repo, "dev", 1, Map.of("priority", 3));
    commitAll(repo, "dev");
    String mainHead = Api.head(repo, "main");
    // more refusals than the server's pool has connections (20): each is decided in the rehearsal, before
    // the columns are given, and gives its connection back
    for (int i = 0; i < 25; i++) {
      merge(repo, "dev", Map.of("expected_head", "0000000")).statusCode(409).body("error", equalTo("HeadMoved"));
    }
    assertThat(columnTypes(t)).as("main's table gained nothing").containsExactly("id integer", "status text");
    assertThat(Api.head(repo, "main")).isEqualTo(mainHead);
    merge(repo, "dev", Map.of()).statusCode(200);
    assertThat(columnTypes(t)).containsExactly("id integer", "status text", "priority integer");
  }

  @Test
  void aBranchThatKeptItsColumnsAndAddedOneMergesIntoMainThatGainedAnother() {
    String repo = createRepository(uniqueName("schema-kept-and-added"));
    String t = trackNew(pool, repo, "orders", "id int primary key, status text not null",
        "values (1, 'new'), (2, 'new'), (3, 'new')");
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "dev", "from", "main")).statusCode(201);
    // main's migration adds region while dev is alive (dev keeps reading id, status), then dev adds priority
    sql(pool, "alter table public." + t + " add column region text default 'eu'");
    sql(pool, "update public." + t + " set region = 'us' where id = 1");
    commitAll(repo, "main");
    String before = Api.head(repo, "main");
    addColumn(repo, "dev", "priority", "integer", 0);
    patch(repo, "dev", 1, Map.of("status", "dev", "priority", 5));
    json().body(Map.of("status", "four", "priority", 9))
        .put("/api/v1/repositories/{r}/branches/dev/tables/orders/rows/4", repo).then().statusCode(200);
    commitAll(repo, "dev");
    String onDev = Api.head(repo, "dev");

    // the rows move by name: main's region stays where dev did not have it, a row dev inserted takes its default
    String merged = merge(repo, "dev", Map.of()).statusCode(200).body("conflicts", equalTo(0)).extract().path("commit");
    assertThat(columnTypes(t)).containsExactly("id integer", "status text", "region text", "priority integer");
    assertThat(Api.rows(pool, "select id || ' ' || status || ' ' || coalesce(region, '-') || ' ' || priority"
        + " from public." + t + " order by id")).containsExactly("1 dev us 5", "2 new eu 0", "3 new eu 0",
            "4 four eu 9");
    assertThat(rows(repo, "main").getList("items.priority")).containsExactly(5, 0, 0, 9);
    // the merge commit records the rows as the table holds them (its images name every column)
    given().queryParam("from", before).queryParam("to", merged).queryParam("rows", "true")
        .get("/api/v1/repositories/{r}/diff", repo).then().statusCode(200)
        .body("changes.key", equalTo(List.of(List.of(1), List.of(4))))
        .body("changes[0].after.region", equalTo("us")).body("changes[0].after.priority", equalTo(5))
        .body("changes[1].op", equalTo("insert")).body("changes[1].after.region", equalTo("eu"))
        .body("changes[1].after.priority", equalTo(9));
    assertThat(rows(repo, merged).getList("items.region")).containsExactly("us", "eu", "eu", "eu");
    // dev's commit, in main's history now, still reads in the columns it was made in (priority, not region),
    // whether read from dev or, dev deleted, from main
    for (boolean devDeleted : List.of(false, true)) {
      if (devDeleted) {
        given().delete("/api/v1/repositories/{r}/branches/dev?force=true", repo).then().statusCode(204);
      }
      JsonPath atDev = rows(repo, onDev);
      assertThat(atDev.getList("items.priority")).as("dev deleted: " + devDeleted).containsExactly(5, 0, 0, 9);
      assertThat(atDev.getMap("items[0]")).as("dev deleted: " + devDeleted).doesNotContainKey("region");
    }
  }

  @Test
  void aBranchThatKeptItsColumnsTakesTheColumnsTheTableGainedSinceWhenMainMergesIntoIt() {
    String repo = createRepository(uniqueName("schema-kept-takes"));
    String t = trackNew(pool, repo, "orders", "id int primary key, status text not null",
        "values (1, 'new'), (2, 'new'), (3, 'new')");
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "dev", "from", "main")).statusCode(201);
    patch(repo, "dev", 2, Map.of("status", "dev"));
    json().body(Map.of("status", "four")).put("/api/v1/repositories/{r}/branches/dev/tables/orders/rows/4", repo)
        .then().statusCode(200);
    json().body(Map.of("status", "five")).put("/api/v1/repositories/{r}/branches/dev/tables/orders/rows/5", repo)
        .then().statusCode(200);
    commitAll(repo, "dev");
    String devBefore = Api.head(repo, "dev");
    // main's migration adds region while dev is alive (dev keeps reading id, status), then changes rows
    sql(pool, "alter table public." + t + " add column region text not null default upper('eu')");
    sql(pool, "update public." + t + " set region = 'us' where id = 1");
    sql(pool, "update public." + t + " set region = 'as' where id = 2");
    sql(pool, "update public." + t + " set status = 'main', region = 'ap' where id = 3");
    commitAll(repo, "main");
    sql(pool, "update public." + t + " set region = 'zz' where id = 2"); // main's working changes: not merged
    sql(pool, "insert into public." + t + " values (4, 'main four', 'zz')");

    // a dry run looks at the rows as if dev had the column, and changes nothing
    mergeInto(repo, "dev", "main", Map.of("dry_run", true)).statusCode(200).body("conflicts", equalTo(0));
    assertThat(rows(repo, "dev").getMap("items[0]")).doesNotContainKey("region");
    // merged into dev, dev first takes region from the table (zero-copy); the rows dev holds take main's committed
    // values (row 2: as, not main's uncommitted zz), the rows it inserted the column's default (evaluated as an insert
    // would: 5, which the table has no row of, and 4, not the value of the row main inserted without committing), then
    // main's rows merge as any
    mergeInto(repo, "dev", "main", Map.of())
        .statusCode(200).body("conflicts", equalTo(0));
    JsonPath onDev = rows(repo, "dev");
    assertThat(onDev.getList("items.id")).containsExactly(1, 2, 3, 4, 5);
    assertThat(onDev.getList("items.status")).containsExactly("new", "dev", "main", "four", "five");
    assertThat(onDev.getList("items.region")).containsExactly("us", "as", "ap", "EU", "EU");
    assertThat(Api.rows(pool, "select id || ' ' || status || ' ' || region from " + Api.view(repo, "dev", "orders")
        + " order by id")).containsExactly("1 new us", "2 dev as", "3 main ap", "4 four EU", "5 five EU");
    schemaAt(repo, "dev")
        .body("recorded.columns.name", equalTo(List.of("id", "status", "region")));
    // the table is untouched by it, and dev's row goes on taking writes of the column
    assertThat(Api.rows(pool, "select id || ' ' || region from public." + t + " order by id"))
        .containsExactly("1 us", "2 zz", "3 ap", "4 zz");
    patch(repo, "dev", 4, Map.of("region", "sa"));

    // a hard reset back to before the merge: the commit's rows, in the table's columns now (dev keeps reading region);
    // rows the move undid take the value the table gave them (EU), rows whose image at the commit does not name the
    // column (dev's, written before it existed) keep it as the row had it (2: as; 4 and 5: EU)
    json().body(Map.of("to", devBefore, "mode", "hard")).post("/api/v1/repositories/{r}/branches/dev/reset", repo)
        .then().statusCode(200);
    JsonPath reset = rows(repo, "dev");
    assertThat(reset.getList("items.status")).containsExactly("new", "dev", "new", "four", "five");
    assertThat(reset.getList("items.region")).containsExactly("EU", "as", "EU", "EU", "EU");
  }

  @Test
  void aBranchThatKeptItsColumnsTakesThemFromAnotherBranchAtItsHeadAndKeepsItsOwnWiderType() {
    String repo = createRepository(uniqueName("schema-kept-takes-branch"));
    String t = trackNew(pool, repo, "orders", "id int primary key, status varchar(10) not null",
        "values (1, 'new'), (2, 'new')");
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "dev", "from", "main")).statusCode(201);
    // dev reads status wider than the table, and changes row 2
    json().body(Map.of("operations", List.of(Map.of("op", "alter_column", "name", "status", "type", "varchar(40)"))))
        .post("/api/v1/repositories/{r}/branches/dev/tables/orders/schema", repo).then().statusCode(200);
    patch(repo, "dev", 2, Map.of("status", "a status longer than ten"));
    commitAll(repo, "dev");
    sql(pool, "alter table public." + t + " add column region text");
    commitAll(repo, "main");
    // a branch created since reads region, and gives row 2 one (committed), then another (not committed)
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "late", "from", "main")).statusCode(201);
    patch(repo, "late", 2, Map.of("region", "eu"));
    commitAll(repo, "late");
    patch(repo, "late", 2, Map.of("region", "uncommitted"));

    mergeInto(repo, "dev", "late", Map.of())
        .statusCode(200).body("conflicts", equalTo(0));
    JsonPath onDev = rows(repo, "dev");
    assertThat(onDev.getList("items.status")).containsExactly("new", "a status longer than ten");
    assertThat(onDev.getList("items.region")).containsExactly(null, "eu");
    schemaAt(repo, "dev")
        .body("recorded.columns.name", equalTo(List.of("id", "status", "region")))
        .body("recorded.columns.find { it.name == 'status' }.type", equalTo("character varying(40)"));
  }

  @Test
  void aBranchThatKeptItsColumnsTakesThemWhenATagOrACommitOfMainMergesIntoIt() {
    String repo = createRepository(uniqueName("schema-kept-takes-tag"));
    String t = trackNew(pool, repo, "orders", "id int primary key, status text not null",
        "values (1, 'new'), (2, 'new'), (3, 'new')");
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "dev", "from", "main")).statusCode(201);
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "qa", "from", "main")).statusCode(201);
    patch(repo, "dev", 2, Map.of("status", "dev"));
    commitAll(repo, "dev");
    // main gains region while dev and qa are alive (they keep reading id, status), tagged v2, then moves on
    sql(pool, "alter table public." + t + " add column region text");
    sql(pool, "update public." + t + " set region = 'us' where id = 1");
    sql(pool, "update public." + t + " set status = 'main', region = 'ap' where id = 3");
    commitAll(repo, "main");
    String v2 = Api.head(repo, "main");
    post("/api/v1/repositories/" + repo + "/tags", Map.of("name", "v2", "ref", "main")).statusCode(201);
    sql(pool, "update public." + t + " set region = 'later' where id = 1");
    commitAll(repo, "main");

    // a dry run looks at the rows as if dev had the column, and changes nothing
    mergeInto(repo, "dev", "v2", Map.of("dry_run", true)).statusCode(200).body("conflicts", equalTo(0));
    assertThat(rows(repo, "dev").getMap("items[0]")).doesNotContainKey("region");
    // the tag merged into dev: dev takes region with the tag's values (not main's later ones), then the rows merge
    mergeInto(repo, "dev", "v2", Map.of())
        .statusCode(200).body("conflicts", equalTo(0));
    JsonPath onDev = rows(repo, "dev");
    assertThat(onDev.getList("items.status")).containsExactly("new", "dev", "main");
    assertThat(onDev.getList("items.region")).containsExactly("us", null, "ap");
    schemaAt(repo, "dev")
        .body("recorded.columns.name", equalTo(List.of("id", "status", "region")));
    // and the commit by its id into qa, which changed nothing: a fast-forward that takes the column first
    mergeInto(repo, "qa", v2, Map.of())
        .statusCode(200).body("fast_forward", equalTo(true));
    assertThat(rows(repo, "qa").getList("items.region")).containsExactly("us", null, "ap");
    assertThat(Api.head(repo, "qa")).isEqualTo(v2);
  }

  @Test
  void aRowTheSourceDeletedKeepsTheValueTheTableGaveItWhenTheTargetTakesTheColumnAndKeepsTheRow() {
    String repo = createRepository(uniqueName("schema-kept-takes-deleted"));
    String t = trackNew(pool, repo, "orders", "id int primary key, status text not null",
        "values (1, 'new'), (2, 'new')");
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "dev", "from", "main")).statusCode(201);
    patch(repo, "dev", 2, Map.of("status", "dev"));
    commitAll(repo, "dev");
    sql(pool, "alter table public." + t + " add column region text not null default 'eu'");
    sql(pool, "update public." + t + " set region = 'as' where id = 2");
    commitAll(repo, "main");
    // a branch of main deletes row 2; merged into dev, which changed it: dev keeps its row (ours), and the column dev
    // takes holds the value the table gave that row, not the default of a row dev inserted
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "s", "from", "main")).statusCode(201);
    given().delete("/api/v1/repositories/{r}/branches/s/tables/orders/rows/2", repo).then().statusCode(204);
    commitAll(repo, "s");
    mergeInto(repo, "dev", "s", Map.of("strategy", "ours")).statusCode(200).body("conflicts", equalTo(1));
    JsonPath onDev = rows(repo, "dev");
    assertThat(onDev.getList("items.status")).containsExactly("new", "dev");
    assertThat(onDev.getList("items.region")).containsExactly("eu", "as");
  }

  @Test
  void aTakenColumnAfterARenameIsQueriedAfterTheRenamedColumnIsDropped() {
    String repo = createRepository(uniqueName("schema-kept-takes-renamed"));
    String t = trackNew(pool, repo, "orders", "id int primary key, status text, note text",
        "values (1, 'new', null), (2, 'new', null)");
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "dev", "from", "main")).statusCode(201);
    json().body(Map.of("operations", List.of(Map.of("op", "rename_column", "name", "note", "new_name", "remark"))))
        .post("/api/v1/repositories/{r}/branches/dev/tables/orders/schema", repo).then().statusCode(200);
    String q = "select id from orders";
    query(repo, q, "dev", true)
        .statusCode(200);
    commitAll(repo, "dev");
    sql(pool, "alter table public." + t + " add column c1 int default 1");
    mergeInto(repo, "dev", "main", Map.of())
        .statusCode(200);
    query(repo, q, "dev", true)
        .statusCode(200);
    json().body(Map.of("operations", List.of(Map.of("op", "drop_column", "name", "remark"))))
        .post("/api/v1/repositories/{r}/branches/dev/tables/orders/schema", repo).then().statusCode(200);
    query(repo, q, "dev", true)
        .statusCode(200);
    query(repo, q, "dev", false)
        .statusCode(200);
  }

  @Test
  void aColumnAddedWithAnotherTypeOnEachSideIsATypeMismatchSettledOnlyAsAsked() {
    String repo = createRepository(uniqueName("schema-conflict-type"));
    String t = trackNew(pool, repo, "orders", "id int primary key, status text not null",
        "values (1, 'new'), (2, 'new'), (3, 'new')");
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "dev", "from", "main")).statusCode(201);
    addColumn(repo, "dev", "note", "integer", null);
    patch(repo, "dev", 1, Map.of("note", 5));
    json().body(Map.of("status", "dev", "note", 7))
        .put("/api/v1/repositories/{r}/branches/dev/tables/orders/rows/4", repo).then().statusCode(200);
    commitAll(repo, "dev");
    post("/api/v1/repositories/" + repo + "/tags", Map.of("name", "v1", "ref", "dev")).statusCode(201);
    // main gains a column of the same name and another type, by DDL (an application's migration)
    sql(pool, "alter table public." + t + " add column note text");
    sql(pool, "update public." + t + " set note = 'checked' where id = 2");
    commitAll(repo, "main");
    String mainHead = Api.head(repo, "main");

    // refused before anything changes, the conflict listed with the three definitions; a dry run, a tag too
    for (Map<String, Object> asked : List.<Map<String, Object>>of(Map.of(), Map.of("dry_run", true))) {
      merge(repo, "dev", asked).statusCode(409).body("error", equalTo("SchemaConflict"))
          .body("message", containsString("type_mismatch on column 'note' of table 'orders'"))
          .body("details.schema_conflicts", org.hamcrest.Matchers.hasSize(1))
          .body("details.schema_conflict_count", equalTo(1))
          .body("details.schema_conflicts[0].table", equalTo("orders"))
          .body("details.schema_conflicts[0].column", equalTo("note"))
          .body("details.schema_conflicts[0].type", equalTo("type_mismatch"))
          .body("details.schema_conflicts[0].base", nullValue())
          .body("details.schema_conflicts[0].ours.type", equalTo("text"))
          .body("details.schema_conflicts[0].theirs.type", equalTo("integer"));
    }
    merge(repo, "v1", Map.of()).statusCode(409).body("error", equalTo("SchemaConflict"));
    // a branch of dev would read one of the two: not created
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "of-dev", "from", "dev")).statusCode(422)
        .body("message", containsString("which the table has as text by now"));
    // theirs would retype main's column: not built, refused as such
    merge(repo, "dev", Map.of("schema_strategy", "theirs")).statusCode(422)
        .body("message", containsString("would redefine the column of the table itself"));
    merge(repo, "dev", Map.of("schema_strategy", "both")).statusCode(422)
        .body("details.field", equalTo("schema_strategy"));
    assertThat(Api.head(repo, "main")).isEqualTo(mainHead);
    assertThat(rows(repo, "main").getList("items.note")).containsExactly(null, "checked", null);

    // ours keeps main's column and reads dev's values into its type
    merge(repo, "dev", Map.of("schema_strategy", "ours")).statusCode(200).body("conflicts", equalTo(0));
    assertThat(columnTypes(t)).containsExactly("id integer", "status text", "note text");
    JsonPath main = rows(repo, "main");
    assertThat(main.getList("items.id")).containsExactly(1, 2, 3, 4);
    assertThat(main.getList("items.status")).containsExactly("new", "new", "new", "dev");
    assertThat(main.getList("items.note")).containsExactly("5", "checked", null, "7");
  }

  @Test
  void aColumnAddedWithAnotherDefaultOnEachBranchIsASchemaConflictAndTheSameOneIsNot() {
    String repo = createRepository(uniqueName("schema-conflict-default"));
    String t = trackNew(pool, repo, "orders", "id int primary key, status text not null",
        "values (1, 'new'), (2, 'new')");
    for (String b : List.of("eu", "us", "same")) {
      post("/api/v1/repositories/" + repo + "/branches", Map.of("name", b, "from", "main")).statusCode(201);
    }
    addColumn(repo, "eu", "region", "text", "eu");
    addColumn(repo, "us", "region", "text", "us");
    addColumn(repo, "same", "region", "text", "eu");
    patch(repo, "us", 2, Map.of("region", "apac"));
    patch(repo, "eu", 1, Map.of("status", "eu"));
    patch(repo, "same", 2, Map.of("status", "same"));
    for (String b : List.of("eu", "us", "same")) {
      commitAll(repo, b);
    }
    merge(repo, "eu", Map.of()).statusCode(200);
    assertThat(columnTypes(t)).containsExactly("id integer", "status text", "region text");

    // both added it the same way: one column, no conflict
    merge(repo, "same", Map.of()).statusCode(200);
    String mainHead = Api.head(repo, "main");
    merge(repo, "us", Map.of()).statusCode(409).body("error", equalTo("SchemaConflict"))
        .body("details.schema_conflicts[0].type", equalTo("schema_schema"))
        .body("details.schema_conflicts[0].ours.default", equalTo("'eu'::text"))
        .body("details.schema_conflicts[0].theirs.default", equalTo("'us'::text"));
    assertThat(Api.head(repo, "main")).isEqualTo(mainHead);
    merge(repo, "us", Map.of("schema_strategy", "ours")).statusCode(200);
    assertThat(Api.rows(pool, "select pg_get_expr(d.adbin, d.adrelid) from pg_attrdef d join pg_attribute a"
        + " on a.attrelid = d.adrelid and a.attnum = d.adnum where d.adrelid = 'public." + t
        + "'::regclass and a.attname = 'region'")).containsExactly("'eu'::text");
    JsonPath main = rows(repo, "main");
    assertThat(main.getList("items.status")).containsExactly("eu", "same");
    assertThat(main.getList("items.region")).containsExactly("eu", "apac");
  }

  @Test
  void aTagOfABranchThatAddedAColumnBringsTheColumnAndItsValuesIntoMain() {
    String repo = createRepository(uniqueName("schema-merge-tag"));
    String t = trackNew(pool, repo, "orders", "id int primary key, status text not null",
        "values (1, 'new'), (2, 'new')");
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "dev", "from", "main")).statusCode(201);
    addColumn(repo, "dev", "region", "text", "eu");
    patch(repo, "dev", 1, Map.of("region", "us"));
    commitAll(repo, "dev");
    post("/api/v1/repositories/" + repo + "/tags", Map.of("name", "v1", "ref", "dev")).statusCode(201);
    // dev goes on: the tag, not the branch, is what main takes
    patch(repo, "dev", 2, Map.of("region", "apac"));
    commitAll(repo, "dev");

    merge(repo, "v1", Map.of("fast_forward", "only")).statusCode(409).body("error", equalTo("NotFastForward"));
    merge(repo, "v1", Map.of()).statusCode(200);
    assertThat(columnTypes(t)).containsExactly("id integer", "status text", "region text");
    assertThat(rows(repo, "main").getList("items.region")).containsExactly("us", "eu");
    merge(repo, "dev", Map.of()).statusCode(200);
    assertThat(rows(repo, "main").getList("items.region")).containsExactly("us", "apac");
  }

  /**
   * Branch qa takes dev's column score with a merge, then drops it; dev goes on: when its next changes
   * ({@code values} a row's fields) leave score as it was, qa's drop stands, else they are a schema_data
   * conflict, which ours settles.
   */
  private String droppedOnQa(String name, Map<String, Object> devChanges) {
    String repo = createRepository(uniqueName(name));
    trackNew(pool, repo, "orders", "id int primary key, status text not null", "values (1, 'new'), (2, 'new')");
    for (String b : List.of("dev", "qa")) {
      post("/api/v1/repositories/" + repo + "/branches", Map.of("name", b, "from", "main")).statusCode(201);
    }
    addColumn(repo, "dev", "score", "integer", null);
    patch(repo, "dev", 1, Map.of("score", 1));
    commitAll(repo, "dev");
    mergeInto(repo, "qa", "dev", Map.of())
        .statusCode(200);
    assertThat(qaRow(repo, 0)).containsEntry("score", 1);
    json().body(Map.of("operations", List.of(Map.of("op", "drop_column", "name", "score"))))
        .post("/api/v1/repositories/{r}/branches/qa/tables/orders/schema", repo).then().statusCode(200);
    json().body(devChanges).patch("/api/v1/repositories/{r}/branches/dev/tables/orders/rows/2", repo)
        .then().statusCode(200);
    commitAll(repo, "dev");
    return repo;
  }

  private static Map<String, Object> qaRow(String repo, int index) {
    return given().queryParam("ref", "qa").get("/api/v1/repositories/{r}/tables/orders/rows", repo).then()
        .statusCode(200).extract().jsonPath().getMap("items[" + index + "]");
  }

  @Test
  void aBranchMergesInTheShapeItsHeadRecordsAndItsUncommittedChangesStayItsOwn() {
    String repo = createRepository(uniqueName("schema-merge-head-shape"));
    String t = trackNew(pool, repo, "orders", "id int primary key, status text", "values (1, 'new'), (2, 'new')");
    for (String b : List.of("dev", "qa")) {
      post("/api/v1/repositories/" + repo + "/branches", Map.of("name", b, "from", "main")).statusCode(201);
    }
    addColumn(repo, "dev", "score", "integer", null);
    patch(repo, "dev", 1, Map.of("score", 5));
    commitAll(repo, "dev");
    // widened since, not committed: the merge takes the column as dev's head has it, and its rows fit it
    json().body(Map.of("operations", List.of(Map.of("op", "alter_column", "name", "score", "type", "bigint"))))
        .post("/api/v1/repositories/{r}/branches/dev/tables/orders/schema", repo).then().statusCode(200);
    mergeInto(repo, "qa", "dev", Map.of())
        .log().ifValidationFails().statusCode(200);
    assertThat(rows(repo, "qa").getList("items.score")).containsExactly(5, null);
    merge(repo, "dev", Map.of()).statusCode(200);
    assertThat(columnTypes(t)).containsExactly("id integer", "status text", "score integer");
    assertThat(rows(repo, "main").getList("items.score")).containsExactly(5, null);
    assertThat(scoreType(repo, "dev")).isEqualTo("bigint");
    assertThat(scoreType(repo, "qa")).isEqualTo("integer");
  }

  /** The type branch {@code ref} reads column score of orders in. */
  private static String scoreType(String repo, String ref) {
    return given().queryParam("ref", ref).get("/api/v1/repositories/{r}/tables/orders/schema", repo).then()
        .statusCode(200).extract().jsonPath().getString("recorded.columns.find { it.name == 'score' }.type");
  }

  @Test
  void aColumnTheTargetDroppedSinceTheBaseStaysDroppedWhenTheSourceLeftItsValues() {
    String repo = droppedOnQa("schema-merge-drop", Map.of("status", "dev"));
    mergeInto(repo, "qa", "dev", Map.of())
        .statusCode(200);
    assertThat(qaRow(repo, 0)).containsOnlyKeys("id", "status");
    assertThat(qaRow(repo, 1)).isEqualTo(Map.of("id", 2, "status", "dev"));
  }

  @Test
  void valuesTheSourceChangedInAColumnTheTargetDroppedAreASchemaDataConflict() {
    String repo = droppedOnQa("schema-merge-data", Map.of("score", 2));
    String qaHead = Api.head(repo, "qa");
    mergeInto(repo, "qa", "dev", Map.of())
        .statusCode(409).body("error", equalTo("SchemaConflict"))
        .body("details.schema_conflicts[0].type", equalTo("schema_data"))
        .body("details.schema_conflicts[0].column", equalTo("score"))
        .body("details.schema_conflicts[0].ours", nullValue())
        .body("message", containsString("whose values 'dev' changed since the base"));
    assertThat(Api.head(repo, "qa")).isEqualTo(qaHead);
    // ours: the drop stands, dev's values of the column with it
    mergeInto(repo, "qa", "dev", Map.of("schema_strategy", "ours")).statusCode(200);
    assertThat(qaRow(repo, 1)).containsOnlyKeys("id", "status");
  }

  @Test
  void aColumnTheSourceDroppedSinceTheBaseIsDroppedFromABranchThatLeftItsValues() {
    String repo = droppedOnQa("schema-merge-drop-carried", Map.of("status", "dev"));
    patch(repo, "qa", 1, Map.of("status", "qa"));
    commitAll(repo, "qa");
    // qa dropped the column dev added (and qa took by a merge), then committed: merged into dev (three ways),
    // dev loses it, zero-copy, before the rows merge
    mergeInto(repo, "dev", "qa", Map.of())
        .statusCode(200).body("up_to_date", equalTo(false));
    assertThat(devRow(repo, 0)).isEqualTo(Map.of("id", 1, "status", "qa"));
    assertThat(devRow(repo, 0)).containsOnlyKeys("id", "status");
    assertThat(devRow(repo, 1)).isEqualTo(Map.of("id", 2, "status", "dev"));
    assertThat(branchColumns(repo, "dev")).containsExactly("id", "status");
  }

  @Test
  void valuesTheTargetChangedInAColumnTheSourceDroppedAreASchemaDataConflictOursKeepsIt() {
    String repo = droppedOnQa("schema-merge-drop-data", Map.of("score", 2));
    // qa's drop is a working change: a merge takes qa as its head commit records it, which holds the column
    // (and is in dev's history: up to date)
    mergeInto(repo, "dev", "qa", Map.of())
        .statusCode(200).body("up_to_date", equalTo(true));
    assertThat(branchColumns(repo, "dev")).containsExactly("id", "status", "score");
    commitAll(repo, "qa");
    String devHead = Api.head(repo, "dev");
    // committed, the drop would take the column dev changed values of since the base
    mergeInto(repo, "dev", "qa", Map.of())
        .statusCode(409).body("error", equalTo("SchemaConflict"))
        .body("details.schema_conflicts[0].type", equalTo("schema_data"))
        .body("details.schema_conflicts[0].column", equalTo("score"))
        .body("details.schema_conflicts[0].theirs", nullValue())
        .body("message", containsString("whose values 'dev' changed since the base"));
    assertThat(Api.head(repo, "dev")).isEqualTo(devHead);
    assertThat(branchColumns(repo, "dev")).as("refused before anything changed").containsExactly("id", "status",
        "score");
    // ours: dev keeps the column and its values
    mergeInto(repo, "dev", "qa", Map.of("schema_strategy", "ours")).statusCode(200);
    assertThat(devRow(repo, 1)).containsEntry("score", 2);
  }

  private static Map<String, Object> devRow(String repo, int index) {
    return given().queryParam("ref", "dev").get("/api/v1/repositories/{r}/tables/orders/rows", repo).then()
        .statusCode(200).extract().jsonPath().getMap("items[" + index + "]");
  }

  /** The columns the branch reads, as its first row names them. */
  private static List<String> branchColumns(String repo, String branch) {
    Map<String, Object> row = given().queryParam("ref", branch).get("/api/v1/repositories/{r}/tables/orders/rows", repo)
        .then().statusCode(200).extract().jsonPath().getMap("items[0]");
    return List.copyOf(row.keySet());
  }

  @Test
  void aCherryPickBringsTheColumnItsCommitAddedAndRefusesValuesOfOneTheTargetLacks() {
    String repo = createRepository(uniqueName("schema-merge-pick"));
    String t = trackNew(pool, repo, "orders", "id int primary key, status text not null",
        "values (1, 'new'), (2, 'new')");
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "dev", "from", "main")).statusCode(201);
    addColumn(repo, "dev", "region", "text", "eu");
    patch(repo, "dev", 1, Map.of("region", "us"));
    commitAll(repo, "dev");
    String added = Api.head(repo, "dev");
    patch(repo, "dev", 2, Map.of("region", "apac"));
    commitAll(repo, "dev");
    String changed = Api.head(repo, "dev");
    String mainHead = Api.head(repo, "main");

    // the second commit changes values of a column main does not have: refused, nothing changed
    json().body(Map.of("commit", changed)).post("/api/v1/repositories/{r}/branches/main/cherry-pick", repo).then()
        .statusCode(409).body("error", equalTo("SchemaConflict"))
        .body("details.schema_conflicts[0].type", equalTo("schema_data"))
        .body("details.schema_conflicts[0].column", equalTo("region"));
    assertThat(Api.head(repo, "main")).isEqualTo(mainHead);
    assertThat(columnTypes(t)).containsExactly("id integer", "status text");
    // what refuses the pick refuses it before the column is added: working changes on main
    sql(pool, "update public." + t + " set status = 'dirty' where id = 1");
    json().body(Map.of("commit", added)).post("/api/v1/repositories/{r}/branches/main/cherry-pick", repo).then()
        .statusCode(409).body("error", equalTo("WorkingChangesPresent"));
    assertThat(columnTypes(t)).containsExactly("id integer", "status text");
    given().delete("/api/v1/repositories/{r}/branches/main/working", repo).then().statusCode(204);
    // the first added the column: picking it adds the column to the table, then its values
    json().body(Map.of("commit", added)).post("/api/v1/repositories/{r}/branches/main/cherry-pick", repo).then()
        .statusCode(201);
    assertThat(columnTypes(t)).containsExactly("id integer", "status text", "region text");
    assertThat(rows(repo, "main").getList("items.region")).containsExactly("us", "eu");
    json().body(Map.of("commit", changed)).post("/api/v1/repositories/{r}/branches/main/cherry-pick", repo).then()
        .statusCode(201);
    assertThat(rows(repo, "main").getList("items.region")).containsExactly("us", "apac");

    // onto another branch: the column is added there (zero-copy), then the rows
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "qa", "from", mainHead)).statusCode(201);
    json().body(Map.of("commit", added)).post("/api/v1/repositories/{r}/branches/qa/cherry-pick", repo).then()
        .statusCode(201);
    assertThat(given().queryParam("ref", "qa").get("/api/v1/repositories/{r}/tables/orders/rows", repo).then()
        .statusCode(200).extract().jsonPath().getList("items.region")).containsExactly("us", "eu");
  }

  @Test
  void aColumnTheSourceRedefinedSinceTheBaseIsRefusedNotLeftAsItWas() {
    String repo = createRepository(uniqueName("schema-merge-redefine"));
    trackNew(pool, repo, "orders", "id int primary key, status text not null", "values (1, 'new'), (2, 'new')");
    for (String b : List.of("dev", "qa")) {
      post("/api/v1/repositories/" + repo + "/branches", Map.of("name", b, "from", "main")).statusCode(201);
    }
    addColumn(repo, "dev", "score", "integer", 1);
    patch(repo, "dev", 1, Map.of("status", "dev"));
    commitAll(repo, "dev");
    mergeInto(repo, "qa", "dev", Map.of())
        .statusCode(200);
    json().body(Map.of("operations", List.of(Map.of("op", "drop_column", "name", "score"))))
        .post("/api/v1/repositories/{r}/branches/dev/tables/orders/schema", repo).then().statusCode(200);
    addColumn(repo, "dev", "score", "integer", 2);
    patch(repo, "dev", 2, Map.of("status", "again"));
    commitAll(repo, "dev");
    String qaHead = Api.head(repo, "qa");
    mergeInto(repo, "qa", "dev", Map.of())
        .statusCode(422).body("message", containsString("redefined column 'score'"))
        .body("message", containsString("otherwise than alter_column converts a column"));
    assertThat(Api.head(repo, "qa")).isEqualTo(qaHead);
  }

  private String viewType(String repo, String branch, String column) {
    return Api.rows(pool, "select format_type(atttypid, atttypmod) from pg_attribute where attrelid = '"
        + Api.view(repo, branch, "orders") + "'::regclass and attname = '" + column + "'").get(0);
  }

  @Test
  void aColumnTheSourceAlteredSinceTheBaseIsAlteredOnABranchThatAddedItAndTheirsRetypesOne() {
    String repo = createRepository(uniqueName("schema-merge-alter"));
    trackNew(pool, repo, "orders", "id int primary key, status text not null",
        "values (1, 'new'), (2, 'new'), (3, 'new')");
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "dev", "from", "main")).statusCode(201);
    addColumn(repo, "dev", "score", "integer", 0);
    patch(repo, "dev", 1, Map.of("score", 7));
    commitAll(repo, "dev");
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "qa", "from", "dev")).statusCode(201);
    patch(repo, "qa", 2, Map.of("score", 5));
    commitAll(repo, "qa");
    json().body(Map.of("operations", List.of(Map.of("op", "alter_column", "name", "score", "type", "bigint"))))
        .post("/api/v1/repositories/{r}/branches/dev/tables/orders/schema", repo).then().statusCode(200);
    patch(repo, "dev", 3, Map.of("score", 9000000000L));
    commitAll(repo, "dev");

    // dev altered the column qa took from it: qa's is altered the same way (its values converted), then
    // the rows merge, dev's value that only the new type holds among them
    // qa's rows reach dev in dev's type (dev changed it since their base, qa did not)
    mergeInto(repo, "dev", "qa", Map.of()).statusCode(200).body("conflicts", equalTo(0));
    assertThat(viewType(repo, "dev", "score")).isEqualTo("bigint");
    assertThat(given().queryParam("ref", "dev").get("/api/v1/repositories/{r}/tables/orders/rows", repo).then()
        .statusCode(200).extract().jsonPath().getList("items.score", Long.class)).containsExactly(7L, 5L, 9000000000L);
    String qaHead = Api.head(repo, "qa");
    mergeInto(repo, "qa", "dev", Map.of("dry_run", true)).statusCode(200).body("conflicts", equalTo(0));
    assertThat(viewType(repo, "qa", "score")).as("a dry run changes nothing").isEqualTo("integer");
    assertThat(Api.head(repo, "qa")).isEqualTo(qaHead);
    mergeInto(repo, "qa", "dev", Map.of()).statusCode(200).body("conflicts", equalTo(0));
    assertThat(viewType(repo, "qa", "score")).isEqualTo("bigint");
    assertThat(given().queryParam("ref", "qa").get("/api/v1/repositories/{r}/tables/orders/rows", repo).then()
        .statusCode(200).extract().jsonPath().getList("items.score", Long.class)).containsExactly(7L, 5L, 9000000000L);
    assertThat(Api.rows(pool, "select string_agg(id || ':' || score, ',' order by id) from "
        + Api.view(repo, "qa", "orders"))).containsExactly("1:7,2:5,3:9000000000");

    // the same column added with another type on two branches: theirs gives the target the source's type
    // where every value the target holds reads the same in it (integer into bigint), else it is refused
    for (String b : List.of("ints", "wides", "texts")) {
      post("/api/v1/repositories/" + repo + "/branches", Map.of("name", b, "from", "main")).statusCode(201);
    }
    addColumn(repo, "ints", "tag", "integer", null);
    patch(repo, "ints", 1, Map.of("tag", 4));
    commitAll(repo, "ints");
    addColumn(repo, "wides", "tag", "bigint", null);
    patch(repo, "wides", 2, Map.of("tag", 9000000000L));
    commitAll(repo, "wides");
    addColumn(repo, "texts", "tag", "text", null);
    patch(repo, "texts", 3, Map.of("tag", "x"));
    commitAll(repo, "texts");
    String intsHead = Api.head(repo, "ints");
    mergeInto(repo, "ints", "wides", Map.of()).statusCode(409).body("error", equalTo("SchemaConflict"))
        .body("details.schema_conflicts[0].type", equalTo("type_mismatch"));
    // 4 would read "4" as text: refused, nothing changed
    mergeInto(repo, "ints", "texts", Map.of("schema_strategy", "theirs")).statusCode(422)
        .body("message", containsString("would read otherwise"));
    assertThat(Api.head(repo, "ints")).isEqualTo(intsHead);
    assertThat(viewType(repo, "ints", "tag")).isEqualTo("integer");
    mergeInto(repo, "ints", "wides", Map.of("schema_strategy", "theirs")).statusCode(200);
    assertThat(viewType(repo, "ints", "tag")).isEqualTo("bigint");
    assertThat(given().queryParam("ref", "ints").get("/api/v1/repositories/{r}/tables/orders/rows", repo).then()
        .statusCode(200).extract().jsonPath().getList("items.tag", Long.class)).containsExactly(4L, 9000000000L, null);
  }

  @Test
  void aBranchCreatedFromABranchOrACommitThatAddedAColumnHasItWithItsValues() {
    String repo = createRepository(uniqueName("schema-inherit"));
    trackNew(pool, repo, "orders", "id int primary key, status text not null",
        "values (1, 'new'), (2, 'new'), (3, 'new')");
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "dev", "from", "main")).statusCode(201);
    addColumn(repo, "dev", "region", "text", "eu");
    patch(repo, "dev", 1, Map.of("region", "us"));
    commitAll(repo, "dev");
    String first = Api.head(repo, "dev");
    patch(repo, "dev", 2, Map.of("region", "apac", "status", "dev"));
    commitAll(repo, "dev");

    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "feature", "from", "dev")).statusCode(201);
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "old", "from", first)).statusCode(201);
    JsonPath feature = rows(repo, "feature");
    assertThat(feature.getList("items.region")).containsExactly("us", "apac", "eu");
    assertThat(feature.getList("items.status")).containsExactly("new", "dev", "new");
    assertThat(rows(repo, "old").getList("items.region")).containsExactly("us", "eu", "eu");
    // the branch's own column: written there, read through its view, merged back with its values
    patch(repo, "feature", 3, Map.of("region", "emea"));
    assertThat(Api.rows(pool, "select id || ':' || region from " + Api.view(repo, "feature", "orders") + " order by id"))
        .containsExactly("1:us", "2:apac", "3:emea");
    commitAll(repo, "feature");
    mergeInto(repo, "dev", "feature", Map.of())
        .statusCode(200);
    assertThat(rows(repo, "dev").getList("items.region")).containsExactly("us", "apac", "emea");
    assertThat(rows(repo, "main").getMap("items[0]")).containsOnlyKeys("id", "status");
  }

  @Test
  void aColumnABranchAddedThatMainTookReadsAsTheTablesOnceTheBranchMovesOntoMainAndBackAgain() {
    String repo = createRepository(uniqueName("schema-added-promoted-moved"));
    trackNew(pool, repo, "orders", "id int primary key, status text not null", "values (1, 'new'), (2, 'new')");
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "dev", "from", "main")).statusCode(201);
    addColumn(repo, "dev", "region", "text", "eu");
    patch(repo, "dev", 1, Map.of("region", "us"));
    commitAll(repo, "dev");
    String own = Api.head(repo, "dev");
    merge(repo, "dev", Map.of()).statusCode(200);
    // dev moved onto main's merge commit (a fast-forward), whose table has region as its own: nothing of dev's shape
    // is a change since
    mergeInto(repo, "dev", "main", Map.of()).statusCode(200).body("fast_forward", equalTo(true));
    assertThat(Api.head(repo, "dev")).isEqualTo(Api.head(repo, "main"));
    given().get("/api/v1/repositories/{r}/branches/dev/status", repo).then().statusCode(200)
        .body("tables[0].schema_changed", equalTo(false));
    assertThat(rows(repo, "dev").getList("items.region")).containsExactly("us", "eu");
    // and back onto its own commit, which added it
    json().body(Map.of("to", own, "mode", "hard"))
        .post("/api/v1/repositories/{r}/branches/dev/reset", repo).then().statusCode(200);
    given().get("/api/v1/repositories/{r}/branches/dev/status", repo).then().statusCode(200)
        .body("tables[0].schema_changed", equalTo(false));
    assertThat(rows(repo, "dev").getList("items.region")).containsExactly("us", "eu");
  }

  @Test
  void aBranchThatTakesSomeOfTheColumnsTheTableGainedRecordsThoseAndLeavesTheOthersToTheBranchesItMakes() {
    String repo = createRepository(uniqueName("schema-kept-takes-some"));
    String t = trackNew(pool, repo, "orders", "id int primary key, status text not null",
        "values (1, 'new'), (2, 'new')");
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "dev", "from", "main")).statusCode(201);
    // main gains region (dev keeps id, status), commits; later is created, reading region; main gains amount
    sql(pool, "alter table public." + t + " add column region text");
    commitAll(repo, "main");
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "later", "from", "main")).statusCode(201);
    patch(repo, "later", 2, Map.of("region", "eu"));
    commitAll(repo, "later");
    sql(pool, "alter table public." + t + " add column amount int");
    commitAll(repo, "main");
    // later into dev: dev takes region, not amount, which later does not read
    mergeInto(repo, "dev", "later", Map.of()).statusCode(200).body("conflicts", equalTo(0));
    assertThat(rows(repo, "dev").getMap("items[1]")).containsOnlyKeys("id", "status", "region");
    patch(repo, "dev", 1, Map.of("status", "dev"));
    commitAll(repo, "dev");
    String devHead = Api.head(repo, "dev");
    schemaAt(repo, devHead).body("recorded.columns.name", equalTo(List.of("id", "status", "region")));
    // a branch created from dev's commit reads amount, which dev never dropped, as the table's
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "fork", "from", devHead)).statusCode(201);
    assertThat(rows(repo, "fork").getMap("items[1]")).containsOnlyKeys("id", "status", "region", "amount");
  }

  @Test
  void aRevertOfTheMergeThatTookColumnsLeavesThemTaken() {
    String repo = createRepository(uniqueName("schema-kept-takes-revert"));
    String t = trackNew(pool, repo, "orders", "id int primary key, status text not null",
        "values (1, 'new'), (2, 'new')");
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "dev", "from", "main")).statusCode(201);
    patch(repo, "dev", 2, Map.of("status", "dev"));
    commitAll(repo, "dev");
    sql(pool, "alter table public." + t + " add column region text");
    sql(pool, "update public." + t + " set status = 'main', region = 'us' where id = 1");
    commitAll(repo, "main");
    mergeInto(repo, "dev", "main", Map.of()).statusCode(200).body("conflicts", equalTo(0));
    String merged = Api.head(repo, "dev");
    // the revert undoes main's row changes on dev; dev goes on reading region (the column was the table's to take:
    // its commit before the merge did not drop it), as its commits record it
    json().body(Map.of("commit", merged, "mainline", 1, "allow_empty", true))
        .post("/api/v1/repositories/{r}/branches/dev/revert", repo).then().statusCode(201);
    JsonPath onDev = rows(repo, "dev");
    assertThat(onDev.getList("items.status")).containsExactly("new", "dev");
    assertThat(onDev.getMap("items[0]")).containsOnlyKeys("id", "status", "region");
    schemaAt(repo, Api.head(repo, "dev")).body("recorded.columns.name", equalTo(List.of("id", "status", "region")));
  }

  @Test
  void aBranchThatKeptItsColumnsTakesThemWhenItCherryPicksACommitThatReadsThem() {
    String repo = createRepository(uniqueName("schema-kept-takes-pick"));
    String t = trackNew(pool, repo, "orders", "id int primary key, status text not null",
        "values (1, 'new'), (2, 'new'), (3, 'new')");
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "dev", "from", "main")).statusCode(201);
    patch(repo, "dev", 3, Map.of("status", "dev"));
    commitAll(repo, "dev");
    // main gains region and gives row 1 one; then changes row 2, the commit dev picks
    sql(pool, "alter table public." + t + " add column region text");
    sql(pool, "update public." + t + " set region = 'us' where id = 1");
    commitAll(repo, "main");
    sql(pool, "update public." + t + " set status = 'shipped', region = 'eu' where id = 2");
    commitAll(repo, "main");
    String picked = Api.head(repo, "main");

    json().body(Map.of("commit", picked)).post("/api/v1/repositories/{r}/branches/dev/cherry-pick", repo).then()
        .statusCode(201);
    // dev takes region from the table (zero-copy), its own row the picked commit's value (null, as main had it
    // there), then the commit's change of row 2 applies; row 1 is as dev read it (main's later change not picked)
    JsonPath onDev = rows(repo, "dev");
    assertThat(onDev.getList("items.status")).containsExactly("new", "shipped", "dev");
    assertThat(onDev.getList("items.region")).containsExactly(null, "eu", null);
    schemaAt(repo, Api.head(repo, "dev")).body("recorded.columns.name", equalTo(List.of("id", "status", "region")));
    given().get("/api/v1/repositories/{r}/branches/dev/status", repo).then().statusCode(200)
        .body("tables[0].schema_changed", equalTo(false));
    patch(repo, "dev", 3, Map.of("region", "apac"));
    assertThat(given().queryParam("ref", "dev").queryParam("working", true)
        .get("/api/v1/repositories/{r}/tables/orders/rows", repo).then().statusCode(200).extract().jsonPath()
        .getList("items.region")).containsExactly(null, "eu", "apac");
  }

  @Test
  void aColumnABranchDroppedIsNotTakenBackByAPickOrAMerge() {
    String repo = createRepository(uniqueName("schema-dropped-not-taken"));
    String t = trackNew(pool, repo, "orders", "id int primary key, status text not null",
        "values (1, 'new'), (2, 'new')");
    String before = Api.head(repo, "main");
    // dev adds score, main takes it; main moves on (the commit dev picks); dev drops score and commits
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "dev", "from", "main")).statusCode(201);
    addColumn(repo, "dev", "score", "integer", null);
    patch(repo, "dev", 1, Map.of("score", 1));
    commitAll(repo, "dev");
    merge(repo, "dev", Map.of()).statusCode(200);
    sql(pool, "update public." + t + " set status = 'shipped' where id = 2");
    commitAll(repo, "main");
    String moved = Api.head(repo, "main");
    json().body(Map.of("operations", List.of(Map.of("op", "drop_column", "name", "score"))))
        .post("/api/v1/repositories/{r}/branches/dev/tables/orders/schema", repo).then().statusCode(200);
    commitAll(repo, "dev");
    json().body(Map.of("commit", moved)).post("/api/v1/repositories/{r}/branches/dev/cherry-pick", repo).then()
        .statusCode(201);
    assertThat(rows(repo, "dev").getMap("items[1]")).containsOnlyKeys("id", "status");
    assertThat(rows(repo, "dev").getList("items.status")).containsExactly("new", "shipped");
    // a branch created at a commit older than a column reads it (the table's columns now); it drops it, not
    // committed: a pick of a commit that reads it leaves it dropped
    sql(pool, "alter table public." + t + " add column region text");
    commitAll(repo, "main");
    sql(pool, "update public." + t + " set status = 'late' where id = 1");
    commitAll(repo, "main");
    String late = Api.head(repo, "main");
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "old", "from", before)).statusCode(201);
    json().body(Map.of("operations", List.of(Map.of("op", "drop_column", "name", "region"))))
        .post("/api/v1/repositories/{r}/branches/old/tables/orders/schema", repo).then().statusCode(200);
    json().body(Map.of("commit", late)).post("/api/v1/repositories/{r}/branches/old/cherry-pick", repo).then()
        .statusCode(201);
    assertThat(given().queryParam("ref", "old").queryParam("working", true)
        .get("/api/v1/repositories/{r}/tables/orders/rows", repo).then().statusCode(200).extract().jsonPath()
        .getMap("items[0]")).doesNotContainKey("region");
  }
}
