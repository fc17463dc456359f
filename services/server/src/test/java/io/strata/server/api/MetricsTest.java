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
  void aScrapeNamesWhatHappenedWithoutNamingRepositories() {
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
        .doesNotContain(repo);
    // the reactors' standing, sampled (a scrape reads the sample): webhooks runs in every server
    org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).untilAsserted(() ->
        assertThat(given().get("/q/metrics").then().statusCode(200).extract().asString())
            .containsPattern("strata_reactor_lag_events\\{reactor=\"webhooks\"\\} [0-9]")
            .containsPattern("strata_reactor_lag_seconds\\{reactor=\"webhooks\"\\} [0-9]")
            .containsPattern("strata_reactor_lease\\{reactor=\"webhooks\"\\} [01]")
            .containsPattern("strata_reactor_failures\\{reactor=\"webhooks\"\\} 0"));
  }
}
