package io.strata.server.api;

import static io.restassured.RestAssured.given;
import static io.strata.server.api.Api.createRepository;
import static io.strata.server.api.Api.json;
import static io.strata.server.api.Api.post;
import static io.strata.server.api.Api.sql;
import static io.strata.server.api.Api.trackNew;
import static io.strata.server.api.Api.uniqueName;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.hasSize;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.strata.events.TableColumn;
import io.strata.server.TestDatabaseResource;
import io.strata.server.application.RepositoryStateLoader;
import io.strata.server.domain.RepositoryState;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A column added on the default branch while another branch reads the table: followed, and the branch
 * keeps the columns it had — its reads, REST writes and filters, commits and status in them — until it
 * is deleted; a branch created afterwards reads the new column. The branch's rows merge into the
 * default branch (the column left to it: kept on a changed row, its default on a new one); a branch's
 * commit records the columns it read (those of main's DDL not committed on main yet too); rows of the
 * new column move into the branch only by a merge or a cherry-pick, which take the column first (resets,
 * rebases: that needs a schema merge): refused with a 422 before anything changes; the branch's own
 * history moves within its columns. The state restored from the
 * projections knows the branch's columns as the event log does.
 */
@QuarkusTest
@WithTestResource(value = TestDatabaseResource.class, scope = TestResourceScope.GLOBAL)
class BranchColumnsTest {
  @Inject Pool pool;
  @Inject RepositoryStateLoader loader;

  private static JsonPath rows(String repo, String ref, boolean working) {
    return given().queryParam("ref", ref).queryParam("working", working)
        .get("/api/v1/repositories/{r}/tables/orders/rows", repo).then().statusCode(200).extract().jsonPath();
  }

  private static String commitAll(String repo, String branch, String message) {
    return json().body(Map.of("message", message, "all", true))
        .post("/api/v1/repositories/{r}/branches/{b}/commits", repo, branch).then().statusCode(201).extract().path("id");
  }

  /** The names of the columns the schema endpoint gives as recorded for orders at {@code ref}. */
  private static List<String> recordedColumns(String repo, String ref) {
    return given().queryParam("ref", ref).get("/api/v1/repositories/{r}/tables/orders/schema", repo).then()
        .statusCode(200).extract().jsonPath().getList("recorded.columns.name");
  }

  private RepositoryState state(String repo, boolean folded) {
    return (folded ? loader.fold(repo) : loader.load(repo)).await().atMost(Duration.ofSeconds(10));
  }

  @Test
  void aBranchThatKeptItsColumnsRebasesTheCommitsItInheritedOntoABranchOfTheSameColumns() {
    String repo = createRepository(uniqueName("branch-columns-rebase"));
    String t = trackNew(pool, repo, "orders", "id int primary key, status text not null", "values (1, 'new')");
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "parent", "from", "main")).statusCode(201);
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "other", "from", "main")).statusCode(201);
    json().body(Map.of("status", "parent")).put("/api/v1/repositories/{r}/branches/parent/tables/orders/rows/2", repo)
        .then().statusCode(200);
    String inherited = commitAll(repo, "parent", "made on parent");
    // child's history holds a commit made on parent before child was created
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "child", "from", "parent")).statusCode(201);
    json().body(Map.of("status", "other")).put("/api/v1/repositories/{r}/branches/other/tables/orders/rows/3", repo)
        .then().statusCode(200);
    commitAll(repo, "other", "made on other");
    // the table gains a column: parent, child and other keep theirs
    sql(pool, "alter table public." + t + " add column region text");
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> given()
        .get("/api/v1/repositories/{r}/tables/orders", repo).then().body("columns", hasSize(3)));

    // the rebase replays the commit child inherited (made in its columns) onto other, of the same columns
    json().body(Map.of("onto", "other")).post("/api/v1/repositories/{r}/branches/child/rebase", repo).then()
        .statusCode(200);
    List<String> messages = given().queryParam("ref", "child").queryParam("first_parent", true).queryParam("limit", 2)
        .get("/api/v1/repositories/{r}/commits", repo).then().statusCode(200).extract().jsonPath()
        .getList("items.message");
    assertThat(messages).containsExactly("made on parent", "made on other");
    assertThat(Api.head(repo, "child")).isNotEqualTo(inherited);
    assertThat(rows(repo, "child", false).getList("items.status")).containsExactly("new", "parent", "other");
    assertThat(rows(repo, "child", false).getMap("items[0]")).containsOnlyKeys("id", "status");
    // a commit it never had is still refused
    json().body(Map.of("commit", inherited)).post("/api/v1/repositories/{r}/branches/other/cherry-pick", repo)
        .then().statusCode(422).body("message", containsString("was not made in them"));
  }

  @Test
  void aBranchKeepsItsColumnsWhenTheTableGainsOneAndItsRowsStillMergeIntoTheDefaultBranch() {
    String repo = createRepository(uniqueName("branch-columns"));
    String t = trackNew(pool, repo, "orders", "id int primary key, status text not null",
        "values (1, 'new'), (2, 'new')");
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "dev", "from", "main")).statusCode(201);
    json().body(Map.of("status", "dev")).put("/api/v1/repositories/{r}/branches/dev/tables/orders/rows/3", repo)
        .then().statusCode(200);

    // an application adds a column on the default branch while dev reads the table: followed, recorded
    sql(pool, "alter table public." + t + " add column region text not null default 'eu'");
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> given()
        .get("/api/v1/repositories/{r}/tables/orders", repo).then().body("columns", hasSize(3)));
    List<Map<String, Object>> changed = given().queryParam("types", "io.strata.table.schema_changed.v3")
        .get("/api/v1/repositories/{r}/events", repo).then().statusCode(200).extract().jsonPath().getList("items");
    assertThat(changed).singleElement().satisfies(e -> assertThat(e.toString())
        .contains("branch_columns=[{branch=dev, columns=[{name=id, type=integer, nullable=false}, {name=status, type=text,"
            + " nullable=false}]}]"));

    // dev reads, writes and filters in its own columns
    assertThat(rows(repo, "dev", true).getList("items.id")).containsExactly(1, 2, 3);
    assertThat(rows(repo, "dev", true).getMap("items[2]")).containsOnlyKeys("id", "status");
    json().body(Map.of("status", "x", "region", "apac")).put("/api/v1/repositories/{r}/branches/dev/tables/orders/rows/4",
        repo).then().statusCode(422).body("message", containsString("has no column 'region'"));
    given().queryParam("ref", "dev").queryParam("region", "eu").get("/api/v1/repositories/{r}/tables/orders/rows", repo)
        .then().statusCode(422).body("message", containsString("has no column 'region'"));
    json().body("[{\"op\": \"upsert\", \"row\": {\"id\": 4, \"status\": \"dev\"}}]")
        .post("/api/v1/repositories/{r}/branches/dev/tables/orders/rows:batch", repo).then().statusCode(200);
    sql(pool, "update " + Api.view(repo, "dev", "orders") + " set status = 'sql' where id = 1");
    JsonPath status = given().get("/api/v1/repositories/{r}/branches/dev/status", repo).then().statusCode(200)
        .extract().jsonPath();
    assertThat(status.getInt("tables[0].staged.inserted") + status.getInt("tables[0].unstaged.inserted")).isEqualTo(2);
    assertThat(status.getInt("tables[0].staged.updated") + status.getInt("tables[0].unstaged.updated")).isEqualTo(1);
    String devHead = commitAll(repo, "dev", "dev's orders");
    given().queryParam("from", "main").queryParam("to", "dev").get("/api/v1/repositories/{r}/diff", repo).then()
        .statusCode(200).body("tables[0].inserted", org.hamcrest.Matchers.equalTo(2));
    json().body(Map.of("sql", "select string_agg(status, ',' order by id) as s from orders", "ref", "dev"))
        .post("/api/v1/repositories/{r}/query", repo).then().statusCode(200)
        .body("rows[0][0]", org.hamcrest.Matchers.equalTo("sql,new,dev,dev"));
    // at an older state of dev, read through the state functions, in dev's columns too
    json().body(Map.of("sql", "select * from orders order by id", "ref", devHead + "~1"))
        .post("/api/v1/repositories/{r}/query", repo).then().statusCode(200)
        .body("columns", org.hamcrest.Matchers.contains("id", "status"));
    json().body(Map.of("sql", "select * from orders order by id", "ref", "dev~1"))
        .post("/api/v1/repositories/{r}/query", repo).then().statusCode(200)
        .body("columns", org.hamcrest.Matchers.contains("id", "status"));
    assertThat(rows(repo, devHead, false).getList("items.status")).containsExactly("sql", "new", "dev", "dev");
    // the default branch reads the column, a branch created now too
    assertThat(rows(repo, "main", true).getList("items.region")).containsExactly("eu", "eu");
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "later", "from", "main")).statusCode(201);
    json().body(Map.of("status", "later", "region", "apac"))
        .put("/api/v1/repositories/{r}/branches/later/tables/orders/rows/5", repo).then().statusCode(200);
    String laterHead = commitAll(repo, "later", "an order from apac");

    // the state restored from the projections knows dev's columns, as the log does
    List<TableColumn> devColumns = List.of(new TableColumn("id", "integer", false),
        new TableColumn("status", "text", false));
    for (boolean folded : new boolean[] {false, true}) {
      RepositoryState s = state(repo, folded);
      assertThat(s.columnsOn("orders", "dev")).as("folded %s", folded).isEqualTo(devColumns);
      assertThat(s.hasOwnColumns("orders", "later")).as("folded %s", folded).isFalse();
    }

    // later's commit records the column it read (main's DDL, not committed on main yet), as its schema shows it
    assertThat(recordedColumns(repo, laterHead)).containsExactly("id", "status", "region");
    assertThat(recordedColumns(repo, "later")).containsExactly("id", "status", "region");
    // a merge of later into dev, or a cherry-pick of its commit, would take the column first (ThreeWaySchemaMergeTest);
    // a merge's dry run changes nothing
    String mainHead = Api.head(repo, "main");
    json().body(Map.of("source", "later", "dry_run", true)).post("/api/v1/repositories/{r}/branches/dev/merge", repo)
        .then().statusCode(200).body("conflicts", org.hamcrest.Matchers.equalTo(0));
    assertThat(rows(repo, "dev", true).getMap("items[0]")).containsOnlyKeys("id", "status");
    // the new column's rows do not move into dev otherwise: that needs a schema merge
    json().body(Map.of("to", laterHead, "mode", "hard")).post("/api/v1/repositories/{r}/branches/dev/reset", repo)
        .then().statusCode(422).body("message", containsString("was not made in them"));
    json().body(Map.of("onto", "main")).post("/api/v1/repositories/{r}/branches/dev/rebase", repo)
        .then().statusCode(422).body("message", containsString("has other columns"));
    assertThat(Api.head(repo, "dev")).isEqualTo(devHead);
    assertThat(Api.head(repo, "main")).isEqualTo(mainHead);

    // dev's rows merge into the default branch: the column is left to main (a changed row keeps its value,
    // a new row takes its default)
    sql(pool, "update public." + t + " set region = 'us' where id = 1");
    commitAll(repo, "main", "order 1 is from the us");
    json().body(Map.of("source", "dev")).post("/api/v1/repositories/{r}/branches/main/merge", repo)
        .then().statusCode(200);
    JsonPath merged = rows(repo, "main", true);
    assertThat(merged.getList("items.id")).containsExactly(1, 2, 3, 4);
    assertThat(merged.getList("items.status")).containsExactly("sql", "new", "dev", "dev");
    assertThat(merged.getList("items.region")).containsExactly("us", "eu", "eu", "eu");

    // dev's own history moves within its columns: back, and forward again to a commit made on it
    json().body(Map.of("to", devHead + "~1", "mode", "hard")).post("/api/v1/repositories/{r}/branches/dev/reset", repo)
        .then().statusCode(200);
    assertThat(rows(repo, "dev", true).getList("items.id")).containsExactly(1, 2);
    assertThat(rows(repo, "dev", true).getList("items.status")).containsExactly("new", "new");
    json().body(Map.of("to", devHead, "mode", "hard")).post("/api/v1/repositories/{r}/branches/dev/reset", repo)
        .then().statusCode(200);
    assertThat(rows(repo, "dev", true).getList("items.status")).containsExactly("sql", "new", "dev", "dev");

    // deleted, dev's columns are forgotten
    given().queryParam("force", true).delete("/api/v1/repositories/{r}/branches/dev", repo).then().statusCode(204);
    assertThat(state(repo, false).hasOwnColumns("orders", "dev")).isFalse();
  }

  @Test
  void aCommitRightAfterTheColumnIsAddedRecordsItFirst() {
    String repo = createRepository(uniqueName("column-commit"));
    String t = trackNew(pool, repo, "orders", "id int primary key, status text", "values (1, 'new')");
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "dev", "from", "main")).statusCode(201);
    // no wait for the follower's round: the commit records the DDL made before it, then commits in its columns
    sql(pool, "alter table public." + t + " add column region text; update public." + t + " set region = 'eu'");
    commitAll(repo, "main", "region");
    assertThat(rows(repo, "main", false).getList("items.region")).containsExactly("eu");
    assertThat(rows(repo, "dev", false).getMap("items[0]")).containsOnlyKeys("id", "status");
  }

  @Test
  void aBranchCommitRecordsTheColumnsItReadAsTheTableHadThemWhenItsBranchReadThem() {
    String repo = createRepository(uniqueName("branch-columns-read"));
    String t = trackNew(pool, repo, "orders", "id int primary key, status text not null",
        "values (1, 'new'), (2, 'new')");
    // main gains region and does not commit: a branch created now reads it (once the DDL is recorded)
    sql(pool, "alter table public." + t + " add column region text");
    await().atMost(Duration.ofSeconds(30)).until(() -> json().body(Map.of("name", "late", "from", "main"))
        .post("/api/v1/repositories/" + repo + "/branches").statusCode() == 201);
    json().body(Map.of("region", "eu")).patch("/api/v1/repositories/{r}/branches/late/tables/orders/rows/2", repo)
        .then().statusCode(200);
    String first = commitAll(repo, "late", "region of order 2");
    assertThat(recordedColumns(repo, first)).containsExactly("id", "status", "region");
    assertThat(recordedColumns(repo, "late")).containsExactly("id", "status", "region");
    // main gains another column while late is alive: late keeps the three, and its commits record them
    sql(pool, "alter table public." + t + " add column amount int");
    await().atMost(Duration.ofSeconds(30)).until(() -> state(repo, false).hasOwnColumns("orders", "late"));
    json().body(Map.of("status", "late")).patch("/api/v1/repositories/{r}/branches/late/tables/orders/rows/1", repo)
        .then().statusCode(200);
    String second = commitAll(repo, "late", "status of order 1");
    assertThat(recordedColumns(repo, second)).containsExactly("id", "status", "region");
    assertThat(recordedColumns(repo, "late")).containsExactly("id", "status", "region");
    // what the commits hold reads as recorded, and a hard reset to the first changes no column
    assertThat(rows(repo, second, false).getList("items.region")).containsExactly(null, "eu");
    json().body(Map.of("to", first, "mode", "hard")).post("/api/v1/repositories/{r}/branches/late/reset", repo)
        .then().statusCode(200);
    assertThat(rows(repo, "late", true).getMap("items[1]")).containsOnlyKeys("id", "status", "region");
    given().get("/api/v1/repositories/{r}/branches/late/status", repo).then().statusCode(200)
        .body("tables[0].schema_changed", org.hamcrest.Matchers.equalTo(false));
    // and main's schema is its head's: the DDL it has not committed is a change since
    assertThat(recordedColumns(repo, "main")).containsExactly("id", "status");
  }
}
