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
import io.strata.server.TestDatabaseResource;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A column of the table's own given another type on a branch ({@code alter_column} with {@code type} of a column
 * the branch did not add): a type that reads every value the branch holds as it is (a widening: int to bigint,
 * varchar(n) to text), checked over every row the branch reads first. Zero-copy: the table's rows read through a
 * cast in the branch's view; the table, the default branch and other branches keep the column's type. Commits
 * record it, branches created from the branch take it, hard resets restore the commit's, merges carry it into
 * other branches and into the default branch's table (ALTER TABLE … TYPE, Strata's views made again around it:
 * a branch that keeps the old type reads the table's rows through a cast back).
 */
@QuarkusTest
@WithTestResource(value = TestDatabaseResource.class, scope = TestResourceScope.GLOBAL)
class BranchRetypeTest {
  @Inject Pool pool;

  private static io.restassured.response.ValidatableResponse change(String repo, String branch, Object... operations) {
    return json().body(Map.of("operations", List.of(operations)))
        .post("/api/v1/repositories/{r}/branches/{b}/tables/orders/schema", repo, branch).then();
  }

  private static Map<String, Object> retype(String name, String type) {
    Map<String, Object> op = new HashMap<>();
    op.put("op", "alter_column");
    op.put("name", name);
    op.put("type", type);
    return op;
  }

  private static JsonPath shape(String repo, String ref) {
    return given().queryParam("ref", ref).get("/api/v1/repositories/{r}/tables/orders/schema", repo).then()
        .statusCode(200).extract().jsonPath();
  }

  private static Object type(String repo, String ref, String column) {
    return shape(repo, ref).get("recorded.columns.find { it.name == '" + column + "' }.type");
  }

  private List<String> viewTypes(String view) {
    return Api.rows(pool, "select string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod), ', '"
        + " order by a.attnum) from pg_attribute a where a.attrelid = '" + view + "'::regclass and a.attnum > 0"
        + " and not a.attisdropped");
  }

  private static void commit(String repo, String branch, String message) {
    json().body(Map.of("message", message, "all", true))
        .post("/api/v1/repositories/{r}/branches/{b}/commits", repo, branch).then().statusCode(201);
  }

