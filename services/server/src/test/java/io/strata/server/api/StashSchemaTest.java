package io.strata.server.api;

import static io.restassured.RestAssured.given;
import static io.strata.server.api.Api.createRepository;
import static io.strata.server.api.Api.head;
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
import io.restassured.response.ValidatableResponse;
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
 * A stash holds the shape changes a branch made since its head (columns added, dropped, renamed, checks) with its
 * rows: saving puts both back to the head's, applying gives both back, and a stash's shape is not applied over
 * shape changes made since (422, nothing changed).
 */
@QuarkusTest
@WithTestResource(value = TestDatabaseResource.class, scope = TestResourceScope.GLOBAL)
class StashSchemaTest {
  @Inject Pool pool;
  @Inject RepositoryStateLoader loader;

  static {
    io.restassured.RestAssured.enableLoggingOfRequestAndResponseIfValidationFails();
  }

  private static ValidatableResponse change(String repo, String branch, Map<String, Object> operation) {
    return json().body(Map.of("operations", List.of(operation)))
        .post("/api/v1/repositories/{r}/branches/{b}/tables/orders/schema", repo, branch).then();
  }

  private static Map<String, Object> addColumn(String name, String type, Object dflt) {
    Map<String, Object> op = new HashMap<>();
    op.put("op", "add_column");
    op.put("name", name);
    op.put("type", type);
    if (dflt != null) {
      op.put("default", dflt);
      op.put("nullable", false);
    }
    return op;
  }

  private static JsonPath rows(String repo, String branch) {
    return given().queryParam("ref", branch).queryParam("working", true)
        .get("/api/v1/repositories/{r}/tables/orders/rows", repo).then().statusCode(200).extract().jsonPath();
  }

  private static ValidatableResponse stash(String repo, Map<String, Object> body) {
    return json().body(body).post("/api/v1/repositories/{r}/branches/dev/stash", repo).then();
  }

  private static ValidatableResponse pop(String repo) {
    return json().body(Map.of()).post("/api/v1/repositories/{r}/branches/dev/stash/0/pop", repo).then();
  }

  private static int eventCount(String repo) {
    return given().queryParam("limit", 1000).get("/api/v1/repositories/{r}/events", repo).then().statusCode(200)
        .extract().jsonPath().getList("items").size();
  }

