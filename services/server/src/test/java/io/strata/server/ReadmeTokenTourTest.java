package io.strata.server;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import java.net.URL;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Runs the README's token tour, exactly as written, against a server with STRATA_AUTH=token. */
@QuarkusTest
@TestProfile(TokenAuthProfile.class)
@WithTestResource(value = TestDatabaseResource.class, scope = TestResourceScope.GLOBAL)
class ReadmeTokenTourTest {
  @TestHTTPResource("/")
  URL server;

  @Test
  void theTokenTourRunsAsWritten() throws Exception {
    String admin = "Bearer " + TokenAuthProfile.ADMIN_TOKEN;
    given().header("Authorization", admin).delete("/api/v1/repositories/team?force=true"); // an earlier run's
    String output = ReadmeTourTest.runBlock(server, "tokentour", Map.of("STRATA_ADMIN_TOKEN", TokenAuthProfile.ADMIN_TOKEN));

    assertThat(output).contains("\"name\":\"team\"").contains("\"token\":\"strata_").contains("\"role\":\"writer\"")
        .contains("\"name\":\"nightly\"").contains("\"message\":\"Nightly load\"")
        .contains("\"error\":\"Forbidden\"").contains("\"error\":\"Unauthorized\"");
    // the refused delete changed nothing; the revoked token is refused; the commit names the token
    given().header("Authorization", admin).get("/api/v1/repositories/team/branches/nightly").then().statusCode(200);
    given().header("Authorization", admin).get("/api/v1/repositories/team/commits?ref=nightly&limit=1").then()
        .statusCode(200).body("items[0].author.name", org.hamcrest.Matchers.startsWith("ci-bot-"));
    assertThat(output.split("\"error\":\"Unauthorized\"", -1)).hasSize(3); // without a token, and once revoked
    given().header("Authorization", admin).delete("/api/v1/repositories/team?force=true").then().statusCode(204);
  }
}