  @Test
  void aBranchWidensTableColumnsZeroCopyAndKeepsEveryValueWhileTheTableKeepsItsTypes() {
    String repo = createRepository(uniqueName("retype"));
    String t = trackNew(pool, repo, "orders", "id int primary key, qty int not null default 1, code varchar(5),"
        + " note text", "select g, g % 7, 'c' || (g % 100), null from generate_series(1, 1000) g");
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "dev", "from", "main")).statusCode(201);
    String view = Api.view(repo, "dev", "orders");
    String before = String.join("", Api.rows(pool, "select md5(string_agg(id || ':' || qty || ':' || code, ','"
        + " order by id)) from " + view));

    change(repo, "dev", retype("qty", "bigint"), retype("code", "varchar(40)")).statusCode(200)
        .body("altered[0].type", equalTo("bigint")).body("altered[1].type", equalTo("character varying(40)"));
    // the branch's view reads the new types, every value as it was; the table keeps its own
    assertThat(viewTypes(view)).containsExactly("id integer, qty bigint, code character varying(40), note text");
    assertThat(Api.rows(pool, "select md5(string_agg(id || ':' || qty || ':' || code, ',' order by id)) from "
        + view)).containsExactly(before);
    assertThat(viewTypes("public." + t)).containsExactly("id integer, qty integer, code character varying(5), note text");
    assertThat(type(repo, "dev", "qty")).isEqualTo("bigint");
    assertThat(type(repo, "main", "qty")).isEqualTo("integer");
    // the table's default and NOT NULL stay the branch's rules
    sql(pool, "insert into " + view + " (id, code) values (5000, 'a code longer than five')");
    assertThat(Api.rows(pool, "select qty || ':' || code from " + view + " where id = 5000"))
        .containsExactly("1:a code longer than five");

    // values only the new type holds, through the view and through the API
    sql(pool, "update " + view + " set qty = 5000000000 where id = 1");
    assertThat(Api.rows(pool, "select qty::text from " + view + " where id = 1")).containsExactly("5000000000");
    json().body(Map.of("qty", 6000000000L, "code", "through the api")).put(
        "/api/v1/repositories/{r}/branches/dev/tables/orders/rows/2", repo).then().statusCode(200)
        .body("qty", equalTo(6000000000L));
    given().get("/api/v1/repositories/{r}/tables/orders/rows/1?ref=dev&working=true", repo).then().statusCode(200)
        .body("qty", equalTo(5000000000L));
    commit(repo, "dev", "wide");
    String wide = given().get("/api/v1/repositories/{r}/branches/dev", repo).then().extract().path("head");
    // the commit records the types; a read at it reads them
    assertThat(type(repo, wide, "qty")).isEqualTo("bigint");
    given().get("/api/v1/repositories/{r}/tables/orders/rows/2?ref=" + wide, repo).then().statusCode(200)
        .body("qty", equalTo(6000000000L));
    given().get("/api/v1/repositories/{r}/tables/orders/rows/3?ref=" + wide, repo).then().statusCode(200)
        .body("qty", equalTo(3));
    // the schema diff names the change, with its statement
    given().queryParam("from", "main").queryParam("to", "dev").get("/api/v1/repositories/{r}/diff/schema", repo)
        .then().statusCode(200).body("tables[0].up.toString()", containsString("TYPE bigint"));

    // the table's writes after the branch forked stay out of it, and the branch still reads the rest
    sql(pool, "update public." + t + " set qty = 99 where id = 3");
    assertThat(Api.rows(pool, "select qty::text from " + view + " where id = 3")).containsExactly("3");

    // a branch of it takes the types
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "dev2", "from", "dev")).statusCode(201);
    assertThat(viewTypes(Api.view(repo, "dev2", "orders")))
        .containsExactly("id integer, qty bigint, code character varying(40), note text");
    assertThat(Api.rows(pool, "select qty::text from " + Api.view(repo, "dev2", "orders") + " where id = 2"))
        .containsExactly("6000000000");

    // back to the table's type: a value it cannot hold refuses it (naming the key), nothing changed; validate_only
    // looks at the rows the same way
    change(repo, "dev", retype("qty", "integer")).statusCode(422).body("message", containsString("qty"));
    json().body(Map.of("operations", List.of(retype("qty", "integer")), "validate_only", true))
        .post("/api/v1/repositories/{r}/branches/dev/tables/orders/schema", repo).then().statusCode(422)
        .body("message", containsString("qty"));
    assertThat(type(repo, "dev", "qty")).isEqualTo("bigint");
    sql(pool, "update " + view + " set qty = 1 where id in (1, 2)");
    commit(repo, "dev", "small again");
    change(repo, "dev", retype("qty", "integer"), retype("code", "varchar(5)")).statusCode(422)
        .body("message", containsString("5000")); // its code is longer than five
    change(repo, "dev", retype("qty", "integer")).statusCode(200);
    assertThat(viewTypes(view)).containsExactly("id integer, qty integer, code character varying(40), note text");
  }

  @Test
  void aTypeThatWouldReadAValueOtherwiseIsRefusedAndNothingChanges() {
    String repo = createRepository(uniqueName("retype-refused"));
    trackNew(pool, repo, "orders", "id int primary key, price numeric(8,2), label text, at timestamp",
        "values (1, 1.50, '12', '2024-01-01 10:00'), (2, 2.25, 'x', null)");
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "dev", "from", "main")).statusCode(201);
    String view = Api.view(repo, "dev", "orders");
    List<String> types = viewTypes(view);
    // digits cut: 2.25 reads 2.3 (and 1.50 reads 1.5)
    change(repo, "dev", retype("price", "numeric(8,1)")).statusCode(422).body("message", containsString("numeric(8,1)"));
    // a value that does not convert at all
    change(repo, "dev", retype("label", "integer")).statusCode(422).body("message", containsString("label"));
    // a timestamp read as timestamptz changes its text
    change(repo, "dev", retype("at", "timestamptz")).statusCode(422).body("message", containsString("is not one"));
    // the key, and an unknown type
    change(repo, "dev", retype("id", "bigint")).statusCode(422).body("message", containsString("primary key"));
    change(repo, "dev", retype("price", "no_such_type")).statusCode(422);
    assertThat(viewTypes(view)).isEqualTo(types);
    assertThat(type(repo, "dev", "price")).isEqualTo("numeric(8,2)");
    // a varchar of the table's text that holds only the values the branch has now: later rows of the table may not
    // fit (their JSON would be cut), so only a type that reads every value of the table's is taken
    change(repo, "dev", retype("label", "varchar(10)")).statusCode(422).body("message", containsString("is not one"));
    // more digits at the same scale, an unbounded varchar: every value reads as it is (no row looked at)
    change(repo, "dev", retype("price", "numeric(12,2)"), retype("label", "varchar")).statusCode(200);
    assertThat(Api.rows(pool, "select price::text || ':' || label from " + view + " where id = 2"))
        .containsExactly("2.25:x");
    // validate_only decides the same way, and changes nothing either way
    json().body(Map.of("operations", List.of(retype("label", "varchar(1)")), "validate_only", true))
        .post("/api/v1/repositories/{r}/branches/dev/tables/orders/schema", repo).then().statusCode(422)
        .body("message", containsString("is not one"));
    json().body(Map.of("operations", List.of(retype("label", "text")), "validate_only", true))
        .post("/api/v1/repositories/{r}/branches/dev/tables/orders/schema", repo).then().statusCode(200);
    assertThat(type(repo, "dev", "label")).isEqualTo("character varying");
  }

  @Test
  void mergesCarryATypeIntoOtherBranchesAndIntoTheTableWhileBranchesThatKeepTheOldTypeReadItThroughACast() {
    String repo = createRepository(uniqueName("retype-merge"));
    String t = trackNew(pool, repo, "orders", "id int primary key, qty int, note text",
        "values (1, 1, 'a'), (2, 2, 'b')");
    for (String b : List.of("dev", "other")) {
      post("/api/v1/repositories/" + repo + "/branches", Map.of("name", b, "from", "main")).statusCode(201);
    }
    change(repo, "dev", retype("qty", "bigint")).statusCode(200);
    sql(pool, "insert into " + Api.view(repo, "dev", "orders") + " values (3, 7000000000, 'big')");
    commit(repo, "dev", "big");

    // the default branch's rows arrive in the branch's type
    sql(pool, "insert into public." + t + " values (4, 4, 'main')");
    commit(repo, "main", "four");
    json().body(Map.of("source", "main")).post("/api/v1/repositories/{r}/branches/dev/merge", repo).then()
        .statusCode(200);
    assertThat(Api.rows(pool, "select string_agg(id || ':' || qty, ',' order by id) from "
        + Api.view(repo, "dev", "orders"))).containsExactly("1:1,2:2,3:7000000000,4:4");

    // into another branch: its view takes the type, then the rows
    json().body(Map.of("source", "dev")).post("/api/v1/repositories/{r}/branches/other/merge", repo).then()
        .log().ifValidationFails().statusCode(200);
    assertThat(type(repo, "other", "qty")).isEqualTo("bigint");
    assertThat(Api.rows(pool, "select qty::text from " + Api.view(repo, "other", "orders") + " where id = 3"))
        .containsExactly("7000000000");

    // a branch that keeps the column's type, with a grant on its view and a row of its own
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "keeps", "from", "main")).statusCode(201);
    String keeps = Api.view(repo, "keeps", "orders");
    sql(pool, "update " + keeps + " set note = 'kept' where id = 1");
    String reader = repo.replace('-', '_') + "_reader";
    sql(pool, "create role " + reader + "; grant select on " + keeps + " to " + reader);

    // a head the client did not expect refuses the merge before the table changes
    json().body(Map.of("source", "dev", "expected_head", "0000000")).post("/api/v1/repositories/{r}/branches/main/merge",
        repo).then().statusCode(409).body("error", equalTo("HeadMoved"));
    assertThat(viewTypes("public." + t)).containsExactly("id integer, qty integer, note text");
    // into the default branch: the table takes the type online, its rows and every branch kept as they were
    json().body(Map.of("source", "dev")).post("/api/v1/repositories/{r}/branches/main/merge", repo).then()
        .log().ifValidationFails().statusCode(200);
    assertThat(viewTypes("public." + t)).containsExactly("id integer, qty bigint, note text");
    assertThat(type(repo, "main", "qty")).isEqualTo("bigint");
    assertThat(Api.rows(pool, "select string_agg(id || ':' || qty, ',' order by id) from public." + t))
        .containsExactly("1:1,2:2,3:7000000000,4:4");
    // the branch that kept integer reads it so, its grant and its row kept; it reads the table's rows through a cast
    assertThat(viewTypes(keeps)).containsExactly("id integer, qty integer, note text");
    assertThat(type(repo, "keeps", "qty")).isEqualTo("integer");
    assertThat(Api.rows(pool, "select string_agg(id || ':' || qty || ':' || note, ',' order by id) from " + keeps))
        .containsExactly("1:1:kept,2:2:b,4:4:main");
    assertThat(Api.rows(pool, "select has_table_privilege('" + reader + "', '" + keeps + "', 'select')::text"))
        .containsExactly("true");
    // the table takes values only the new type holds, and commits them; a branch made now reads bigint
    sql(pool, "insert into public." + t + " values (5, 9000000000, 'wide')");
    commit(repo, "main", "wide on main");
    // a condition on the kept branch's view meets the table's row it does not read (out of its range) unharmed
    assertThat(Api.rows(pool, "select count(*)::text from " + keeps + " where qty > 0")).containsExactly("3");
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "later", "from", "main")).statusCode(201);
    assertThat(viewTypes(Api.view(repo, "later", "orders"))).containsExactly("id integer, qty bigint, note text");
    assertThat(Api.rows(pool, "select qty::text from " + Api.view(repo, "later", "orders") + " where id = 5"))
        .containsExactly("9000000000");
    // the branch that kept integer still works: its writes, its commits
    sql(pool, "insert into " + keeps + " values (6, 6, 'six')");
    commit(repo, "keeps", "six");
    assertThat(Api.rows(pool, "select count(*)::text from " + keeps)).containsExactly("4");
    // DDL on the table is followed as before (its columns are the logs' again)
    sql(pool, "create index on public." + t + " (note)");
    // the source, whose types are the table's now, widens another column (its old row type gone with the merge)
    change(repo, "dev", retype("note", "varchar")).statusCode(200);
    // the branch that kept integer sets NOT NULL on it in that type, then widens it as the table did
    Map<String, Object> notNull = new HashMap<>(Map.of("op", "alter_column", "name", "qty", "nullable", false));
    change(repo, "keeps", notNull).statusCode(200);
    assertThat(viewTypes(keeps)).containsExactly("id integer, qty integer, note text");
    change(repo, "keeps", retype("qty", "bigint")).statusCode(200);
    assertThat(viewTypes(keeps)).containsExactly("id integer, qty bigint, note text");
    sql(pool, "update " + keeps + " set qty = 8000000000 where id = 6");
    commit(repo, "keeps", "wide at last");
  }

  @Test
  void aMergeThatAddsAColumnAndWidensAnotherChangesTheTableOnceAndOnlyWideningsOfItsTypeAreTaken() {
    String repo = createRepository(uniqueName("retype-add"));
    String t = trackNew(pool, repo, "orders", "id int primary key, qty int, note text", "values (1, 1, 'a')");
    for (String b : List.of("dev", "numbers", "other")) {
      post("/api/v1/repositories/" + repo + "/branches", Map.of("name", b, "from", "main")).statusCode(201);
    }
    change(repo, "other", retype("qty", "bigint")).statusCode(200);
    sql(pool, "insert into " + Api.view(repo, "other", "orders") + " values (4, 4, 'd')");
    commit(repo, "other", "other");
    change(repo, "dev", Map.of("op", "add_column", "name", "region", "type", "text")).statusCode(200);
    change(repo, "dev", retype("qty", "bigint")).statusCode(200);
    sql(pool, "insert into " + Api.view(repo, "dev", "orders") + " values (2, 9000000000, 'b', 'eu')");
    commit(repo, "dev", "region and wide");
    json().body(Map.of("source", "dev")).post("/api/v1/repositories/{r}/branches/main/merge", repo).then()
        .log().ifValidationFails().statusCode(200);
    assertThat(viewTypes("public." + t)).containsExactly("id integer, qty bigint, note text, region text");
    assertThat(Api.rows(pool, "select string_agg(id || ':' || qty || ':' || coalesce(region, '-'), ',' order by id)"
        + " from public." + t)).containsExactly("1:1:-,2:9000000000:eu");
    assertThat(viewTypes(Api.view(repo, "other", "orders"))).containsExactly("id integer, qty bigint, note text");
    assertThat(viewTypes(Api.view(repo, "numbers", "orders"))).containsExactly("id integer, qty integer, note text");

    // another branch chose numeric while the table was integer: bigint is the table's now, and numeric widens it
    change(repo, "numbers", retype("qty", "numeric")).statusCode(200);
    sql(pool, "insert into " + Api.view(repo, "numbers", "orders") + " values (3, 3.5, 'c')");
    commit(repo, "numbers", "numbers");
    json().body(Map.of("source", "numbers")).post("/api/v1/repositories/{r}/branches/main/merge", repo).then()
        .log().ifValidationFails().statusCode(200);
    assertThat(type(repo, "main", "qty")).isEqualTo("numeric");
    // and a branch that chose bigint while the table was integer no longer widens it: refused, nothing changed
    json().body(Map.of("source", "other")).post("/api/v1/repositories/{r}/branches/main/merge", repo).then()
        .statusCode(422).body("message", containsString("does not read every value"));
    assertThat(type(repo, "main", "qty")).isEqualTo("numeric");
  }

  @Test
  void otherBranchesQueriesAndAnEnumsRulesAreUntouchedByATypeAndAWideBranchTakesTheTablesLaterCommits() {
    String repo = createRepository(uniqueName("retype-others"));
    sql(pool, "do $$ begin create type retype_mood as enum ('ok', 'meh'); exception when duplicate_object then null;"
        + " end $$");
    String t = trackNew(pool, repo, "orders", "id int primary key, qty int, mood retype_mood",
        "values (1, 1, 'ok'), (2, 2, null)");
    for (String b : List.of("dev", "feat", "enum")) {
      post("/api/v1/repositories/" + repo + "/branches", Map.of("name", b, "from", "main")).statusCode(201);
    }
    // the query role exists, and another branch has history
    json().body(Map.of("sql", "select count(*) from orders")).post("/api/v1/repositories/{r}/query", repo).then()
        .statusCode(200);
    sql(pool, "update " + Api.view(repo, "feat", "orders") + " set qty = 10 where id = 1");
    commit(repo, "feat", "ten");
    sql(pool, "update " + Api.view(repo, "feat", "orders") + " set qty = 20 where id = 1");
    commit(repo, "feat", "twenty");
    change(repo, "dev", retype("qty", "bigint")).statusCode(200);
    // a query at the other branch's earlier commit reads it as it was
    json().body(Map.of("sql", "select qty from orders where id = 1", "ref", "feat~1"))
        .post("/api/v1/repositories/{r}/query", repo).then().statusCode(200).body("rows[0][0]", equalTo(10));
    json().body(Map.of("sql", "select qty from orders where id = 1", "ref", "dev", "working", true))
        .post("/api/v1/repositories/{r}/query", repo).then().statusCode(200).body("rows[0][0]", equalTo(1));

    // NOT NULL of a column of an enum type is no change of its type: the view stays as it is
    String view = Api.view(repo, "enum", "orders");
    sql(pool, "update " + view + " set mood = 'meh' where id = 2");
    commit(repo, "enum", "moods");
    List<String> oid = Api.rows(pool, "select '" + view + "'::regclass::oid::text");
    Map<String, Object> notNull = new HashMap<>(Map.of("op", "alter_column", "name", "mood", "nullable", false));
    change(repo, "enum", notNull).statusCode(200);
    assertThat(Api.rows(pool, "select '" + view + "'::regclass::oid::text")).isEqualTo(oid);
    assertThat(viewTypes(view)).containsExactly("id integer, qty integer, mood retype_mood");
    sql(pool, "insert into " + view + " values (3, 3, 'ok')");
    commit(repo, "enum", "three");

    // a branch that widened a column resets to the table's later commit, and cherry-picks from it
    sql(pool, "insert into public." + t + " values (4, 4, 'ok')");
    commit(repo, "main", "four");
    String four = given().get("/api/v1/repositories/{r}/branches/main", repo).then().extract().path("head");
    sql(pool, "insert into public." + t + " values (5, 5, 'ok')");
    commit(repo, "main", "five");
    String five = given().get("/api/v1/repositories/{r}/branches/main", repo).then().extract().path("head");
    json().body(Map.of("to", four, "mode", "hard")).post("/api/v1/repositories/{r}/branches/dev/reset", repo).then()
        .log().ifValidationFails().statusCode(200);
    json().body(Map.of("commit", five)).post("/api/v1/repositories/{r}/branches/dev/cherry-pick", repo).then()
        .log().ifValidationFails().statusCode(201);
    assertThat(Api.rows(pool, "select string_agg(id || ':' || qty, ',' order by id) from "
        + Api.view(repo, "dev", "orders"))).containsExactly("1:1,2:2,4:4,5:5");
  }

  @Test
  void aHardResetGivesTheBranchTheTypesOfItsCommit() {
    String repo = createRepository(uniqueName("retype-reset"));
    trackNew(pool, repo, "orders", "id int primary key, qty int", "values (1, 1), (2, 2)");
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "dev", "from", "main")).statusCode(201);
    String view = Api.view(repo, "dev", "orders");
    String narrow = given().get("/api/v1/repositories/{r}/branches/dev", repo).then().extract().path("head");
    change(repo, "dev", retype("qty", "bigint")).statusCode(200);
    sql(pool, "update " + view + " set qty = 8000000000 where id = 2");
    commit(repo, "dev", "big");
    String wide = given().get("/api/v1/repositories/{r}/branches/dev", repo).then().extract().path("head");

    json().body(Map.of("to", narrow, "mode", "hard")).post("/api/v1/repositories/{r}/branches/dev/reset", repo).then()
        .statusCode(200);
    assertThat(type(repo, "dev", "qty")).isEqualTo("integer");
    assertThat(viewTypes(view)).containsExactly("id integer, qty integer");
    assertThat(Api.rows(pool, "select string_agg(id || ':' || qty, ',' order by id) from " + view))
        .containsExactly("1:1,2:2");
    json().body(Map.of("to", wide, "mode", "hard")).post("/api/v1/repositories/{r}/branches/dev/reset", repo).then()
        .statusCode(200);
    assertThat(viewTypes(view)).containsExactly("id integer, qty bigint");
    assertThat(Api.rows(pool, "select string_agg(id || ':' || qty, ',' order by id) from " + view))
        .containsExactly("1:1,2:8000000000");
  }

  @Test
  void aConflictsViewAMergeLeftFollowsTheBranchsColumnChangesAndTheTablesTypePromotion() {
    String repo = createRepository(uniqueName("retype-conflicts-view"));
    String t = trackNew(pool, repo, "orders", "id int primary key, note text, qty int", "values (1, 'a', 2)");
    for (String b : List.of("own", "wide")) {
      post("/api/v1/repositories/" + repo + "/branches", Map.of("name", b, "from", "main")).statusCode(201);
    }
    // branch own reads qty in a type of its own (a row type of its own), and a merge into it stops with a conflict
    change(repo, "own", retype("qty", "bigint")).statusCode(200);
    json().body(Map.of("note", "own")).patch("/api/v1/repositories/{r}/branches/own/tables/orders/rows/1", repo).then()
        .statusCode(200);
    json().body(Map.of("message", "own", "all", true))
        .post("/api/v1/repositories/{r}/branches/own/commits", repo).then().statusCode(201);
    sql(pool, "update public." + t + " set note = 'main' where id = 1");
    json().body(Map.of("message", "main", "all", true))
        .post("/api/v1/repositories/{r}/branches/main/commits", repo).then().statusCode(201);
    json().body(Map.of("source", "main")).post("/api/v1/repositories/{r}/branches/own/merge", repo).then()
        .statusCode(409);
    String schema = Api.view(repo, "own", "orders").split("\\.")[0].replace("\"", "");
    List<String> viewColumns = Api.rows(pool, "select string_agg(column_name, ',' order by ordinal_position)"
        + " from information_schema.columns where table_schema = '" + schema + "' and table_name = '" + t
        + "__conflicts'");
    assertThat(viewColumns.get(0)).contains("ours_note", "ours_qty");
    json().body(Map.of("take", "ours")).post("/api/v1/repositories/{r}/branches/own/merge/resolutions", repo).then()
        .statusCode(200);
    json().body(Map.of()).post("/api/v1/repositories/{r}/branches/own/merge/continue", repo).then().statusCode(201);

    // the conflicts view it left (kept once made) reads the branch's row type: a column dropped there is dropped
    // from the view too, not refused by it
    change(repo, "own", Map.of("op", "drop_column", "name", "note")).statusCode(200);
    viewColumns = Api.rows(pool, "select string_agg(column_name, ',' order by ordinal_position)"
        + " from information_schema.columns where table_schema = '" + schema + "' and table_name = '" + t
        + "__conflicts'");
    assertThat(viewColumns.get(0)).contains("ours_qty").doesNotContain("ours_note");

    // a wider type promoted into the table by a merge makes it again too
    change(repo, "wide", retype("qty", "bigint")).statusCode(200);
    json().body(Map.of("message", "wide", "all", true, "allow_empty", true))
        .post("/api/v1/repositories/{r}/branches/wide/commits", repo).then().statusCode(201);
    json().body(Map.of("source", "wide")).post("/api/v1/repositories/{r}/branches/main/merge", repo).then()
        .statusCode(200);
    assertThat(Api.rows(pool, "select format_type(atttypid, atttypmod) from pg_attribute where attrelid = 'public."
        + t + "'::regclass and attname = 'qty'")).containsExactly("bigint");
    assertThat(Api.rows(pool, "select count(*)::text from information_schema.views where table_schema = '" + schema
        + "' and table_name = '" + t + "__conflicts'")).containsExactly("1");
  }

}
