package io.strata.server.api;

import static io.restassured.RestAssured.given;
import static io.strata.server.api.Api.createRepository;
import static io.strata.server.api.Api.json;
import static io.strata.server.api.Api.post;
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
 * A merge's schema conflicts settled one by one ({@code schema_resolutions}): each to a side, or a column's to a
 * definition given in the request — its type one both sides' values read in as they are, NOT NULL only where both
 * are — which the target takes before the source's rows arrive in it. A resolution that names no conflict, or gives
 * what cannot settle it, refuses the merge (422) and nothing changes.
 */
@QuarkusTest
@WithTestResource(value = TestDatabaseResource.class, scope = TestResourceScope.GLOBAL)
class SchemaResolutionsTest {
  @Inject Pool pool;

  private static void addColumn(String repo, String branch, String name, String type) {
    json().body(Map.of("operations", List.of(Map.of("op", "add_column", "name", name, "type", type))))
        .post("/api/v1/repositories/{r}/branches/{b}/tables/orders/schema", repo, branch).then().statusCode(200);
  }

  private static void commitAll(String repo, String branch) {
    json().body(Map.of("message", "work on " + branch, "all", true))
        .post("/api/v1/repositories/{r}/branches/{b}/commits", repo, branch).then().statusCode(201);
  }

  private static io.restassured.response.ValidatableResponse mergeIntoA(String repo, Map<String, Object> more) {
    Map<String, Object> body = new HashMap<>(more);
    body.put("source", "b");
    return json().body(body).post("/api/v1/repositories/{r}/branches/a/merge", repo).then();
  }

  private static Map<String, Object> score(Map<String, Object> definition) {
    return Map.of("table", "orders", "column", "score", "definition", definition);
  }

  private static JsonPath rows(String repo, String ref) {
    return given().queryParam("ref", ref).get("/api/v1/repositories/{r}/tables/orders/rows", repo).then()
        .statusCode(200).extract().jsonPath();
  }

  private static Object scoreType(String repo, String ref) {
    return given().queryParam("ref", ref).get("/api/v1/repositories/{r}/tables/orders/schema", repo).then()
        .statusCode(200).extract().jsonPath().get("recorded.columns.find { it.name == 'score' }.type");
  }

  /** Branches a and b of a table, each adding column score in its own type and writing a row of it. */
  private String typeMismatch(String name) {
    String repo = createRepository(uniqueName(name));
    trackNew(pool, repo, "orders", "id int primary key, status text", "values (1, 'new'), (2, 'new')");
    for (String b : List.of("a", "b")) {
      post("/api/v1/repositories/" + repo + "/branches", Map.of("name", b, "from", "main")).statusCode(201);
    }
    addColumn(repo, "a", "score", "integer");
    addColumn(repo, "b", "score", "smallint");
    json().body(Map.of("score", 5)).patch("/api/v1/repositories/{r}/branches/a/tables/orders/rows/1", repo).then()
        .statusCode(200);
    json().body(Map.of("score", 7)).patch("/api/v1/repositories/{r}/branches/b/tables/orders/rows/2", repo).then()
        .statusCode(200);
    commitAll(repo, "a");
    commitAll(repo, "b");
    return repo;
  }

  /**
   * Operation {@code onA} made and committed on a, {@code onB} on b; answers the resolution that settles the type
   * mismatch of score as ours, which a merge then needs beside the conflict those make.
   */
  private static Map<String, Object> changedBothWays(String repo, Map<String, Object> onA, Map<String, Object> onB) {
    for (Map.Entry<String, Map<String, Object>> e : Map.of("a", onA, "b", onB).entrySet()) {
      json().body(Map.of("operations", List.of(e.getValue())))
          .post("/api/v1/repositories/{r}/branches/{b}/tables/orders/schema", repo, e.getKey()).then().statusCode(200);
      commitAll(repo, e.getKey());
    }
    return Map.of("table", "orders", "column", "score", "take", "ours");
  }

