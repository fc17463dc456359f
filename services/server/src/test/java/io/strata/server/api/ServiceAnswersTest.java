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
import io.restassured.response.Response;
import io.strata.server.TestDatabaseResource;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The service's index at {@code GET /}, and how every JSON answer ends: with one newline, counted. */
@QuarkusTest
@WithTestResource(value = TestDatabaseResource.class, scope = TestResourceScope.GLOBAL)
class ServiceAnswersTest {
  @Inject Pool pool;

  @Test
  void theRootAnswersASmallIndex() {
    Response index = given().accept("application/json").get("/");
    assertThat(index.statusCode()).isEqualTo(200);
    assertThat(index.contentType()).startsWith("application/json");
    assertThat(index.jsonPath().getString("name")).isEqualTo("strata");
    assertThat(index.jsonPath().getString("version")).isNotBlank();
    assertThat(index.jsonPath().getMap("links")).containsExactlyInAnyOrderEntriesOf(Map.of("api", "/api/v1",
        "openapi", "/openapi.json", "docs", "/docs", "health", "/q/health"));
    for (String link : List.of("/openapi.json", "/q/health")) {
      assertThat(given().get(link).statusCode()).as(link).isEqualTo(200);
    }
    assertThat(given().redirects().follow(true).get("/docs").statusCode()).isEqualTo(200);
  }

  @Test
  void everyJsonAnswerEndsWithOneNewlineThatContentLengthCounts() {
    String repo = uniqueName("newline");
    List<Response> answers = List.of(
        given().get("/"),
        given().get("/health"),
        given().contentType("application/json").body(Map.of("name", repo)).post("/api/v1/repositories"),
        given().get("/api/v1/repositories/{r}", repo),
        given().get("/api/v1/repositories/{r}/branches", repo),
        given().get("/api/v1/repositories/{r}/branches/nope", repo), // an error
        given().contentType("application/json").body("{\"nam\": 1}").post("/api/v1/repositories"), // a 400
        given().contentType("application/json").body(Map.of("message", "x", "allow_empty", true))
            .post("/api/v1/repositories/{r}/branches/main/commits", repo)); // a command's stored answer
    for (Response r : answers) {
      byte[] body = r.asByteArray();
      String text = new String(body, StandardCharsets.UTF_8);
      assertThat(text).as("%d %s", r.statusCode(), text).startsWith("{").endsWith("}\n").doesNotEndWith("\n\n");
      if (r.header("Content-Length") != null) {
        assertThat(Integer.parseInt(r.header("Content-Length"))).isEqualTo(body.length);
      }
    }
  }

  @Test
  void streamsFrameTheirOwnLines() {
    String repo = createRepository(uniqueName("ndjson"));
    String t = uniqueName("lines").replace("-", "_");
    sql(pool, "create table public." + t + " (id int primary key, v text)");
    sql(pool, "insert into public." + t + " values (1, 'a'), (2, 'b')");
    post("/api/v1/repositories/" + repo + "/tables", Map.of("name", "lines", "location", "postgresql://local/public." + t))
        .statusCode(201);
    String ndjson = given().accept("application/x-ndjson").get("/api/v1/repositories/{r}/tables/lines/rows", repo)
        .then().statusCode(200).extract().asString();
    assertThat(ndjson).endsWith("}\n").doesNotEndWith("\n\n").doesNotContain("}\n\n");
    assertThat(ndjson.split("\n")).hasSize(2).allMatch(line -> line.startsWith("{\"id\"") && line.endsWith("}"));
  }
}
