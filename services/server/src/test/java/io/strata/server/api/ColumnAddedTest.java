package io.strata.server.api;

import static io.restassured.RestAssured.given;
import static io.strata.server.api.Api.createRepository;
import static io.strata.server.api.Api.json;
import static io.strata.server.api.Api.post;
import static io.strata.server.api.Api.sql;
import static io.strata.server.api.Api.uniqueName;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.strata.server.TestDatabaseResource;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.pgclient.PgException;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A column an application adds to a tracked table on the default branch (psql, a migration tool) while
 * no branch reads the table: followed in the DDL's own transaction and recorded as the table's new
 * shape; writes in that transaction and after it are versioned with the column; commits, diffs, new
 * branches, merges and resets carry it; a move back over changes recorded before it leaves its values
 * alone.
 */
@QuarkusTest
@WithTestResource(value = TestDatabaseResource.class, scope = TestResourceScope.GLOBAL)
class ColumnAddedTest {
  @Inject Pool pool;

  private static JsonPath rows(String repo, String ref) {
    return given().queryParam("ref", ref).get("/api/v1/repositories/{r}/tables/orders/rows", repo).then()
        .statusCode(200).extract().jsonPath();
  }

  private static String commitAll(String repo, String branch, String message) {
    return json().body(Map.of("message", message, "all", true))
        .post("/api/v1/repositories/{r}/branches/{b}/commits", repo, branch).then().statusCode(201).extract().path("id");
  }

  @Test
  void aColumnAddedOnTheDefaultBranchIsVersionedFromItsOwnTransactionOn() {
    String repo = createRepository(uniqueName("column-added"));
    String t = uniqueName("orders").replace("-", "_");
    sql(pool, "create table public." + t + " (id int primary key, status text, total int)");
    sql(pool, "insert into public." + t + " values (1, 'new', 10), (2, 'new', 20)");
    post("/api/v1/repositories/" + repo + "/tables", Map.of("name", "orders", "location", "postgresql://local/public." + t))
        .statusCode(201);
    sql(pool, "update public." + t + " set total = 11 where id = 1");
    String before = commitAll(repo, "main", "total of 1, before the column");

    // one transaction: the column, with a constant default, and a write that gives it a value
    sql(pool, "alter table public." + t + " add column region text not null default 'eu';"
        + " update public." + t + " set region = 'us', status = 'paid' where id = 1");
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250))
        .until(() -> given().get("/api/v1/repositories/{r}/tables/orders", repo).then().extract().jsonPath()
            .getList("columns.name").contains("region"));
    given().get("/api/v1/repositories/{r}/branches/main/status", repo).then().statusCode(200)
        .body("tables[0].schema_changed", equalTo(true));
    String after = commitAll(repo, "main", "region, and 1 paid in the us");

    JsonPath head = rows(repo, "main");
    assertThat(head.getList("items.region")).containsExactly("us", "eu");
    assertThat(head.getList("items.status")).containsExactly("paid", "new");
    // time travel: a commit before the column shows the columns it had; a filter on the new one is refused
    JsonPath then = rows(repo, before);
    assertThat(then.getList("items.total")).containsExactly(11, 20);
    assertThat(then.getList("items", Map.class)).allSatisfy(row -> assertThat(row).containsOnlyKeys("id", "status",
        "total"));
    String streamed = given().queryParam("ref", before).accept("application/x-ndjson")
        .get("/api/v1/repositories/{r}/tables/orders/rows", repo).then().statusCode(200).extract().asString();
    assertThat(streamed).contains("\"total\"").doesNotContain("region");
    given().queryParam("ref", before).queryParam("region", "eu").get("/api/v1/repositories/{r}/tables/orders/rows", repo)
        .then().statusCode(422).body("message", org.hamcrest.Matchers.containsString("had no column 'region'"));
    JsonPath diff = given().queryParam("from", before).queryParam("to", after)
        .get("/api/v1/repositories/{r}/diff/schema", repo).then().statusCode(200).extract().jsonPath();
    assertThat(diff.getList("tables[0].changes", Map.class))
        .extracting(c -> c.get("change_type") + " " + c.get("object_type") + " " + c.get("object"))
        .containsExactly("added column region");
    assertThat(diff.getList("tables[0].up", String.class)).singleElement().asString()
        .contains("ADD COLUMN \"region\" text", "DEFAULT 'eu'", "NOT NULL");
    given().get("/api/v1/repositories/{r}/migrations", repo).then().statusCode(200)
        .body("migrations.find { it.sql.contains('ADD COLUMN') }.sql", org.hamcrest.Matchers.containsString("region"));

    // a branch made now has the column: written, committed and merged back with it
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "feature")).statusCode(201);
    json().body(Map.of("id", 3, "status", "new", "total", 30, "region", "apac"))
        .put("/api/v1/repositories/{r}/branches/feature/tables/orders/rows/3", repo).then().statusCode(200);
    commitAll(repo, "feature", "an order from apac");
    json().body(Map.of("source", "feature")).post("/api/v1/repositories/{r}/branches/main/merge", repo)
        .then().statusCode(200);
    assertThat(rows(repo, "main").getList("items.region")).containsExactly("us", "eu", "apac");

    // a branch of a state before the column: rows changed since read the column as their row has it
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "past", "from", before + "~1")).statusCode(201);
    JsonPath past = given().queryParam("ref", "past").queryParam("working", true)
        .get("/api/v1/repositories/{r}/tables/orders/rows", repo).then().statusCode(200).extract().jsonPath();
    List<Integer> pastTotals = past.getList("items.total");
    assertThat(pastTotals).containsExactly(10, 20);
    assertThat(past.getList("items.region")).containsExactly("us", "eu");
    given().delete("/api/v1/repositories/{r}/branches/past", repo).then().statusCode(204);

    // with feature alive, another column is followed as well (feature keeps the four it reads: BranchColumnsTest)
    sql(pool, "alter table public." + t + " add column channel text");
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> given().get("/api/v1/repositories/{r}/tables/orders", repo)
        .then().body("columns", org.hamcrest.Matchers.hasSize(5)));

    // back to before the first commit: its change was recorded without the column, which it leaves as it is
    json().body(Map.of("to", before + "~1", "mode", "hard")).post("/api/v1/repositories/{r}/branches/main/reset", repo)
        .then().statusCode(200);
    JsonPath reset = given().queryParam("ref", "main").queryParam("working", true)
        .get("/api/v1/repositories/{r}/tables/orders/rows", repo).then().statusCode(200).extract().jsonPath();
    assertThat(reset.getList("items.id")).containsExactly(1, 2);
    assertThat(reset.getList("items.status")).containsExactly("new", "new");
    List<Integer> totals = reset.getList("items.total");
    assertThat(totals).containsExactly(10, 20);
    assertThat(reset.getList("items.region")).as("changes recorded before the column leave it").containsExactly("us", "eu");
  }
}
