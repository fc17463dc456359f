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
    given().delete("/api/v1/repositories/demo?force=true"); // a previous run's leftovers, if any
    String output = runBlock("tour", java.util.Map.of());

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

  @Test
  void theDataTourRunsAsWritten() throws IOException, InterruptedException {
    org.junit.jupiter.api.Assumptions.assumeTrue(new ProcessBuilder("bash", "-c", "command -v psql").start().waitFor() == 0,
        "the data tour needs psql");
    given().delete("/api/v1/repositories/shop?force=true");
    String output = runBlock("datatour", java.util.Map.of("PSQL", "psql -q " + databaseUrl()));

    assertThat(output).contains("\"name\":\"orders\"").contains("\"customer\":\"c-new\"").contains("\"applied\":2")
        .contains("\"message\":\"Double the first ten orders\"");
    // main (the table) kept its rows; dev has its own, at its head and one commit back
    given().get("/api/v1/repositories/shop/tables/orders/rows/1?ref=dev").then().statusCode(200)
        .body("amount", org.hamcrest.Matchers.equalTo(3.0f));
    given().get("/api/v1/repositories/shop/tables/orders/rows/1?ref=main").then().statusCode(200)
        .body("amount", org.hamcrest.Matchers.equalTo(1.5f));
    given().get("/api/v1/repositories/shop/diff?from=main&to=dev").then().statusCode(200)
        .body("tables[0].inserted", org.hamcrest.Matchers.equalTo(2)).body("tables[0].updated", org.hamcrest.Matchers.equalTo(10))
        .body("tables[0].deleted", org.hamcrest.Matchers.equalTo(2));
    given().delete("/api/v1/repositories/shop?force=true").then().statusCode(204);
  }

  @Test
  void theMergeTourRunsAsWritten() throws IOException, InterruptedException {
    org.junit.jupiter.api.Assumptions.assumeTrue(new ProcessBuilder("bash", "-c", "command -v psql").start().waitFor() == 0,
        "the merge tour needs psql");
    given().delete("/api/v1/repositories/crm?force=true");
    String output = runBlock("mergetour", java.util.Map.of("PSQL", "psql -q " + databaseUrl()));

    assertThat(output).contains("\"dry_run\":true").contains("\"error\":\"MergeConflict\"")
        .contains("\"type\":\"modify_modify\"").contains("\"remaining\":0")
        .contains("\"message\":\"Merge the e-mail cleanup\"");
    var rows = given().get("/api/v1/repositories/crm/tables/customers/rows?ref=main").then().statusCode(200)
        .extract().jsonPath();
    assertThat(rows.getList("items.email")).containsExactly("ada@new.example", "grace@new.example", "alan@new.example");
    assertThat(rows.getList("items.tier")).containsExactly("gold", "gold", "silver");
    given().get("/api/v1/repositories/crm/commits?ref=main&limit=1").then().statusCode(200)
        .body("items[0].parents.size()", org.hamcrest.Matchers.equalTo(2));
    given().delete("/api/v1/repositories/crm?force=true").then().statusCode(204);
  }

  @Test
  void thePromotionTourRunsAsWritten() throws IOException, InterruptedException {
    org.junit.jupiter.api.Assumptions.assumeTrue(new ProcessBuilder("bash", "-c", "command -v psql").start().waitFor() == 0,
        "the promotion tour needs psql");
    given().delete("/api/v1/repositories/sales?force=true");
    String output = runBlock("promotiontour", java.util.Map.of("PSQL", "psql -q " + databaseUrl()));

    // the rows at every step, in order
    // (curl's answers end without a newline: each echo follows one on its line)
    Matcher step = Pattern.compile("(development|production|staging)[a-z0-9. ]*: 1=\\d+ 2=\\d+ 3=\\d+").matcher(output);
    java.util.List<String> steps = new java.util.ArrayList<>();
    while (step.find()) {
      steps.add(step.group());
    }
    assertThat(steps).containsExactly(
        "development: 1=150 2=200 3=300",
        "production: 1=150 2=200 3=300",
        "production after the reset: 1=100 2=200 3=300",
        "production at v1.2.0 again: 1=150 2=200 3=300",
        "production after the revert: 1=100 2=200 3=300",
        "production: 1=100 2=200 3=310",
        "staging: 1=100 2=250 3=310",
        "development: 1=100 2=250 3=310");
    assertThat(output).contains("\"fast_forward\":true").contains("\"message\":\"Revert \\\"Raise the north target\\\"\"");
    // the hotfix came back into staging and development by three-way merges (two parents each)
    for (String branch : java.util.List.of("staging", "development")) {
      given().get("/api/v1/repositories/sales/commits?ref=" + branch + "&limit=1").then().statusCode(200)
          .body("items[0].parents.size()", org.hamcrest.Matchers.equalTo(2));
    }
    given().get("/api/v1/repositories/sales/tags/v1.2.0").then().statusCode(200);
    given().get("/api/v1/repositories/sales/tables/regions/rows/1?ref=v1.2.0").then().statusCode(200)
        .body("target", org.hamcrest.Matchers.equalTo(150));
    given().delete("/api/v1/repositories/sales?force=true").then().statusCode(204);
  }

  /** The server's database as psql takes it. */
  private static String databaseUrl() {
    var config = org.eclipse.microprofile.config.ConfigProvider.getConfig();
    String url = config.getValue("quarkus.datasource.reactive.url", String.class).replaceFirst("^vertx-reactive:", "");
    if (!url.contains("@")) {
      String user = config.getOptionalValue("quarkus.datasource.username", String.class).orElse("postgres");
      String password = config.getOptionalValue("quarkus.datasource.password", String.class).orElse("");
      url = url.replaceFirst("^postgresql://", "postgresql://" + user + (password.isEmpty() ? "" : ":" + password) + "@");
    }
    return url;
  }

  /** Runs the README's bash block between {@code <!-- name:start -->} and {@code <!-- name:end -->}. */
  private String runBlock(String name, java.util.Map<String, String> env) throws IOException, InterruptedException {
    return runBlock(server, name, env);
  }

  static String runBlock(URL server, String name, java.util.Map<String, String> env) throws IOException, InterruptedException {
    String readme = Files.readString(Path.of("../../README.md"));
    Matcher block = Pattern.compile("<!-- " + name + ":start -->\\s*```bash\\n(.*?)```\\s*<!-- " + name + ":end -->",
        Pattern.DOTALL).matcher(readme);
    assertThat(block.find()).as("README has a " + name + " block").isTrue();
    ProcessBuilder pb = new ProcessBuilder("bash", "-c", "set -euo pipefail\n" + block.group(1)).redirectErrorStream(true);
    pb.environment().put("STRATA", server.toString().replaceAll("/$", ""));
    pb.environment().putAll(env);
    Process run = pb.start();
    String output = new String(run.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(run.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(run.exitValue()).as(output).isZero();
    return output;
  }
}
