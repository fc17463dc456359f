package io.strata.server.contract;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.strata.server.TestDatabaseResource;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The bad values of issue 12's hole 5, each as the attack: on 65f10d3 they answered 500 (NUL in a path
 * or query value, a 20-digit key or filter, a pg_catalog location) or 503 (NUL in a query's SQL, which
 * broke the database protocol). Each must be a 4xx with the error JSON, and change nothing.
 */
@QuarkusTest
@WithTestResource(value = TestDatabaseResource.class, scope = TestResourceScope.GLOBAL)
class BadValuesReachNoServerErrorTest {
  private static final String OUT_OF_RANGE = "99999999999999999999";

  @Inject Pool pool;
  private Fixture f;

  @BeforeEach
  void fixture() {
    f = new Fixture(pool, "badvalues");
  }

  private String rows() {
    return "/api/v1/repositories/" + f.repo + "/tables/inv/rows";
  }

  @Test
  void nulInAPathSegmentIs400() {
    given().urlEncodingEnabled(false).get("/api/v1/repositories/" + f.repo + "%00").then().statusCode(400)
        .body("error", equalTo("BadRequest")).body("message", containsString("NUL"));
    given().urlEncodingEnabled(false).get(rows() + "/1%00").then().statusCode(400).body("error", equalTo("BadRequest"));
    given().urlEncodingEnabled(false).contentType("application/json").body(Map.of("name", "x"))
        .put("/api/v1/repositories/" + f.repo + "/branches/dev/tables/inv/rows/1%00").then().statusCode(400);
  }

  @Test
  void nulInAQueryValueIs400() {
    given().urlEncodingEnabled(false).get(rows() + "?name=a%00b").then().statusCode(400)
        .body("error", equalTo("BadRequest")).body("message", containsString("NUL"));
    given().urlEncodingEnabled(false).get("/api/v1/repositories?limit=1%00").then().statusCode(400);
  }

  @Test
  void nulInSqlIs422NotUnavailable() {
    Map<String, String> before = digest();
    for (String sql : new String[] {"select 1\u0000", "select 'a\u0000' from inv"}) {
      Fixture.json().body(Map.of("sql", sql)).post("/api/v1/repositories/{r}/query", f.repo).then().statusCode(422)
          .body("error", equalTo("ValidationError")).body("details.field", equalTo("sql"));
    }
    // and in any other JSON body
    Fixture.json().body(Map.of("name", "b\u0000")).post("/api/v1/repositories/{r}/branches", f.repo).then()
        .statusCode(422).body("error", equalTo("ValidationError"));
    assertThat(digest()).isEqualTo(before);
  }

  @Test
  void twentyDigitKeyIsAClientError() {
    given().get(rows() + "/" + OUT_OF_RANGE).then().statusCode(400).body("error", equalTo("BadRequest"));
    given().get(rows() + "/-" + OUT_OF_RANGE).then().statusCode(400).body("error", equalTo("BadRequest"));
  }

  @Test
  void twentyDigitFilterIsAClientError() {
    given().get(rows() + "?qty=" + OUT_OF_RANGE).then().statusCode(400).body("error", equalTo("BadRequest"));
    given().get(rows() + "?id=1e999").then().statusCode(400).body("error", equalTo("BadRequest"));
  }

  @Test
  void aPgCatalogLocationIsRefusedWithoutA500() {
    Map<String, String> before = digest();
    int status = Fixture.json().body(Map.of("name", "pc", "location", "postgresql://local/pg_catalog.pg_class"))
        .post("/api/v1/repositories/{r}/tables", f.repo).then().body("error", org.hamcrest.Matchers.notNullValue())
        .extract().statusCode();
    assertThat(status).isBetween(400, 499);
    assertThat(digest()).isEqualTo(before);
  }

  @Test
  void aCamelCaseFieldIsRefusedWithTheSnakeCaseHint() {
    String head = f.head;
    Fixture.json().body(Map.of("message", "m", "allow_empty", true, "expectedHead", "0".repeat(64)))
        .post("/api/v1/repositories/{r}/branches/main/commits", f.repo).then().statusCode(400)
        .body("error", equalTo("BadRequest"))
        .body("details.field", equalTo("expectedHead"))
        .body("details.did_you_mean", equalTo("expected_head"))
        .body("message", containsString("expected_head"));
    // the commit was not made without its concurrency check
    given().get("/api/v1/repositories/{r}/branches/main", f.repo).then().body("head", equalTo(head));
  }

  @SuppressWarnings("unchecked")
  private static Map<String, String> digest() {
    return given().get("/api/v1/admin/projections/digest").then().statusCode(200).extract().as(Map.class);
  }
}
