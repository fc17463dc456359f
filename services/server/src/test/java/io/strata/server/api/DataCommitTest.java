package io.strata.server.api;

import static io.restassured.RestAssured.given;
import static io.strata.server.api.Api.count;
import static io.strata.server.api.Api.createRepository;
import static io.strata.server.api.Api.post;
import static io.strata.server.api.Api.sql;
import static io.strata.server.api.Api.uniqueName;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import io.strata.events.TableTracked;
import io.strata.projections.postgres.TableCatalog;
import io.strata.projections.rowdata.TrackedTable;
import io.strata.server.TestDatabaseResource;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Commits of the default branch record its staged rows as content-addressed change sets. */
@QuarkusTest
@WithTestResource(value = TestDatabaseResource.class, scope = TestResourceScope.GLOBAL)
class DataCommitTest {
  @Inject Pool pool;


  /** The content hash of the table as it is now, measured from scratch. */
  private String measured(String table) {
    TableCatalog.Measured m = TableCatalog.measured(pool, "public", table).await().atMost(Duration.ofSeconds(30));
    return TableTracked.contentHash(m.rowCount(), m.rowSum());
  }

  /** A table of {@code rows} zeroed counters, tracked as "counters" in {@code repo}; its name. */
  private String counters(String repo, int rows) {
    String t = uniqueName("counters").replace("-", "_");
    sql(pool, "create table public." + t + " (id int primary key, n bigint not null)");
    sql(pool, "insert into public." + t + " select g, 0 from generate_series(1, " + rows + ") g");
    track(repo, "counters", t);
    return t;
  }

  private String track(String repo, String name, String table) {
    return post("/api/v1/repositories/" + repo + "/tables", Map.of("name", name, "location", "postgresql://local/public." + table))
        .statusCode(201).extract().path("content_hash");
  }

  @Test
  void aCommitRecordsTheStagedRowsAndMovesTheContentHash() {
    String repo = createRepository(uniqueName("data"));
    String t = uniqueName("accounts").replace("-", "_");
    sql(pool, "create table public." + t + " (id int primary key, owner text not null, balance numeric(12,2), opened date,"
        + " flags boolean[], doc jsonb, uid uuid, raw bytea, at timestamptz)");
    sql(pool, "insert into public." + t + " select g, 'o' || g, g * 10.25, date '2026-01-01' + g, array[g % 2 = 0],"
        + " jsonb_build_object('n', g, 'list', jsonb_build_array(g, null)), md5(g::text)::uuid, decode(md5(g::text), 'hex'),"
        + " timestamptz '2026-01-01 00:00:00+00' + g * interval '1 hour' from generate_series(1, 50) g");
    String tracked = track(repo, "accounts", t);
    assertThat(tracked).isEqualTo(measured(t));
    String base = "/api/v1/repositories/" + repo + "/branches/main";

    Api.json().body(Map.of("message", "nothing yet")).post(base + "/commits").then().statusCode(422);
    sql(pool, "update public." + t + " set balance = balance + 1, doc = doc || '{\"x\": true}' where id <= 5");
    sql(pool, "insert into public." + t + " (id, owner) values (1000, 'new')");
    sql(pool, "delete from public." + t + " where id in (49, 50)");
    Api.json().body(Map.of()).post(base + "/stage").then().statusCode(200).body("count", equalTo(8));
    sql(pool, "update public." + t + " set owner = 'later' where id = 10"); // unstaged: stays a working change

    Response commit = Api.json().body(Map.of("message", "Monthly interest")).post(base + "/commits");
    commit.then().statusCode(201).body("stats.tables", equalTo(1)).body("stats.inserted", equalTo(1))
        .body("stats.updated", equalTo(5)).body("stats.deleted", equalTo(2))
        .body("changes", hasSize(1)).body("changes[0].table", equalTo("accounts"))
        .body("changes[0].row_count", equalTo(49));
    String changeSet = commit.path("changes[0].change_set");
    String tid = TrackedTable.idOf(repo, "accounts");
    assertThat(count(pool, "select count(*) from strata.\"" + tid + "__changes\" where change_set = '" + changeSet + "'"))
        .isEqualTo(8);
    given().get(base + "/status").then().body("tables[0].staged.updated", equalTo(0))
        .body("tables[0].unstaged.updated", equalTo(1));
    // the content hash the commit recorded is the table's, minus the one unstaged change
    sql(pool, "update public." + t + " set owner = 'o10' where id = 10");
    assertThat(commit.<String>path("changes[0].content_hash")).isEqualTo(measured(t));
    given().get("/api/v1/repositories/{r}/tables/accounts", repo).then()
        .body("content_hash", equalTo(commit.<String>path("changes[0].content_hash"))).body("row_count", equalTo(49));

    // all=true takes unstaged changes too; the change-back of id 10 is nothing to commit
    sql(pool, "update public." + t + " set owner = 'renamed' where id = 20");
    Api.json().body(Map.of("message", "Rename", "all", true)).post(base + "/commits").then().statusCode(201)
        .body("stats.updated", equalTo(1));
    given().get(base + "/status").then().body("clean", equalTo(true));
    Api.json().body(Map.of("message", "again", "all", true)).post(base + "/commits").then().statusCode(422);
    given().get("/api/v1/repositories/{r}/tables/accounts", repo).then().body("content_hash", equalTo(measured(t)));
    // a table named in 'tables' must be tracked
    Api.json().body(Map.of("message", "x", "tables", List.of("nope"))).post(base + "/commits").then().statusCode(404);
  }

