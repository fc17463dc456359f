package io.strata.server.api;

import static io.strata.server.api.Api.createRepository;
import static io.strata.server.api.Api.post;
import static io.strata.server.api.Api.rows;
import static io.strata.server.api.Api.sql;
import static io.strata.server.api.Api.trackNew;
import static io.strata.server.api.Api.uniqueName;
import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.strata.server.TestDatabaseResource;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Upserts through a branch's view. PostgreSQL infers an {@code INSERT … ON CONFLICT} arbiter from
 * the target's unique indexes, and a view (ours: overlay ∪ table, written by INSTEAD OF triggers) has
 * none, so it refuses {@code ON CONFLICT (key)} on any such view; {@code MERGE} works on views with
 * INSTEAD OF triggers (PostgreSQL 17+), and is the upsert a branch's view offers (README).
 */
@QuarkusTest
@WithTestResource(value = TestDatabaseResource.class, scope = TestResourceScope.GLOBAL)
class BranchViewUpsertTest {
  @Inject Pool pool;

  @Test
  void mergeThroughABranchViewUpsertsAsOnTheTableAndLeavesTheTableAlone() {
    String repo = createRepository(uniqueName("upsert"));
    String table = trackNew(pool, repo, "accounts", "id int primary key, balance int not null",
        "select g, g * 10 from generate_series(1, 5) g");
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "dev")).statusCode(201);
    String view = Api.view(repo, "dev", "accounts");

    String upsert = "merge into %s d using (values (2, 999), (7, 70)) s(id, balance) on d.id = s.id"
        + " when matched then update set balance = s.balance"
        + " when not matched then insert (id, balance) values (s.id, s.balance)";
    sql(pool, upsert.formatted(view));
    sql(pool, upsert.formatted(view)); // again: every key now matches, nothing is inserted twice

    assertThat(rows(pool, "select id || ':' || balance from " + view + " order by id"))
        .containsExactly("1:10", "2:999", "3:30", "4:40", "5:50", "7:70");
    assertThat(rows(pool, "select id || ':' || balance from public." + table + " order by id"))
        .containsExactly("1:10", "2:20", "3:30", "4:40", "5:50");
  }
}
