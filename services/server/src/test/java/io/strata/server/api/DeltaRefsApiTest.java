package io.strata.server.api;

import static io.restassured.RestAssured.given;
import static io.strata.server.api.Api.post;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.strata.server.TestDatabaseResource;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * What a Delta table shares with PostgreSQL tables beyond rows: staging and unstaging by the API, time travel by tag
 * and by timestamp, a merge under fail_on_conflict that changes nothing, the schema diff of a branch's column, and
 * the events of all of it in the repository's feed.
 */
@QuarkusTest
@WithTestResource(value = TestDatabaseResource.class, scope = TestResourceScope.GLOBAL)
class DeltaRefsApiTest {
  @jakarta.inject.Inject io.vertx.mutiny.sqlclient.Pool pool;

  @Test
  void aDeltaTableIsStagedTaggedTravelledByTimeMergedOnlyWithoutConflictsAndEveryStepIsAnEvent() throws Exception {
    DeltaTablesApiTest.Lake l = DeltaTablesApiTest.lake("lakerefs", 4);
    String base = l.base();

    // a REST write is staged; unstaged and staged again by the API
    Api.json().body(Map.of("customer", "first", "amount", 1.0)).put(base + "/branches/main/tables/orders/rows/1")
        .then().statusCode(200);
    given().get(base + "/branches/main/status").then().statusCode(200)
        .body("tables[0].staged.updated", equalTo(1)).body("tables[0].unstaged.updated", equalTo(0));
    Api.json().body(Map.of()).post(base + "/branches/main/unstage").then().statusCode(200);
    given().get(base + "/branches/main/status").then().statusCode(200)
        .body("tables[0].staged.updated", equalTo(0)).body("tables[0].unstaged.updated", equalTo(1));
    Api.json().body(Map.of("tables", List.of("orders"))).post(base + "/branches/main/stage").then().statusCode(200);
    given().get(base + "/branches/main/status").then().statusCode(200)
        .body("tables[0].staged.updated", equalTo(1));
    post(base + "/branches/main/commits", Map.of("message", "first")).statusCode(201);
    post(base + "/tags", Map.of("name", "v1", "ref", "main")).statusCode(201);
    Thread.sleep(50);
    Instant between = Instant.now();
    Thread.sleep(50);

    Api.json().body(Map.of("customer", "second", "amount", 2.0)).put(base + "/branches/main/tables/orders/rows/1")
        .then().statusCode(200);
    post(base + "/branches/main/commits", Map.of("message", "second")).statusCode(201);
    // by tag and by time: the Delta version the commit recorded
    given().get(base + "/tables/orders/rows/1?ref=v1").then().statusCode(200).body("customer", equalTo("first"));
    given().queryParam("ref", "main@{" + between + "}").get(base + "/tables/orders/rows/1").then().statusCode(200)
        .body("customer", equalTo("first"));
    given().get(base + "/tables/orders/rows/1?ref=main").then().statusCode(200).body("customer", equalTo("second"));

    // both sides change row 2: fail_on_conflict refuses and leaves main, its table and its merge state as they were
    post(base + "/branches", Map.of("name", "dev")).statusCode(201);
    Api.json().body(Map.of("customer", "main", "amount", 20.0)).put(base + "/branches/main/tables/orders/rows/2")
        .then().statusCode(200);
    post(base + "/branches/main/commits", Map.of("message", "main's 2")).statusCode(201);
    Api.json().body(Map.of("customer", "dev", "amount", 30.0)).put(base + "/branches/dev/tables/orders/rows/2")
        .then().statusCode(200);
    post(base + "/branches/dev/commits", Map.of("message", "dev's 2")).statusCode(201);
    String head = Api.head(l.repo(), "main");
    long version = l.orders().latest().getVersion();
    post(base + "/branches/main/merge", Map.of("source", "dev", "strategy", "fail_on_conflict")).statusCode(409)
        .body("error", equalTo("MergeConflict"));
    assertThat(Api.head(l.repo(), "main")).isEqualTo(head);
    assertThat(l.orders().latest().getVersion()).as("no Delta version written").isEqualTo(version);
    given().get(base + "/branches/main/merge").then().statusCode(200).body("merge_in_progress", equalTo(false));
    given().get(base + "/tables/orders/rows/2?ref=main&working=true").then().statusCode(200)
        .body("customer", equalTo("main"));

    // a column of dev's own is a schema difference between the refs
    post(base + "/branches/dev/tables/orders/schema", Map.of("operations", List.of(Map.of("op", "add_column",
        "name", "note", "type", "text")))).statusCode(200);
    String schemaDiff = given().queryParam("from", "main").queryParam("to", "dev").get(base + "/diff/schema").then()
        .statusCode(200).extract().asString();
    assertThat(schemaDiff).contains("\"orders\"").contains("note");

    // (by name, whatever their schema's version; the refused merge's attempt in the Delta storage is rolled back)
    List<String> types = given().queryParam("limit", 1000).get(base + "/events").then().statusCode(200).extract()
        .jsonPath().<String>getList("items.type").stream().map(t -> t.replaceFirst("\\.v[0-9]+$", "")).toList();
    assertThat(types).containsSubsequence("io.strata.storage.added", "io.strata.table.tracked",
        "io.strata.changes.staged", "io.strata.changes.unstaged", "io.strata.changes.staged",
        "io.strata.commit.created", "io.strata.tag.created", "io.strata.commit.created", "io.strata.branch.created",
        "io.strata.merge.rolled_back", "io.strata.table.branch_schema_changed");
  }

