package io.strata.server.api;

import static io.restassured.RestAssured.given;
import static io.strata.server.api.Api.createRepository;
import static io.strata.server.api.Api.post;
import static io.strata.server.api.Api.sql;
import static io.strata.server.api.Api.uniqueName;
import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.strata.server.TestDatabaseResource;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The schema diff's lint of a column made NOT NULL: the rows of the ref the migration runs on that hold
 * NULL there are counted, and any makes the change destructive (the migration would fail on them).
 */
@QuarkusTest
@WithTestResource(value = TestDatabaseResource.class, scope = TestResourceScope.GLOBAL)
class SchemaDiffLintTest {
  @Inject Pool pool;

  private static JsonPath diff(String repo, String from, String to) {
    return given().queryParam("from", from).queryParam("to", to).get("/api/v1/repositories/{r}/diff/schema", repo)
        .then().statusCode(200).extract().jsonPath();
  }

  @Test
  void aColumnMadeNotNullIsDestructiveWhereTheRefsRowsHoldNull() {
    String repo = createRepository(uniqueName("lint"));
    String t = uniqueName("orders").replace("-", "_");
    sql(pool, "create table public." + t + " (id int primary key, status text, total int)");
    sql(pool, "insert into public." + t + " values (1, 'new', 10), (2, 'new', 20)");
    post("/api/v1/repositories/" + repo + "/tables", Map.of("name", "orders", "location", "postgresql://local/public." + t))
        .statusCode(201);
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "dev")).statusCode(201);
    // dev empties two statuses; main makes the column NOT NULL (its own rows have none)
    String view = given().get("/api/v1/repositories/{r}/branches/dev/status", repo).then().statusCode(200)
        .extract().jsonPath().getString("tables[0].sql");
    sql(pool, "update " + view + " set status = null");
    Api.json().body(Map.of("message", "statuses unknown", "all", true))
        .post("/api/v1/repositories/{r}/branches/dev/commits", repo).then().statusCode(201);
    sql(pool, "alter table public." + t + " alter column status set not null");
    Api.json().body(Map.of("message", "status required"))
        .post("/api/v1/repositories/{r}/branches/main/commits", repo).then().statusCode(201);

    JsonPath onDev = diff(repo, "dev", "main");
    assertThat(onDev.getString("tables[0].changes[0].object")).isEqualTo("status");
    assertThat(onDev.getBoolean("tables[0].changes[0].destructive")).isTrue();
    assertThat(onDev.getString("tables[0].changes[0].why")).contains("NOT NULL: 2 rows at", "hold NULL");
    assertThat(onDev.getBoolean("tables[0].destructive")).isTrue();

    JsonPath onMain = diff(repo, "main~1", "main");
    assertThat(onMain.getBoolean("tables[0].changes[0].destructive")).isFalse();
    assertThat(onMain.getString("tables[0].changes[0].why")).contains("NOT NULL: no row at");
  }
}
