package io.strata.server.api;

import static io.strata.server.api.Api.count;
import static io.strata.server.api.Api.createRepository;
import static io.strata.server.api.Api.sql;
import static io.strata.server.api.Api.trackNew;
import static io.strata.server.api.Api.uniqueName;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.lessThan;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.ValidatableResponse;
import io.strata.projections.rowdata.TrackedTable;
import io.strata.server.TestDatabaseResource;
import io.strata.server.queries.QueryConnections;
import io.strata.server.runtime.StrataConfig;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The query endpoint as a hostile client uses it: nothing a query does outlives its request, no query can
 * stall another repository's commits, and no client can take more than its bounds of connections, memory,
 * temporary files or answer size. Each test is an attack that worked before these bounds existed.
 */
@QuarkusTest
@WithTestResource(value = TestDatabaseResource.class, scope = TestResourceScope.GLOBAL)
class QueryIsolationTest {
  @Inject Pool pool;
  @Inject QueryConnections connections;
  @Inject StrataConfig config;

  private static ValidatableResponse query(String repo, String statement, Object... more) {
    Map<String, Object> body = new HashMap<>(Map.of("sql", statement));
    for (int i = 0; i < more.length; i += 2) {
      body.put((String) more[i], more[i + 1]);
    }
    return Api.json().body(body).post("/api/v1/repositories/{r}/query", repo).then().log().ifValidationFails();
  }

  /** A repository with one tracked table {@code items}; answers the table's tid. */
  private String victim(String repo) {
    createRepository(repo);
    trackNew(pool, repo, "items", "id int primary key, qty int", "select g, g from generate_series(1, 10) g");
    return TrackedTable.idOf(repo, "items");
  }

  private static String commitLockId(String tid) {
    return "hashtextextended('" + tid + "', 7297)";
  }

  /** A commit of a staged change and a branch creation in {@code repo}, each bounded by {@code seconds}. */
  private void commitAndBranch(String repo, String table, int seconds) throws Exception {
    sql(pool, "update public." + table + " set qty = qty + 1 where id = 1");
    CompletableFuture<Integer> commit = CompletableFuture.supplyAsync(() -> Api.json()
        .body(Map.of("message", "while a query holds a lock", "all", true))
        .post("/api/v1/repositories/{r}/branches/main/commits", repo).statusCode());
    assertThat(commit.get(seconds, TimeUnit.SECONDS)).isEqualTo(201);
    CompletableFuture<Integer> branch = CompletableFuture.supplyAsync(() -> Api.json()
        .body(Map.of("name", uniqueName("b"))).post("/api/v1/repositories/{r}/branches", repo).statusCode());
    assertThat(branch.get(seconds, TimeUnit.SECONDS)).isEqualTo(201);
  }

  private String tableOf(String repo) {
    return Api.rows(pool, "select table_name from strata.tracked_tables where repository = '" + repo + "'").get(0);
  }

  @Test
  void aSessionAdvisoryLockTakenThroughAQueryDoesNotOutliveItsRequest() throws Exception {
    String attacker = createRepository(uniqueName("attacker"));
    String victim = uniqueName("victim");
    String tid = victim(victim);
    query(attacker, "select pg_advisory_lock(" + commitLockId(tid) + ") is null as locked, pg_advisory_lock(424242)")
        .statusCode(200);
    assertThat(count(pool, "select count(*) from pg_locks where locktype = 'advisory' and pid <> pg_backend_pid()"
        + " and pid in (select pid from pg_stat_activity where usename like 'strata_query_%')")).isZero();
    commitAndBranch(victim, tableOf(victim), 15);
  }

  @Test
  void aQueryHoldingTheCommitLockIdOfAnotherRepositoryDoesNotBlockItsCommits() throws Exception {
    String attacker = createRepository(uniqueName("attacker"));
    String victim = uniqueName("victim");
    String tid = victim(victim);
    String table = tableOf(victim);
    CompletableFuture<Integer> holding = CompletableFuture.supplyAsync(() -> query(attacker,
        "select pg_advisory_xact_lock(" + commitLockId(tid) + ") is null, pg_sleep(8) is null").extract().statusCode());
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    // that very lock id, held by a query session (a bigint key shows as classid: high half, objid: low half)
    while (count(pool, "select count(*) from pg_locks l join pg_stat_activity a using (pid)"
        + " where l.locktype = 'advisory' and l.objsubid = 1 and l.granted and a.usename like 'strata_query_%'"
        + " and ((l.classid::bigint << 32) | l.objid::bigint) = " + commitLockId(tid)) == 0) {
      assertThat(System.nanoTime()).as("the query took its lock").isLessThan(deadline);
      Thread.sleep(50);
    }
    commitAndBranch(victim, table, 5); // well before the query's 8 s sleep ends
    assertThat(holding.get(20, TimeUnit.SECONDS)).isEqualTo(200);
  }