  /**
   * One merge over a Delta table and a PostgreSQL table, failing after both were written, before its event: neither
   * table keeps the merge's rows (the PostgreSQL side rolled back, the Delta side's rows put back), Strata's log has
   * no merge; tried again, one merge commit takes both.
   */
  @Test
  void aMergeOverADeltaAndAPostgresTableFailingAfterItsWorkChangesNeitherAndAgainTakesBoth() throws Exception {
    DeltaTablesApiTest.Lake l = DeltaTablesApiTest.lake("lakeboth", 4);
    String base = l.base();
    Api.trackNew(pool, l.repo(), "regions", "id int primary key, name text not null",
        "values (1, 'north'), (2, 'south')");
    post(base + "/branches", Map.of("name", "dev")).statusCode(201);
    Api.json().body(Map.of("customer", "dev", "amount", 20.0)).put(base + "/branches/dev/tables/orders/rows/2")
        .then().statusCode(200);
    Api.json().body(Map.of("name", "North")).put(base + "/branches/dev/tables/regions/rows/1").then().statusCode(200);
    post(base + "/branches/dev/commits", Map.of("message", "dev", "all", true)).statusCode(201)
        .body("stats.tables", equalTo(2));
    Api.json().body(Map.of("customer", "main", "amount", 30.0)).put(base + "/branches/main/tables/orders/rows/3")
        .then().statusCode(200);
    Api.json().body(Map.of("name", "South")).put(base + "/branches/main/tables/regions/rows/2").then().statusCode(200);
    post(base + "/branches/main/commits", Map.of("message", "main", "all", true)).statusCode(201);
    String head = Api.head(l.repo(), "main");

    io.strata.server.runtime.Failpoints.arm("merge.applied", "error");
    try {
      post(base + "/branches/main/merge", Map.of("source", "dev")).statusCode(503);
    } finally {
      io.strata.server.runtime.Failpoints.disarm("merge.applied");
    }
    assertThat(Api.head(l.repo(), "main")).as("no merge in Strata's log").isEqualTo(head);
    long deadline = System.nanoTime() + java.time.Duration.ofSeconds(20).toNanos();
    while (!"c2".equals(given().get(base + "/tables/orders/rows/2?ref=main&working=true").then().extract()
        .path("customer")) && System.nanoTime() < deadline) {
      Thread.sleep(200);
    }
    given().get(base + "/tables/orders/rows/2?ref=main&working=true").then().statusCode(200)
        .body("customer", equalTo("c2"));
    given().get(base + "/tables/regions/rows/1?ref=main&working=true").then().statusCode(200)
        .body("name", equalTo("north"));
    given().get(base + "/branches/main/status").then().statusCode(200).body("clean", equalTo(true));

    post(base + "/branches/main/merge", Map.of("source", "dev")).statusCode(200).body("fast_forward", equalTo(false))
        .body("stats.tables", equalTo(2));
    given().get(base + "/tables/orders/rows/2?ref=main").then().statusCode(200).body("customer", equalTo("dev"));
    given().get(base + "/tables/regions/rows/1?ref=main").then().statusCode(200).body("name", equalTo("North"));
    given().get(base + "/tables/orders/rows/3?ref=main").then().statusCode(200).body("customer", equalTo("main"));
    given().get(base + "/tables/regions/rows/2?ref=main").then().statusCode(200).body("name", equalTo("South"));
  }