  @Test
  void commitsRacingSqlWritersNeverLoseAWrite() throws Exception {
    raceWritersAgainstCommits(false);
  }

  /**
   * The same race with a branch live: the capture also files pre-images and tombstones, by plain
   * inserts of the keys it finds absent. Nothing is lost on main, and the branch still reads the
   * table exactly as it forked.
   */
  @Test
  void commitsRacingSqlWritersWithABranchLiveLoseNothingOnEitherSide() throws Exception {
    raceWritersAgainstCommits(true);
  }

  private void raceWritersAgainstCommits(boolean branch) throws Exception {
    String repo = createRepository(uniqueName("race"));
    String t = counters(repo, 200);
    String base = "/api/v1/repositories/" + repo + "/branches/main";
    if (branch) {
      post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "dev")).statusCode(201);
    }

    AtomicInteger writes = new AtomicInteger();
    // commits of everything alternate with commits of the staged rows: those of REST writes, which
    // stage them as they write, while SQL writes un-stage rows
    int commits = commitWhileWriting(base, 8, Duration.ofSeconds(6), true, () -> {
      ThreadLocalRandom random = ThreadLocalRandom.current();
      int id = 1 + random.nextInt(260);
      switch (random.nextInt(8)) {
        case 0 -> sql(pool, "insert into public." + t + " values (" + id + ", 1) on conflict (id) do update set n = "
            + t + ".n + 1");
        case 1 -> sql(pool, "delete from public." + t + " where id = " + id);
        case 2, 3 -> {
          // a REST write that loses a deadlock with an SQL writer is told so (409, nothing written)
          int status = Api.json().urlEncodingEnabled(false).body(Map.of("n", random.nextInt(1000)))
              .put(base + "/tables/counters/rows/" + id).statusCode();
          assertThat(status).isIn(200, 409);
        }
        // rows locked in key order first: two UPDATEs of one pair locking it in heap order could
        // deadlock each other, whatever Strata does
        default -> sql(pool, "update public." + t + " set n = n + 1 where id in (select id from public." + t
            + " where id in (" + id + ", " + (id + 1) + ") order by id for update)");
      }
      writes.incrementAndGet();
    });
    Api.json().body(Map.of("message", "final", "all", true, "allow_empty", true)).post(base + "/commits")
        .then().statusCode(201);

    assertThat(commits).as("commits happened during the writes").isGreaterThan(3);
    assertThat(writes.get()).isGreaterThan(100);
    given().get(base + "/status").then().body("clean", equalTo(true));
    // every write is in some commit: the content hash kept from change sets alone equals the table's
    given().get("/api/v1/repositories/{r}/tables/counters", repo).then().body("content_hash", equalTo(measured(t)));
    if (branch) {
      String view = Api.view(repo, "dev", "counters");
      assertThat(count(pool, "select count(*) from " + view)).isEqualTo(200);
      assertThat(count(pool, "select count(*) from " + view + " where n <> 0 or id > 200")).isZero();
    }
  }

  /**
   * An application writing in a REPEATABLE READ transaction sees the working log as it was when the
   * transaction began: a commit that took a key since must not make its write of that key look
   * already recorded, or the write would be neither committed nor a working change.
   */
  /**
   * After a commit the working log is empty, and statistics taken then (here forced, as autovacuum
   * takes them) count no rows. A bulk write then fills it; staging and the commit analyze it first,
   * rather than plan their joins over a million rows as over one.
   */
  @Test
  void stagingAndCommittingABulkWriteAnalyzeAWorkingLogWhoseStatisticsSayEmpty() {
    String repo = createRepository(uniqueName("stale"));
    String t = counters(repo, 5000);
    String base = "/api/v1/repositories/" + repo + "/branches/main";
    String log = "strata.\"" + TrackedTable.idOf(repo, "counters") + "__w_0\"";
    String statistics = "select reltuples::bigint from pg_class where oid = '" + log + "'::regclass";
    for (String step : List.of("stage", "commits")) {
      sql(pool, "update public." + t + " set n = n + 1");
      sql(pool, "delete from " + log);
      sql(pool, "vacuum (analyze, truncate false) " + log);
      sql(pool, "update public." + t + " set n = n + 1");
      assertThat(count(pool, statistics)).as("statistics before " + step).isZero();
      // stage takes only "tables" (it used to ignore the commit's fields this sent it; now they are refused)
      Api.json().body(step.equals("stage") ? Map.of() : Map.of("message", "bulk", "all", true)).post(base + "/" + step).then()
          .statusCode(step.equals("stage") ? 200 : 201);
      assertThat(count(pool, statistics)).as("statistics after " + step).isEqualTo(5000);
    }
  }

  @Test
  void aRepeatableReadWriterAfterACommitStillRecordsItsChange() {
    String repo = createRepository(uniqueName("rr"));
    String t = counters(repo, 10);
    String base = "/api/v1/repositories/" + repo + "/branches/main";
    sql(pool, "update public." + t + " set n = 1 where id = 1");
    io.vertx.mutiny.sqlclient.SqlConnection session = pool.getConnection().await().atMost(Duration.ofSeconds(10));
    try {
      session.query("begin isolation level repeatable read").execute().await().atMost(Duration.ofSeconds(10));
      session.query("select count(*) from public." + t).execute().await().atMost(Duration.ofSeconds(10));
      Api.json().body(Map.of("message", "takes id 1", "all", true)).post(base + "/commits").then().statusCode(201);
      session.query("update public." + t + " set n = 2 where id = 1").execute().await().atMost(Duration.ofSeconds(10));
      session.query("commit").execute().await().atMost(Duration.ofSeconds(10));
    } finally {
      session.close().await().atMost(Duration.ofSeconds(10));
    }
    given().get(base + "/status").then().body("tables[0].unstaged.updated", equalTo(1));
    Api.json().body(Map.of("message", "the rest", "all", true)).post(base + "/commits").then().statusCode(201);
    given().get("/api/v1/repositories/{r}/tables/counters", repo).then().body("content_hash", equalTo(measured(t)));
  }

  /**
   * A REPEATABLE READ writer re-inserts a key another transaction deleted after its snapshot, while a
   * branch lives: its capture cannot see the pre-image and log row the delete filed. It fails as a
   * serialization failure, which such a writer retries, never as a duplicate key in Strata's logs;
   * nothing of it stays, and the branch still reads the row as forked.
   */
  @Test
  void aRepeatableReadWriterReinsertingADeletedKeyFailsToBeRetried() {
    String repo = createRepository(uniqueName("rrins"));
    String t = counters(repo, 10);
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "dev")).statusCode(201);
    io.vertx.mutiny.sqlclient.SqlConnection session = pool.getConnection().await().atMost(Duration.ofSeconds(10));
    try {
      session.query("begin isolation level repeatable read").execute().await().atMost(Duration.ofSeconds(10));
      session.query("select count(*) from public." + t).execute().await().atMost(Duration.ofSeconds(10));
      sql(pool, "delete from public." + t + " where id = 3");
      assertThatThrownBy(() -> session.query("insert into public." + t + " values (3, 99)").execute()
          .await().atMost(Duration.ofSeconds(10)))
          .satisfies(e -> assertThat(io.strata.projections.postgres.PgErrors.hasState(e, "40001")).as(e.toString()).isTrue());
      session.query("rollback").execute().await().atMost(Duration.ofSeconds(10));
    } finally {
      session.close().await().atMost(Duration.ofSeconds(10));
    }
    assertThat(count(pool, "select count(*) from public." + t + " where id = 3")).isZero();
    assertThat(count(pool, "select count(*) from " + Api.view(repo, "dev", "counters") + " where id = 3")).isEqualTo(1);
    given().get("/api/v1/repositories/{r}/branches/main/status", repo).then()
        .body("tables[0].unstaged.deleted", equalTo(1)).body("tables[0].unstaged.updated", equalTo(0));
  }

  /**
   * The same race on a branch: writers increment counters through the branch's view while commits
   * sweep. Every increment must be in some commit: the final commit, rebuilt from change sets alone
   * (read by commit id, which starts from the default branch's table), sums to the increments made.
   */
  @Test
  void branchCommitsRacingViewWritersNeverLoseAWrite() throws Exception {
    String repo = createRepository(uniqueName("branchrace"));
    String t = counters(repo, 200);
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "dev")).statusCode(201);
    String view = Api.view(repo, "dev", "counters");
    String base = "/api/v1/repositories/" + repo + "/branches/dev";

    java.util.concurrent.atomic.AtomicLong increments = new java.util.concurrent.atomic.AtomicLong();
    int commits = commitWhileWriting(base, 8, Duration.ofSeconds(5), false, () -> {
      int id = 1 + ThreadLocalRandom.current().nextInt(199);
      var result = pool.query("update " + view + " set n = n + 1 where id in (" + id + ", " + (id + 1) + ")")
          .execute()
          // a concurrent update of the same row through the view is a serialization failure: retry
          .onFailure(e -> io.strata.projections.postgres.PgErrors.hasState(e, "40P01")
              || io.strata.projections.postgres.PgErrors.hasState(e, "40001")).recoverWithNull()
          .await().atMost(Duration.ofSeconds(10));
      if (result != null) {
        increments.addAndGet(result.rowCount());
      }
    });
    // one more change so the final commit records dev's content
    sql(pool, "update " + view + " set n = n where id = 1");
    pool.query("update " + view + " set n = n + 1 where id = 1").execute().await().atMost(Duration.ofSeconds(10));
    increments.incrementAndGet();
    Response finalCommit = Api.json().body(Map.of("message", "final", "all", true)).post(base + "/commits");
    finalCommit.then().statusCode(201);
    String last = finalCommit.path("id");
    // the content hash a branch commit records is the branch's own, and the default branch's stays the table's
    var m = pool.query("select count(*), coalesce(sum(" + TableCatalog.rowHash("x::text") + "), 0)::text from " + view + " x")
        .execute().await().atMost(Duration.ofSeconds(10)).iterator().next();
    assertThat(finalCommit.<String>path("changes[0].content_hash"))
        .isEqualTo(TableTracked.contentHash(m.getLong(0), m.getString(1)));
    given().get("/api/v1/repositories/{r}/tables/counters", repo).then().body("content_hash", equalTo(measured(t)));

    assertThat(commits).as("commits happened during the writes").isGreaterThan(3);
    assertThat(increments.get()).isGreaterThan(100);
    given().get(base + "/status").then().body("clean", equalTo(true));
    assertThat(count(pool, "select sum(n) from " + view)).isEqualTo(increments.get());
    long rebuilt = 0;
    for (Object n : given().queryParam("ref", last).queryParam("limit", 1000)
        .get("/api/v1/repositories/{r}/tables/counters/rows", repo).then().statusCode(200)
        .extract().jsonPath().getList("items.n")) {
      rebuilt += ((Number) n).longValue();
    }
    assertThat(rebuilt).as("the final commit rebuilt from change sets").isEqualTo(increments.get());
    assertThat(count(pool, "select sum(n) from public." + t)).as("the default branch is untouched").isZero();
  }

  /**
   * Runs {@code writers} threads repeating {@code write} while commits with all=true sweep the branch
   * at {@code base} for {@code period}; every commit must succeed or find nothing to commit.
   *
   * @return how many commits were made
   */
  /** Commits everything as {@code write} runs on {@code writers} threads; {@code alternate}: every other commit, the staged rows only. */
  private static int commitWhileWriting(String base, int writers, Duration period, boolean alternate, Runnable write)
      throws Exception {
    AtomicBoolean running = new AtomicBoolean(true);
    ExecutorService executor = Executors.newFixedThreadPool(writers);
    List<Future<?>> tasks = new ArrayList<>();
    for (int w = 0; w < writers; w++) {
      tasks.add(executor.submit(() -> {
        while (running.get()) {
          write.run();
        }
        return null;
      }));
    }
    int commits = 0;
    long deadline = System.nanoTime() + period.toNanos();
    try {
      while (System.nanoTime() < deadline) {
        boolean all = !alternate || commits % 2 == 0;
        Response r = Api.json().body(Map.of("message", "sweep " + commits, "all", all)).post(base + "/commits");
        assertThat(r.statusCode()).as(r.asString()).isIn(201, 422);
        commits += r.statusCode() == 201 ? 1 : 0;
      }
    } finally {
      running.set(false);
      for (Future<?> f : tasks) {
        f.get();
      }
      executor.shutdown();
    }
    return commits;
  }
}