  private String repository() {
    String repo = createRepository(uniqueName("stash-shape"));
    trackNew(pool, repo, "orders", "id int primary key, status text not null, qty int",
        "values (1, 'new', 1), (2, 'new', 2), (3, 'new', 3)");
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "dev", "from", "main")).statusCode(201);
    return repo;
  }

  /** The branch's shapes the server holds are those the log folds to: the stash's events say what it did. */
  private void assertStateIsTheLogs(String repo) {
    RepositoryState live = loader.load(repo).await().atMost(Duration.ofSeconds(10));
    RepositoryState folded = loader.fold(repo).await().atMost(Duration.ofSeconds(10));
    for (String table : live.tables().keySet()) {
      assertThat(live.columnsOn(table, "dev")).isEqualTo(folded.columnsOn(table, "dev"));
      assertThat(live.addedOn(table, "dev")).isEqualTo(folded.addedOn(table, "dev"));
      assertThat(live.renamedOn(table, "dev")).isEqualTo(folded.renamedOn(table, "dev"));
      assertThat(live.redefinedOn(table, "dev")).isEqualTo(folded.redefinedOn(table, "dev"));
      assertThat(live.constraintsOn(table, "dev")).isEqualTo(folded.constraintsOn(table, "dev"));
    }
    assertThat(live.stashes("dev")).isEqualTo(folded.stashes("dev"));
    assertThat(live.tables().keySet()).isEqualTo(folded.tables().keySet());
  }

  @Test
  void aStashHoldsTheShapeChangesSinceTheHeadWithTheRowsAndGivesBothBack() {
    String repo = repository();
    String head = head(repo, "dev");
    change(repo, "dev", addColumn("region", "text", "eu")).statusCode(200);
    change(repo, "dev", Map.of("op", "drop_column", "name", "qty")).statusCode(200);
    change(repo, "dev", Map.of("op", "rename_column", "name", "status", "new_name", "state")).statusCode(200);
    change(repo, "dev", Map.of("op", "add_constraint", "name", "small_ids", "check", "id < 100"))
        .statusCode(200);
    json().body(Map.of("state", "packed", "region", "apac"))
        .put("/api/v1/repositories/{r}/branches/dev/tables/orders/rows/1", repo).then().statusCode(200);
    json().body(Map.of("state", "new", "region", "us"))
        .put("/api/v1/repositories/{r}/branches/dev/tables/orders/rows/4", repo).then().statusCode(200);

    stash(repo, Map.of("message", "regions")).statusCode(201).body("head", equalTo(head))
        .body("schema_tables", equalTo(List.of("orders"))).body("tables[0].table", equalTo("orders"))
        .body("tables[0].inserted", equalTo(1)).body("tables[0].updated", equalTo(1));
    // the branch is at its head again: its rows and its shape
    JsonPath back = rows(repo, "dev");
    assertThat(back.getMap("items[0]")).containsOnlyKeys("id", "status", "qty");
    assertThat(back.getList("items.id")).containsExactly(1, 2, 3);
    assertThat(back.getList("items.qty")).containsExactly(1, 2, 3);
    given().get("/api/v1/repositories/{r}/branches/dev/status", repo).then().body("clean", equalTo(true));
    // the check went with it: a large id is taken, then discarded
    json().body(Map.of("status", "big"))
        .put("/api/v1/repositories/{r}/branches/dev/tables/orders/rows/200", repo).then().statusCode(200);
    given().delete("/api/v1/repositories/{r}/branches/dev/working", repo).then().statusCode(204);
    given().get("/api/v1/repositories/{r}/branches/dev/stash", repo).then().statusCode(200)
        .body("items[0].schema_tables", equalTo(List.of("orders")));
    assertStateIsTheLogs(repo);

    pop(repo).statusCode(200).body("schema_tables", equalTo(List.of("orders")))
        .body("tables[0].inserted", equalTo(1)).body("tables[0].updated", equalTo(1));
    JsonPath again = rows(repo, "dev");
    assertThat(again.getMap("items[0]")).containsOnlyKeys("id", "state", "region");
    assertThat(again.getList("items.id")).containsExactly(1, 2, 3, 4);
    assertThat(again.getList("items.state")).containsExactly("packed", "new", "new", "new");
    assertThat(again.getList("items.region")).containsExactly("apac", "eu", "eu", "us");
    // the check is back
    json().body(Map.of("state", "big"))
        .put("/api/v1/repositories/{r}/branches/dev/tables/orders/rows/200", repo).then().statusCode(422);
    given().get("/api/v1/repositories/{r}/branches/dev/stash", repo).then().body("items", org.hamcrest.Matchers.empty());
    assertStateIsTheLogs(repo);

    // and a commit records it all, as if it had never been stashed
    String commit = json().body(Map.of("message", "regions", "all", true))
        .post("/api/v1/repositories/{r}/branches/dev/commits", repo).then().statusCode(201).extract().path("id");
    JsonPath at = given().queryParam("ref", commit).get("/api/v1/repositories/{r}/tables/orders/rows", repo).then()
        .statusCode(200).extract().jsonPath();
    assertThat(at.getList("items.region")).containsExactly("apac", "eu", "eu", "us");
  }

  @Test
  void aStashOfShapeChangesAloneIsSavedAndAppliedAndAStashOfOtherTablesLeavesThemAlone() {
    String repo = repository();
    trackNew(pool, repo, "notes", "id int primary key, body text", "values (1, 'a')");
    change(repo, "dev", addColumn("region", "text", "eu")).statusCode(200);
    json().body(Map.of("body", "b")).put("/api/v1/repositories/{r}/branches/dev/tables/notes/rows/1", repo).then()
        .statusCode(200);
    // a stash of notes alone leaves the shape of orders
    stash(repo, Map.of("tables", List.of("notes"))).statusCode(201).body("schema_tables", org.hamcrest.Matchers.empty());
    assertThat(rows(repo, "dev").getMap("items[0]")).containsKey("region");
    // a stash of the shape alone: no rows
    stash(repo, Map.of("tables", List.of("orders"))).statusCode(201)
        .body("schema_tables", equalTo(List.of("orders"))).body("tables", org.hamcrest.Matchers.empty());
    assertThat(rows(repo, "dev").getMap("items[0]")).doesNotContainKey("region");
    stash(repo, Map.of()).statusCode(422).body("message", containsString("no working changes"));
    pop(repo).statusCode(200).body("schema_tables", equalTo(List.of("orders")))
        .body("tables", org.hamcrest.Matchers.empty());
    assertThat(rows(repo, "dev").getList("items.region")).containsExactly("eu", "eu", "eu");
    pop(repo).statusCode(200).body("tables[0].table", equalTo("notes"));
    assertStateIsTheLogs(repo);
  }

  @Test
  void aStashsShapeIsNotAppliedOverShapeChangesMadeSinceAndNothingChanges() {
    String repo = repository();
    change(repo, "dev", addColumn("region", "text", "eu")).statusCode(200);
    json().body(Map.of("status", "x", "region", "apac"))
        .put("/api/v1/repositories/{r}/branches/dev/tables/orders/rows/1", repo).then().statusCode(200);
    stash(repo, Map.of()).statusCode(201);
    change(repo, "dev", addColumn("note", "text", null)).statusCode(200);
    int events = eventCount(repo);

    pop(repo).statusCode(422).body("message", containsString("changed since the stash was saved"));
    assertThat(eventCount(repo)).isEqualTo(events);
    assertThat(rows(repo, "dev").getMap("items[0]")).containsOnlyKeys("id", "status", "qty", "note");
    given().get("/api/v1/repositories/{r}/branches/dev/stash", repo).then().body("items.size()", equalTo(1));

    // once the branch is back at its head's shape, it applies
    json().body(Map.of("to", head(repo, "dev"), "mode", "hard"))
        .post("/api/v1/repositories/{r}/branches/dev/reset", repo).then().statusCode(200);
    pop(repo).statusCode(200);
    assertThat(rows(repo, "dev").getList("items.region")).containsExactly("apac", "eu", "eu");
    assertThat(rows(repo, "dev").getList("items.status")).containsExactly("x", "new", "new");
    assertStateIsTheLogs(repo);
  }

  @Test
  void aStashOfABranchForkedBeforeTheTableGainedAColumnIsSavedAndApplied() {
    String repo = repository();
    String table = Api.rows(pool, "select table_name from strata_meta.tables where repository = '" + repo + "'").get(0);
    sql(pool, "alter table public." + table + " add column region text");
    json().body(Map.of("message", "region", "allow_empty", true))
        .post("/api/v1/repositories/{r}/branches/main/commits", repo).then().statusCode(201);
    given().get("/api/v1/repositories/{r}/branches/dev/status", repo).then().body("clean", equalTo(true));
    change(repo, "dev", addColumn("note", "text", null)).statusCode(200);
    stash(repo, Map.of()).statusCode(201).body("schema_tables", equalTo(List.of("orders")));
    assertThat(rows(repo, "dev").getMap("items[0]")).containsOnlyKeys("id", "status", "qty");
    given().get("/api/v1/repositories/{r}/branches/dev/status", repo).then().body("clean", equalTo(true));
    pop(repo).statusCode(200).body("schema_tables", equalTo(List.of("orders")));
    assertThat(rows(repo, "dev").getMap("items[0]")).containsOnlyKeys("id", "status", "qty", "note");
    assertStateIsTheLogs(repo);
  }
}