  /**
   * A row both sides added differently (a conflict the merge writes nothing for), resolved, then the merge aborted:
   * the target's own row comes back (it was deleted: the resolution kept no row of ours to put back).
   */
  @Test
  void anAbortAfterResolvingARowBothSidesAddedPutsOursBack() throws Exception {
    DeltaTablesApiTest.Lake l = DeltaTablesApiTest.lake("lakeabort", 3);
    String base = l.base();
    post(base + "/branches", Map.of("name", "dev")).statusCode(201);
    Api.json().body(Map.of("customer", "main", "amount", 9.0)).put(base + "/branches/main/tables/orders/rows/9")
        .then().statusCode(200);
    post(base + "/branches/main/commits", Map.of("message", "main adds 9", "all", true)).statusCode(201);
    Api.json().body(Map.of("customer", "dev", "amount", 90.0)).put(base + "/branches/dev/tables/orders/rows/9")
        .then().statusCode(200);
    post(base + "/branches/dev/commits", Map.of("message", "dev adds 9", "all", true)).statusCode(201);

    post(base + "/branches/main/merge", Map.of("source", "dev")).statusCode(409).body("error", equalTo("MergeConflict"));
    assertThat(given().get(base + "/branches/main/merge").then().statusCode(200).extract().asString())
        .contains("add_add");
    post(base + "/branches/main/merge/resolutions", Map.of("table", "orders", "key", List.of(9), "take", "theirs"))
        .statusCode(200);
    given().get(base + "/tables/orders/rows/9?ref=main&working=true").then().statusCode(200)
        .body("customer", equalTo("dev"));
    post(base + "/branches/main/merge/abort", Map.of()).statusCode(204);
    given().get(base + "/tables/orders/rows/9?ref=main&working=true").then().statusCode(200)
        .body("customer", equalTo("main")).body("amount", equalTo(9.0f));
    given().get(base + "/branches/main/status").then().statusCode(200).body("clean", equalTo(true));
  }

  /**
   * A branch with a commit of its own merges the default branch after the table gained a column with values: the
   * branch takes the column with its values (written before the merge's rows, without a change set of ours), and
   * the merge goes through (the check for other engines' writes starts from what the branch was found clean at).
   */
  @Test
  void aBranchMergesTheTableAfterItGainedAColumnWithValues() throws Exception {
    DeltaTablesApiTest.Lake l = DeltaTablesApiTest.lake("lakecarried", 4);
    String base = l.base();
    post(base + "/branches", Map.of("name", "feature")).statusCode(201);
    Api.json().body(Map.of("customer", "f", "amount", 3.0)).put(base + "/branches/feature/tables/orders/rows/3")
        .then().statusCode(200);
    post(base + "/branches/feature/commits", Map.of("message", "feature's 3", "all", true)).statusCode(201);
    post(base + "/branches", Map.of("name", "dev")).statusCode(201);
    post(base + "/branches/dev/tables/orders/schema", Map.of("operations",
        List.of(Map.of("op", "add_column", "name", "region", "type", "text")))).statusCode(200);
    Api.json().body(Map.of("customer", "c1", "amount", 1.5, "region", "eu"))
        .put(base + "/branches/dev/tables/orders/rows/1").then().statusCode(200);
    post(base + "/branches/dev/commits", Map.of("message", "Region", "all", true)).statusCode(201);
    post(base + "/branches/main/merge", Map.of("source", "dev")).statusCode(200);

    post(base + "/branches/feature/merge", Map.of("source", "main")).statusCode(200)
        .body("fast_forward", equalTo(false));
    given().get(base + "/tables/orders/rows/1?ref=feature").then().statusCode(200).body("region", equalTo("eu"));
    given().get(base + "/tables/orders/rows/3?ref=feature").then().statusCode(200).body("customer", equalTo("f"));
    given().get(base + "/branches/feature/status").then().statusCode(200).body("clean", equalTo(true));
  }
}