  @Test
  void aTypeMismatchTakesTheDefinitionGivenAndTheSourcesRowsArriveInIt() {
    String repo = typeMismatch("schema-resolution-given");
    String head = Api.head(repo, "a");
    mergeIntoA(repo, Map.of()).statusCode(409).body("error", equalTo("SchemaConflict"))
        .body("details.schema_conflicts[0].type", equalTo("type_mismatch"))
        .body("message", containsString("schema_resolutions"));

    // what cannot settle it refuses the merge, nothing changed: a type one side's values do not read in as they are,
    // NOT NULL where a side takes nulls, a type the database does not know, a conflict that is not there
    mergeIntoA(repo, Map.of("schema_resolutions", List.of(score(Map.of("type", "text"))))).statusCode(422)
        .body("message", containsString("does not read every value of its integer on 'a'"))
        .body("details.field", equalTo("schema_resolutions"));
    mergeIntoA(repo, Map.of("schema_resolutions", List.of(score(Map.of("type", "bigint", "nullable", false,
        "default", 0))))).statusCode(422).body("message", containsString("NOT NULL only where both sides are"));
    mergeIntoA(repo, Map.of("schema_resolutions", List.of(score(Map.of("type", "bigintt"))))).statusCode(422)
        .body("message", containsString("the definition given to column 'score'"))
        .body("details.field", equalTo("schema_resolutions[0].definition"));
    // a default neither side has would change what the rows a has not written read
    mergeIntoA(repo, Map.of("schema_resolutions", List.of(score(Map.of("type", "bigint", "default", 3)))))
        .statusCode(422).body("message", containsString("which neither side has"));
    // the target's own definition is held to the source's values too: b's smallint would take a's integers
    json().body(Map.of("source", "a", "schema_resolutions", List.of(score(Map.of("type", "smallint")))))
        .post("/api/v1/repositories/{r}/branches/b/merge", repo).then().statusCode(422)
        .body("message", containsString("does not read every value of its integer on 'a'"));
    mergeIntoA(repo, Map.of("schema_resolutions", List.of(score(Map.of("type", "bigint")),
        Map.of("table", "orders", "column", "status", "take", "ours")))).statusCode(422)
        .body("message", containsString("names column 'status' of table 'orders', on which merging 'b' into 'a' has"
            + " no schema conflict"));
    assertThat(Api.head(repo, "a")).isEqualTo(head);
    assertThat(scoreType(repo, "a")).isEqualTo("integer");

    // a type both read their values in: a's column takes it (zero-copy for the rows it has not written), b's rows
    // arrive in it
    mergeIntoA(repo, Map.of("schema_resolutions", List.of(score(Map.of("type", "bigint"))))).statusCode(200)
        .body("conflicts", equalTo(0));
    assertThat(scoreType(repo, "a")).isEqualTo("bigint");
    JsonPath a = rows(repo, "a");
    assertThat(a.getList("items.id")).containsExactly(1, 2);
    assertThat(a.getList("items.score")).containsExactly(5, 7);
    // asked again, the merge is up to date: the resolution met no conflict, and is not refused for it
    mergeIntoA(repo, Map.of("schema_resolutions", List.of(score(Map.of("type", "bigint"))))).statusCode(200)
        .body("up_to_date", equalTo(true));
  }

  @Test
  void aRetryAfterAnAttemptThatSettledTheSchemaTakesTheSameResolutions() {
    String repo = typeMismatch("schema-resolution-retry");
    // a row both changed: the first attempt settles score as b has it, gives it to a, then stops on the row
    json().body(Map.of("status", "ours")).patch("/api/v1/repositories/{r}/branches/a/tables/orders/rows/2", repo)
        .then().statusCode(200);
    json().body(Map.of("status", "theirs")).patch("/api/v1/repositories/{r}/branches/b/tables/orders/rows/2", repo)
        .then().statusCode(200);
    commitAll(repo, "a");
    commitAll(repo, "b");
    List<Map<String, Object>> resolutions = List.of(Map.of("table", "orders", "column", "score", "take", "theirs"));
    mergeIntoA(repo, Map.of("schema_resolutions", resolutions)).statusCode(409).body("error", equalTo("MergeConflict"));
    json().body(Map.of()).post("/api/v1/repositories/{r}/branches/a/merge/abort", repo).then().statusCode(204);
    // the retry, the same resolutions sent again: the conflict they name is settled as they ask, not refused
    mergeIntoA(repo, Map.of("schema_resolutions", resolutions, "strategy", "theirs")).statusCode(200)
        .body("conflicts", equalTo(1));
    assertThat(rows(repo, "a").getList("items.status")).containsExactly("new", "theirs");
    assertThat(rows(repo, "a").getList("items.score")).containsExactly(5, 7);
    assertThat(scoreType(repo, "a")).isEqualTo("smallint");
    // one naming a column both sides kept as the base had it still names no conflict
    json().body(Map.of("score", 9)).patch("/api/v1/repositories/{r}/branches/b/tables/orders/rows/1", repo).then()
        .statusCode(200);
    commitAll(repo, "b");
    mergeIntoA(repo, Map.of("schema_resolutions", List.of(Map.of("table", "orders", "column", "status", "take",
        "theirs")))).statusCode(422).body("message", containsString("has no schema conflict"));
  }

  @Test
  void eachConflictTakesTheSideItsResolutionNamesOverTheStrategy() {
    String repo = typeMismatch("schema-resolution-side");
    // theirs for score, where the strategy says ours
    mergeIntoA(repo, Map.of("schema_strategy", "ours", "schema_resolutions", List.of(Map.of("table", "orders",
        "column", "score", "take", "theirs")))).statusCode(200);
    assertThat(scoreType(repo, "a")).isEqualTo("smallint");
    assertThat(rows(repo, "a").getList("items.score")).containsExactly(5, 7);
  }

