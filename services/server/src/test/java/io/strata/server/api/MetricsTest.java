package io.strata.server.api;

import static io.restassured.RestAssured.given;
import static io.strata.server.api.Api.createRepository;
import static io.strata.server.api.Api.post;
import static io.strata.server.api.Api.uniqueName;
import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.strata.server.TestDatabaseResource;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * /q/metrics as Prometheus scrapes it: requests by route template (never a repository's name), Strata's commands by
 * kind and outcome, the log's appends (time, group size, events by type) and the feed's subscribers.
 */
@QuarkusTest
@WithTestResource(value = TestDatabaseResource.class, scope = TestResourceScope.GLOBAL)
class MetricsTest {
  @Test
  void aScrapeNamesWhatHappenedWithoutNamingRepositories() throws Exception {
    String repo = createRepository(uniqueName("metered"));
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "dev")).statusCode(201);
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "dev")).statusCode(409);
    Api.json().body(Map.of("message", "metered", "allow_empty", true))
        .post("/api/v1/repositories/{r}/branches/dev/commits", repo).then().statusCode(201);

    String scrape = given().get("/q/metrics").then().statusCode(200).extract().asString();
    assertThat(scrape)
        .containsPattern("http_server_requests_seconds_count\\{[^}]*uri=\"/api/v1/repositories/\\{repo\\}/branches/"
            + "\\{branch\\}/commits\"[^}]*\\} [1-9]")
        .containsPattern("http_server_requests_seconds_count\\{[^}]*status=\"409\"[^}]*\\}")
        .containsPattern("strata_commands_total\\{command=\"CreateCommit\",outcome=\"accepted\"\\} [1-9]")
        .containsPattern("strata_commands_total\\{command=\"CreateBranch\",outcome=\"refused\"\\} [1-9]")
        .containsPattern("strata_event_append_seconds_bucket\\{le=\"[0-9.]+\"\\} [0-9]")
        .containsPattern("strata_event_append_seconds_count [1-9]")
        .containsPattern("strata_event_append_commands_count [1-9]")
        .containsPattern("strata_events_appended_total\\{type=\"io\\.strata\\.commit\\.created\\.v[0-9]+\"\\} [1-9]")
        .containsPattern("strata_feed_subscribers [0-9]")
        .containsPattern("strata_projection_lag_events [0-9]")
        .containsPattern("strata_projection_lag_seconds [0-9]")
        .doesNotContain(repo);
    // the reactors' standing, sampled (a scrape reads the sample): webhooks runs in every server
    org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).untilAsserted(() ->
        assertThat(given().get("/q/metrics").then().statusCode(200).extract().asString())
            .containsPattern("strata_reactor_lag_events\\{reactor=\"webhooks\"\\} [0-9]")
            .containsPattern("strata_reactor_lag_seconds\\{reactor=\"webhooks\"\\} [0-9]")
            .containsPattern("strata_reactor_lease\\{reactor=\"webhooks\"\\} [01]")
            .containsPattern("strata_reactor_failures\\{reactor=\"webhooks\"\\} 0"));

    // the Grafana dashboard in docs/ asks only for series a scrape has
    String dashboard = java.nio.file.Files.readString(java.nio.file.Path.of("../../docs/grafana/strata-dashboard.json"));
    String now = given().get("/q/metrics").then().statusCode(200).extract().asString();
    java.util.regex.Matcher name = java.util.regex.Pattern.compile("\\b((?:strata|http_server|jvm)_[a-z_]+)\\b")
        .matcher(dashboard);
    java.util.Set<String> asked = new java.util.TreeSet<>();
    while (name.find()) {
      asked.add(name.group(1));
    }
    assertThat(asked).as("series the dashboard asks for").hasSizeGreaterThan(10);
    // a dozen buckets per latency histogram, not Micrometer's seventy: few series per route
    assertThat(now.lines().filter(l -> l.startsWith("strata_event_append_seconds_bucket")).count()).isBetween(10L, 15L);
    assertThat(now.lines().filter(l -> l.startsWith("http_server_requests_seconds_bucket")
        && l.contains("uri=\"/api/v1/repositories/{repo}/branches/{branch}/commits\"") && l.contains("status=\"201\"")
        && l.contains("method=\"POST\"")).count()).as("one series' buckets").isBetween(10L, 15L);
    assertThat(asked).allSatisfy(series -> assertThat(now).as("the scrape has " + series)
        .containsPattern("(?m)^" + series + "[{ ]"));
  }
}
