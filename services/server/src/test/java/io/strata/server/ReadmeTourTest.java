package io.strata.server;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import java.io.IOException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Runs the README's curl tour, exactly as written, against the server under test. */
@QuarkusTest
@WithTestResource(value = TestDatabaseResource.class, scope = TestResourceScope.GLOBAL)
class ReadmeTourTest {
  @TestHTTPResource("/")
  URL server;

  @Test
  void theTourRunsAsWritten() throws IOException, InterruptedException {
    String readme = Files.readString(Path.of("../../README.md"));
    Matcher tour = Pattern.compile("<!-- tour:start -->\\s*```bash\\n(.*?)```\\s*<!-- tour:end -->", Pattern.DOTALL)
        .matcher(readme);
    assertThat(tour.find()).as("README has a tour block").isTrue();
    given().delete("/api/v1/repositories/demo?force=true"); // a previous run's leftovers, if any

    Path script = Files.createTempFile("tour", ".sh");
    Files.writeString(script, "set -euo pipefail\n" + tour.group(1));
    String base = server.toString().replaceAll("/$", "");
    ProcessBuilder pb = new ProcessBuilder("bash", script.toString()).redirectErrorStream(true);
    pb.environment().put("STRATA", base);
    Process run = pb.start();
    String output = new String(run.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(run.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(run.exitValue()).as(output).isZero();

    assertThat(output).contains("\"name\":\"demo\"").contains("\"name\":\"feature/cleanup\"")
        .contains("\"message\":\"Start the cleanup\"").contains("\"error\":\"HeadMoved\"")
        .contains("\"error\":\"BranchNotMerged\"").contains("\"name\":\"v0.1\"");
    // the tag points at the first commit on the branch; the idempotent retry made no extra commit
    given().get("/api/v1/repositories/demo/commits?ref=v0.1").then().statusCode(200)
        .body("total", org.hamcrest.Matchers.equalTo(2));
    given().get("/api/v1/repositories/demo/commits?ref=main").then().statusCode(200)
        .body("total", org.hamcrest.Matchers.equalTo(1));
    given().get("/api/v1/repositories/demo/branches").then().statusCode(200)
        .body("items.name", org.hamcrest.Matchers.equalTo(java.util.List.of("main")));
    given().delete("/api/v1/repositories/demo?force=true").then().statusCode(204);
  }
}
