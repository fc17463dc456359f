package io.strata.server.api;

import static io.strata.server.api.Api.count;
import static io.strata.server.api.Api.createRepository;
import static io.strata.server.api.Api.uniqueName;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.strata.server.TestDatabaseResource;
import io.strata.server.queries.QueryConnections;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The attack: a query lifts its own statement timeout (set_config is a function a read-only statement
 * may call) and sleeps; before, it ran past the limit holding its connection, its slot under the cap and
 * its locks. Now the server cancels it at the limit, and the slot and the backend are free at once.
 */
@QuarkusTest
@TestProfile(QueryTimeoutTest.ShortTimeout.class)
@WithTestResource(value = TestDatabaseResource.class, scope = TestResourceScope.GLOBAL)
class QueryTimeoutTest {
  public static class ShortTimeout implements QuarkusTestProfile {
    @Override
    public Map<String, String> getConfigOverrides() {
      return Map.of("strata.query.timeout", "2s");
    }
  }

  @Inject Pool pool;
  @Inject QueryConnections connections;

  @Test
  void aQueryThatLiftsItsOwnTimeoutIsCancelledAtTheLimit() {
    String repo = createRepository(uniqueName("timeout"));
    long start = System.nanoTime();
    Api.json().body(Map.of("sql", "select n, set_config('statement_timeout', '0', true) is null,"
            + " pg_sleep(case when n = 3 then 60 else 0 end) is null from generate_series(1, 5) n"))
        .post("/api/v1/repositories/{r}/query", repo).then().statusCode(422)
        .body("error", equalTo("ValidationError")).body("details.timeout_seconds", equalTo(2));
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(15));
    assertThat(connections.inUse()).as("its slot is free").isZero();
    assertThat(count(pool, "select count(*) from pg_stat_activity where query like '%pg_sleep(case when n = 3%'"
        + " and state = 'active' and pid <> pg_backend_pid()")).as("its backend stopped").isZero();
  }
}
