package io.strata.server.api;

import static io.restassured.RestAssured.given;
import static io.strata.server.api.Api.count;
import static io.strata.server.api.Api.createRepository;
import static io.strata.server.api.Api.post;
import static io.strata.server.api.Api.rows;
import static io.strata.server.api.Api.uniqueName;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.containsString;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.strata.server.TestDatabaseResource;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Tables made through Strata: CREATE TABLE and tracking in one transaction. */
@QuarkusTest
@WithTestResource(value = TestDatabaseResource.class, scope = TestResourceScope.GLOBAL)
class TableCreateTest {
  @Inject Pool pool;

  private static Map<String, Object> column(String name, String type, Boolean nullable, Object defaultValue) {
    Map<String, Object> c = new LinkedHashMap<>();
    c.put("name", name);
    c.put("type", type);
    if (nullable != null) {
      c.put("nullable", nullable);
    }
    if (defaultValue != null) {
      c.put("default", defaultValue);
    }
    return c;
  }

  @Test
  void aTableMadeOnTheDefaultBranchIsInItsStorageTrackedAndCommitted() {
    String repo = createRepository(uniqueName("make"));
    String t = uniqueName("refunds").replace("-", "_");
    String root = Api.head(repo, "main");
    post("/api/v1/repositories/" + repo + "/branches/main/tables", Map.of("name", "refunds",
        "location", "postgresql://local/public." + t,
        "columns", List.of(column("id", "bigint", false, null), column("amount", "numeric(10,2)", false, 0),
            column("region", "text", null, "eu"), column("note", "character varying(20)", true, null)),
        "primary_key", List.of("id")))
        .statusCode(201)
        .body("name", equalTo("refunds")).body("location", equalTo("postgresql://local/public." + t))
        .body("primary_key", equalTo(List.of("id")))
        .body("columns.name", equalTo(List.of("id", "amount", "region", "note")))
        .body("columns[1].type", equalTo("numeric(10,2)")).body("columns[1].nullable", equalTo(false))
        .body("row_count", equalTo(0));
    given().get("/api/v1/repositories/{r}/commits?limit=1", repo).then()
        .body("items[0].message", equalTo("Create table refunds")).body("items[0].parents", equalTo(List.of(root)));

    // the table is PostgreSQL's: its defaults and key hold for the application's own writes, which are captured
    Api.sql(pool, "insert into public." + t + " (id) values (1)");
    assertThat(rows(pool, "select amount::text || ' ' || region from public." + t)).containsExactly("0.00 eu");
    Api.json().body(Map.of("message", "first refund", "all", true))
        .post("/api/v1/repositories/{r}/branches/main/commits", repo).then().statusCode(201);
    given().get("/api/v1/repositories/{r}/tables/refunds/rows/1", repo).then().statusCode(200)
        .body("region", equalTo("eu"));
    given().get("/api/v1/repositories/{r}/tables/refunds", repo).then().body("row_count", equalTo(1));

    // a branch reads and writes it as any tracked table
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "dev")).statusCode(201);
    Api.json().body(Map.of("id", 2, "amount", 5)).put("/api/v1/repositories/{r}/branches/dev/tables/refunds/rows/2",
        repo).then().statusCode(200).body("region", equalTo("eu"));
    assertThat(count(pool, "select count(*) from public." + t)).isEqualTo(1);

    // made there already (by a client, or tracked): refused, nothing changes
    post("/api/v1/repositories/" + repo + "/branches/main/tables", Map.of("name", "again",
        "location", "postgresql://local/public." + t, "columns", List.of(column("id", "int", false, null)),
        "primary_key", List.of("id")))
        .statusCode(409).body("error", equalTo("TableAlreadyExists"));
    given().get("/api/v1/repositories/{r}/tables/again", repo).then().statusCode(404);
  }

  @Test
  void aTableDroppedAndMadeAgainUnderItsNameTakesWritesOnBranchesAgain() {
    String repo = createRepository(uniqueName("remade"));
    String place = uniqueName("remade").replace("-", "_");
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "dev")).statusCode(201);
    for (int round = 0; round < 2; round++) {
      Api.sql(pool, "create table public." + place + " (id int primary key, v int)");
      post("/api/v1/repositories/" + repo + "/tables", Map.of("name", "x", "location", "postgresql://local/public."
          + place)).statusCode(201);
      // enough writes that every connection of the pool has prepared them, naming the table's row type
      for (int i = 0; i < 12; i++) {
        Api.json().body(Map.of("v", i)).put("/api/v1/repositories/{r}/branches/dev/tables/x/rows/{k}", repo, i)
            .then().statusCode(200);
      }
      given().delete("/api/v1/repositories/{r}/tables/x", repo).then().statusCode(204);
      Api.sql(pool, "drop table public." + place);
    }
  }

  @Test
  void badDefinitionsAreRefusedBeforeAnythingIsMade() {
    String repo = createRepository(uniqueName("make-bad"));
    String t = uniqueName("bad").replace("-", "_");
    String at = "postgresql://local/public." + t;
    String base = "/api/v1/repositories/" + repo + "/branches/main/tables";
    List<Map<String, Object>> id = List.of(column("id", "int", false, null));
    post(base, Map.of("name", "x", "location", at, "columns", List.of(column("id", "nosuchtype", false, null)),
        "primary_key", List.of("id")))
        .statusCode(422).body("error", equalTo("ValidationError")).body("details.column", equalTo("id"));
    post(base, Map.of("name", "x", "location", at, "columns", List.of(column("id", "int", false, "abc")),
        "primary_key", List.of("id")))
        .statusCode(422).body("details.column", equalTo("id"));
    post(base, Map.of("name", "x", "location", at, "columns", List.of(column("id", "int; drop table x", false, null)),
        "primary_key", List.of("id")))
        .statusCode(422).body("details.field", equalTo("columns[0].type"));
    post(base, Map.of("name", "x", "location", at, "columns", List.of(column("id", "int", false, null),
        column("id", "text", true, null)), "primary_key", List.of("id")))
        .statusCode(422).body("details.field", equalTo("columns[1].name"));
    post(base, Map.of("name", "x", "location", at, "columns", id, "primary_key", List.of("nope")))
        .statusCode(422).body("details.field", equalTo("primary_key[0]"));
    post(base, Map.of("name", "x", "location", at, "columns", id))
        .statusCode(422).body("details.field", equalTo("primary_key"));
    post(base, Map.of("name", "x", "location", at, "columns", id, "primary_key", java.util.Arrays.asList((Object) null)))
        .statusCode(422).body("details.field", equalTo("primary_key[0]"));
    // a short default the database writes out long
    String huge = "{" + String.join(",", java.util.Collections.nCopies(150, "1e900")) + "}";
    post(base, Map.of("name", "x", "location", at, "columns", List.of(column("id", "int", false, null),
        column("v", "numeric[]", true, huge)), "primary_key", List.of("id")))
        .statusCode(422).body("details.field", equalTo("columns[1].default"));
    post(base, Map.of("name", "x", "location", at, "columns", List.of(), "primary_key", List.of("id")))
        .statusCode(422).body("details.field", equalTo("columns"));
    post(base, Map.of("name", "x", "location", "postgresql://local/strata." + t, "columns", id,
        "primary_key", List.of("id")))
        .statusCode(422).body("details.field", equalTo("location"));
    post(base, Map.of("name", "x", "location", "postgresql://local/no_such_schema." + t, "columns", id,
        "primary_key", List.of("id")))
        .statusCode(404).body("message", containsString("no_such_schema"));
    post("/api/v1/repositories/" + repo + "/branches/nope/tables", Map.of("name", "x", "location", at,
        "columns", id, "primary_key", List.of("id")))
        .statusCode(404).body("error", equalTo("BranchNotFound"));
    // nothing was made, nothing tracked
    assertThat(count(pool, "select count(*) from pg_class where relname = '" + t + "'")).isZero();
    given().get("/api/v1/repositories/{r}/tables", repo).then().body("items", equalTo(List.of()));
  }
}
