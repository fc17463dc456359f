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
import org.junit.jupiter.api.Test;

/**
 * The attack: with STRATA_AUTH=none on loopback, a web page whose name was made to resolve to 127.0.0.1
 * (DNS rebinding) sends requests with its own Host; it deleted a repository. Now only a loopback Host
 * is answered.
 */
@QuarkusTest
@WithTestResource(value = TestDatabaseResource.class, scope = TestResourceScope.GLOBAL)
class LoopbackHostTest {
  @Test
  void onlyRequestsAddressedToThisMachineAreAnswered() {
    String repo = createRepository(uniqueName("rebind"));
    given().header("Host", "evil.example").header("Origin", "http://evil.example")
        .delete("/api/v1/repositories/{r}?force=true", repo).then().statusCode(403)
        .body("error", equalTo("Forbidden")).body("details.header", equalTo("Host"));
    given().header("Host", "evil.example:8081").get("/api/v1/repositories/{r}", repo).then().statusCode(403);
    given().get("/api/v1/repositories/{r}", repo).then().statusCode(200);
    for (String host : new String[] {"localhost", "127.0.0.1:1234", "[::1]:80", "LOCALHOST"}) {
      given().header("Host", host).get("/api/v1/repositories/{r}", repo).then().statusCode(200);
    }
  }

  @Test
  void hostNamesAreReadWithoutTheirPort() {
    assertThat(LoopbackHostGuard.hostName("[::1]:8000")).isEqualTo("[::1]");
    assertThat(LoopbackHostGuard.hostName("localhost:8000")).isEqualTo("localhost");
    assertThat(LoopbackHostGuard.hostName("127.0.0.1")).isEqualTo("127.0.0.1");
  }
}