  @Test
  void aCheckAddedTwoWaysTakesTheSideItsResolutionNames() {
    String repo = typeMismatch("schema-resolution-check");
    Map<String, Object> score = changedBothWays(repo, Map.of("op", "add_constraint", "name", "status_rule", "check",
        "status <> ''"), Map.of("op", "add_constraint", "name", "status_rule", "check", "status <> 'x'"));
    mergeIntoA(repo, Map.of("schema_resolutions", List.of(score))).statusCode(409)
        .body("details.schema_conflicts[0].constraint", equalTo("status_rule"));
    // a definition settles no check; a side does
    json().body("{\"source\":\"b\",\"schema_resolutions\":[{\"table\":\"orders\",\"constraint\":\"status_rule\","
        + "\"definition\":{\"type\":\"text\"}}]}").post("/api/v1/repositories/{r}/branches/a/merge", repo).then()
        .statusCode(422).body("details.field", equalTo("schema_resolutions[0].definition"));
    mergeIntoA(repo, Map.of("schema_resolutions", List.of(score, Map.of("table", "orders", "constraint",
        "status_rule", "take", "theirs")))).statusCode(200);
    assertThat(given().queryParam("ref", "a").get("/api/v1/repositories/{r}/tables/orders/schema", repo).then()
        .statusCode(200).extract().jsonPath().getString("recorded.constraints.find { it.name == 'status_rule' }"
            + ".definition")).contains("'x'");
    assertThat(scoreType(repo, "a")).isEqualTo("integer");
  }

  @Test
  void twoRedefinitionsOfOneOfTheTablesColumnsTakeASideNotADefinition() {
    String repo = typeMismatch("schema-resolution-own");
    Map<String, Object> score = changedBothWays(repo, Map.of("op", "alter_column", "name", "status", "default", "open"),
        Map.of("op", "alter_column", "name", "status", "default", "closed"));
    mergeIntoA(repo, Map.of("schema_resolutions", List.of(score))).statusCode(409)
        .body("details.schema_conflicts[0].column", equalTo("status"));
    mergeIntoA(repo, Map.of("schema_resolutions", List.of(score, Map.of("table", "orders", "column", "status",
        "definition", Map.of("type", "text", "default", "closed"))))).statusCode(422)
        .body("message", containsString("which a definition does not settle"))
        .body("details.field", equalTo("schema_resolutions"));
    mergeIntoA(repo, Map.of("schema_resolutions", List.of(score, Map.of("table", "orders", "column", "status",
        "take", "theirs")))).statusCode(200);
    assertThat(given().queryParam("ref", "a").get("/api/v1/repositories/{r}/tables/orders/schema", repo).then()
        .statusCode(200).extract().jsonPath().getString("recorded.columns.find { it.name == 'status' }.default_value"))
        .contains("closed");
  }

  @Test
  void malformedResolutionsAreRefusedNamingTheField() {
    String repo = typeMismatch("schema-resolution-input");
    String head = Api.head(repo, "a");
    Map<String, String> at = new java.util.LinkedHashMap<>();
    at.put("schema_resolutions[0]", "{\"table\":\"orders\",\"column\":\"score\"}");
    at.put("schema_resolutions[0].take", "{\"table\":\"orders\",\"column\":\"score\",\"take\":\"both\"}");
    at.put("schema_resolutions[0].definition", "{\"table\":\"orders\",\"constraint\":\"c\",\"definition\":{\"type\":\"text\"}}");
    at.put("schema_resolutions[0].table", "{\"column\":\"score\",\"take\":\"ours\"}");
    at.put("schema_resolutions[0].definition.type", "{\"table\":\"orders\",\"column\":\"score\",\"definition\":{\"type\":\"text; drop table x\"}}");
    at.put("schema_resolutions[1]", "{\"table\":\"orders\",\"column\":\"score\",\"take\":\"ours\"},"
        + "{\"table\":\"orders\",\"column\":\"score\",\"take\":\"theirs\"}");
    at.forEach((field, items) -> json().body("{\"source\":\"b\",\"schema_resolutions\":[" + items + "]}")
        .post("/api/v1/repositories/{r}/branches/a/merge", repo).then().statusCode(422)
        .body("details.field", equalTo(field)));
    // a table the repository does not track
    mergeIntoA(repo, Map.of("schema_resolutions", List.of(Map.of("table", "nope", "column", "score", "take", "ours"))))
        .statusCode(422).body("message", containsString("does not track"));
    assertThat(Api.head(repo, "a")).isEqualTo(head);
  }
}
