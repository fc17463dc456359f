package io.strata.server.api;

import static io.restassured.RestAssured.given;
import static io.strata.server.api.Api.createRepository;
import static io.strata.server.api.Api.uniqueName;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.strata.server.TestDatabaseResource;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Every answer names its request ({@code X-Request-Id}: the client's when usable, else a fresh one), every error body
 * carries that id, and a command's events record it as their correlation id when the client sent none.
 */
@QuarkusTest
@WithTestResource(value = TestDatabaseResource.class, scope = TestResourceScope.GLOBAL)
class RequestIdsTest {
  private static final String UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";

  @Test
  void everyAnswerNamesItsRequestAndEveryErrorCarriesTheId() {
    String fresh = given().get("/api/v1/repositories").then().statusCode(200).extract().header(RequestIds.HEADER);
    assertThat(fresh).matches(UUID);
    assertThat(given().get("/api/v1/repositories").then().extract().header(RequestIds.HEADER)).isNotEqualTo(fresh);

    // the client's id, answered as sent, in the error body too
    given().header(RequestIds.HEADER, "job-42.step:3").get("/api/v1/repositories/{r}", "no-such-repo")
        .then().statusCode(404).header(RequestIds.HEADER, "job-42.step:3")
        .body("error", equalTo("RepositoryNotFound")).body("request_id", equalTo("job-42.step:3"));
    // errors raised before any endpoint (a NUL in the path) and refusals of a command carry it as well
    given().urlEncodingEnabled(false).header(RequestIds.HEADER, "nul-probe").get("/api/v1/repositories/a%00b")
        .then().statusCode(400).body("request_id", equalTo("nul-probe"));
    String repo = createRepository(uniqueName("ids"));
    Api.json().header(RequestIds.HEADER, "twice").body(Map.of("name", "main"))
        .post("/api/v1/repositories/{r}/branches", repo).then().statusCode(409).body("request_id", equalTo("twice"));

    // an id that is too long, or holds what a log line or header should not, is replaced, not echoed
    for (String unusable : List.of("x".repeat(129), "two words", "quote\"d", "new\\nline")) {
      String answered = given().header(RequestIds.HEADER, unusable).get("/api/v1/repositories/{r}", "nope")
          .then().statusCode(404).extract().header(RequestIds.HEADER);
      assertThat(answered).as(unusable).matches(UUID);
    }
  }

  @Test
  void aCommandsEventsRecordItsRequestIdAsTheirCorrelationId() {
    String repo = createRepository(uniqueName("correlated"));
    Api.json().header(RequestIds.HEADER, "etl-run-7").body(Map.of("name", "dev"))
        .post("/api/v1/repositories/{r}/branches", repo).then().statusCode(201).header(RequestIds.HEADER, "etl-run-7");
    Api.json().header(RequestIds.HEADER, "etl-run-8").header("X-Correlation-Id", "pipeline-1")
        .body(Map.of("name", "staging")).post("/api/v1/repositories/{r}/branches", repo).then().statusCode(201);
    List<Map<String, Object>> events = given().get("/api/v1/repositories/{r}/events", repo).then().statusCode(200)
        .extract().path("items");
    assertThat(events).filteredOn(e -> "branches/dev".equals(e.get("subject")))
        .extracting(e -> e.get("correlationid")).containsOnly("etl-run-7");
    // a correlation id the client gives is kept as its own
    assertThat(events).filteredOn(e -> "branches/staging".equals(e.get("subject")))
        .extracting(e -> e.get("correlationid")).containsOnly("pipeline-1");
  }
}
