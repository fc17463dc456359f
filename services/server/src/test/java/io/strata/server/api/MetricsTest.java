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
  @jakarta.inject.Inject io.vertx.mutiny.sqlclient.Pool pool;

  private static String scrape() {
    return given().get("/q/metrics").then().statusCode(200).extract().asString();
  }

  /** The value of the series named exactly {@code series} (name and labels) in {@code scrape}; 0 when absent. */
  private static double value(String scrape, String series) {
    return scrape.lines().filter(l -> l.startsWith(series + " ")).findFirst()
        .map(l -> Double.parseDouble(l.substring(series.length() + 1).trim())).orElse(0.0);
  }

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

    // commits by kind, the rows they changed and the conflicts merges stop on, counted from the events appended
    Api.trackNew(pool, repo, "metered_rows", "id int primary key, v text", "values (1, 'a')");
    String before = scrape();
    String row = "/api/v1/repositories/" + repo + "/branches/{b}/tables/metered_rows/rows/1";
    Api.json().body(Map.of("v", "on dev")).patch(row, "dev").then().statusCode(200);
    Api.commit(repo, "dev", "dev's v");
    Api.json().body(Map.of("v", "on main")).patch(row, "main").then().statusCode(200);
    Api.commit(repo, "main", "main's v");
    Api.json().body(Map.of("source", "dev")).post("/api/v1/repositories/{r}/branches/main/merge", repo).then()
        .statusCode(409);
    String after = scrape();
    String commits = "strata_commits_total{kind=\"commit\"}";
    String updated = "strata_rows_committed_total{change=\"updated\"}";
    assertThat(value(after, commits) - value(before, commits)).isGreaterThanOrEqualTo(2);
    assertThat(value(after, updated) - value(before, updated)).isGreaterThanOrEqualTo(2);
    assertThat(value(after, "strata_merge_conflicts_total") - value(before, "strata_merge_conflicts_total"))
        .isGreaterThanOrEqualTo(1);
    assertThat(after).contains("strata_commits_total{kind=\"merge\"}", "strata_rows_committed_total{change=\"deleted\"}");

    // the Grafana dashboard in docs/ asks only for series a scrape has
    String dashboard = java.nio.file.Files.readString(java.nio.file.Path.of("../../docs/grafana/strata-dashboard.json"));
    String now = given().get("/q/metrics").then().statusCode(200).extract().asString();
    java.util.regex.Matcher name = java.util.regex.Pattern.compile("\\b((?:strata|http_server|jvm|sql_pool)_[a-z_]+)\\b")
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
    assertThat(now).containsPattern("(?m)^strata_database_up 1\\.0$")
        .containsPattern("(?m)^sql_pool_(active|idle)\\{pool_name=\"__vertx.DEFAULT\"");
    // the embedded PostgreSQL's series exists in embedded mode only (DataDirectoryIT scrapes it there)
    asked.remove("strata_embedded_postgres_up");
    assertThat(asked).allSatisfy(series -> assertThat(now).as("the scrape has " + series)
        .containsPattern("(?m)^" + series + "[{ ]"));
  }
}