  @Test
  void sessionStateAQuerySetsIsGoneAtTheNextRequest() {
    String repo = createRepository(uniqueName("state"));
    trackNew(pool, repo, "items", "id int primary key", "select 1");
    query(repo, "select set_config('work_mem', '7MB', false), set_config('strata.leak', 'x', false)").statusCode(200);
    query(repo, "select current_setting('work_mem') as w, current_setting('strata.leak', true) as l").statusCode(200)
        .body("rows[0][0]", equalTo("64kB")).body("rows[0][1]", org.hamcrest.Matchers.nullValue());
    // a statement cannot leave the subquery it is run in: a second statement is refused as a whole
    for (String escape : List.of("select 1) q; prepare leak as select 1; select * from (select 1",
        "select 1) q; listen leak; select * from (select 1",
        "select 1) q; create temporary table leak (x int); select * from (select 1",
        "select 1) q; declare leak cursor with hold for select 1; select * from (select 1")) {
      query(repo, escape).statusCode(422).body("error", equalTo("ValidationError"));
    }
    query(repo, "select (select count(*) from pg_prepared_statements where name = 'leak')"
        + " + (select count(*) from pg_cursors where name = 'leak')"
        + " + (select count(*) from pg_listening_channels() c where c = 'leak') as n").statusCode(200).body("rows[0][0]", equalTo(0));
    assertThat(count(pool, "select count(*) from pg_class where relname = 'leak'")).isZero();
  }

  @Test
  void queriesOfManyRepositoriesLeaveNoIdleConnections() throws Exception {
    for (int i = 0; i < 6; i++) {
      String repo = createRepository(uniqueName("many"));
      trackNew(pool, repo, "items", "id int primary key", "select 1");
      query(repo, "select count(*) from items").statusCode(200).body("rows[0][0]", equalTo(1));
    }
    String queryBackends = "select count(*) from pg_stat_activity where usename like 'strata_query_%'";
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
    while (count(pool, queryBackends) > 0 && System.nanoTime() < deadline) {
      Thread.sleep(50); // a closed connection's backend exits just after the close
    }
    assertThat(count(pool, queryBackends)).isZero();
    assertThat(connections.inUse()).isZero();
  }

  @Test
  void queryConnectionsAreCappedAcrossRepositoriesWith429() throws Exception {
    int max = config.query().maxConnections();
    List<CompletableFuture<Integer>> sleeping = new ArrayList<>();
    List<String> repos = new ArrayList<>();
    for (int i = 0; i < max; i++) {
      String repo = createRepository(uniqueName("cap"));
      trackNew(pool, repo, "items", "id int primary key", "select 1");
      repos.add(repo);
    }
    for (String repo : repos) {
      sleeping.add(CompletableFuture.supplyAsync(() -> query(repo, "select pg_sleep(4) is null").extract().statusCode()));
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(4);
    while (connections.inUse() < max) {
      assertThat(System.nanoTime()).as("all %d queries run", max).isLessThan(deadline);
      Thread.sleep(20);
    }
    query(repos.get(0), "select 1").statusCode(429).body("error", equalTo("TooManyQueries"));
    for (CompletableFuture<Integer> s : sleeping) {
      assertThat(s.get(20, TimeUnit.SECONDS)).isEqualTo(200);
    }
    query(repos.get(0), "select 1 as one").statusCode(200);
  }

  @Test
  void anAnswerStopsAtTheByteLimitWithTruncated() {
    String repo = createRepository(uniqueName("big"));
    trackNew(pool, repo, "items", "id int primary key", "select 1");
    long maxBytes = config.query().maxAnswerBytes();
    // 400 rows of 100 kB, 40 times the limit (1 MB in the tests): buffered whole before
    query(repo, "select g, repeat('x', 100000) as blob from generate_series(1, 400) g").statusCode(200)
        .body("truncated", equalTo(true)).body("rows.size()", lessThan((int) (maxBytes / 100_000) + 1))
        .body("rows.size()", org.hamcrest.Matchers.greaterThan(0));
    // one row larger than the limit on its own: no row, truncated
    query(repo, "select repeat('y', " + (maxBytes + 10) + ") as blob").statusCode(200)
        .body("truncated", equalTo(true)).body("rows.size()", equalTo(0));
    query(repo, "select g from generate_series(1, 3) g").statusCode(200).body("truncated", equalTo(false))
        .body("rows.size()", equalTo(3));
  }

  @Test
  void resourceRefusalsOfTheDatabaseAre4xx() {
    String repo = createRepository(uniqueName("limits"));
    trackNew(pool, repo, "items", "id int primary key", "select 1");
    // a sort spilling more than temp_file_limit (4MB in the tests)
    query(repo, "select count(*) from (select g, md5(g::text) from generate_series(1, 2000000) g order by 2) x")
        .statusCode(422).body("error", equalTo("ValidationError")).body("details.sqlstate", equalTo("53400"));
    // a program limit: an array larger than PostgreSQL allows
    query(repo, "select array_length(array_fill(1, array[200000000, 10]), 1)").statusCode(422)
        .body("error", equalTo("ValidationError"));
    query(repo, "select 1", "limit", config.query().maxRows() + 1).statusCode(422)
        .body("error", equalTo("ValidationError"));
  }
}
