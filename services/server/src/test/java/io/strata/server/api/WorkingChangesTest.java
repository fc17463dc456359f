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

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.strata.projections.rowdata.TrackedTable;
import io.strata.server.TestDatabaseResource;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.pgclient.PgException;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Writes straight to a tracked table are captured as the default branch's working changes. */
@QuarkusTest
@WithTestResource(value = TestDatabaseResource.class, scope = TestResourceScope.GLOBAL)
class WorkingChangesTest {
  @Inject Pool pool;
  @Inject io.strata.projections.log.EventLog log;


  @Test
  void directWritesShowAsUnstagedChangesOfTheDefaultBranch() {
    String repo = createRepository(uniqueName("working"));
    String t = uniqueName("orders").replace("-", "_");
    sql(pool, "create table public." + t + " (region text not null, id int not null, qty int, primary key (region, id))");
    sql(pool, "insert into public." + t + " select 'eu', g, g from generate_series(1, 10) g");
    post("/api/v1/repositories/" + repo + "/tables", Map.of("name", "orders", "location", "postgresql://local/public." + t))
        .statusCode(201).body("row_count", equalTo(10));
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "dev")).statusCode(201);
    given().get("/api/v1/repositories/{r}/branches/main/status", repo).then().statusCode(200)
        .body("clean", equalTo(true)).body("tables[0].table", equalTo("orders"));

    sql(pool, "insert into public." + t + " values ('us', 1, 5), ('us', 2, 6)");           // +2 inserted
    sql(pool, "update public." + t + " set qty = qty + 100 where id in (1, 2)");            // 2 updated
    sql(pool, "delete from public." + t + " where id = 3");                                 // 1 deleted
    sql(pool, "update public." + t + " set id = 40 where region = 'eu' and id = 4");        // key change: 1 deleted + 1 inserted
    sql(pool, "insert into public." + t + " values ('tmp', 1, 1)");                         // inserted then deleted: nothing
    sql(pool, "delete from public." + t + " where region = 'tmp'");
    sql(pool, "update public." + t + " set qty = 999 where id = 5");                        // changed and changed back: nothing
    sql(pool, "update public." + t + " set qty = 5 where id = 5");
    sql(pool, "update public." + t + " set qty = qty where id = 6");                        // a no-op update: nothing

    given().get("/api/v1/repositories/{r}/branches/main/status", repo).then().statusCode(200)
        .body("branch", equalTo("main")).body("clean", equalTo(false)).body("merge_in_progress", equalTo(false))
        .body("tables[0].unstaged.inserted", equalTo(3)).body("tables[0].unstaged.updated", equalTo(2))
        .body("tables[0].unstaged.deleted", equalTo(2))
        .body("tables[0].staged.inserted", equalTo(0));
    // writes to the default branch's table are not another branch's working changes
    given().get("/api/v1/repositories/{r}/branches/dev/status", repo).then().body("clean", equalTo(true));
    given().get("/api/v1/repositories/{r}/branches/nope/status", repo).then().statusCode(404);

    // TRUNCATE would bypass the capture: refused with a clear error, rows intact
    assertThatThrownBy(() -> sql(pool, "truncate public." + t)).isInstanceOf(PgException.class)
        .hasMessageContaining("use DELETE");
    assertThat(count(pool, "select count(*) from public." + t)).isEqualTo(11);

    // untracking removes every Strata object and keeps the data; writes are no longer captured
    given().delete("/api/v1/repositories/{r}/tables/orders", repo).then().statusCode(204);
    assertThat(count(pool, "select count(*) from pg_trigger where tgrelid = 'public." + t + "'::regclass and not tgisinternal"))
        .isZero();
    assertThat(count(pool, "select count(*) from strata.tracked_tables where table_name = '" + t + "'")).isZero();
    assertThat(count(pool, "select count(*) from pg_class c join pg_namespace n on n.oid = c.relnamespace"
        + " where n.nspname = 'strata' and c.relname like 't%__w_0' and c.relname not in"
        + " (select tid || '__w_0' from strata.tracked_tables)")).isZero();
    sql(pool, "truncate public." + t);
    assertThat(count(pool, "select count(*) from public." + t)).isZero();
  }

  @Test
  void aTableIsTrackedByOneRepositoryAtATime() {
    String t = uniqueName("shared").replace("-", "_");
    sql(pool, "create table public." + t + " (id int primary key)");
    String first = createRepository(uniqueName("first"));
    String second = createRepository(uniqueName("second"));
    Map<String, Object> body = Map.of("name", "shared", "location", "postgresql://local/public." + t);
    post("/api/v1/repositories/" + first + "/tables", body).statusCode(201);
    post("/api/v1/repositories/" + second + "/tables", body).statusCode(409)
        .body("error", equalTo("TableAlreadyExists"))
        // named as another repository's, never by its name (a token of the second may not see the first)
        .body("message", org.hamcrest.Matchers.containsString("another repository"))
        .body("message", org.hamcrest.Matchers.not(org.hamcrest.Matchers.containsString(first)));
    given().get("/api/v1/repositories/{r}/tables", second).then().body("items", org.hamcrest.Matchers.hasSize(0));
    // once untracked there, the other repository may track it; tracking again works too
    given().delete("/api/v1/repositories/{r}/tables/shared", first).then().statusCode(204);
    post("/api/v1/repositories/" + second + "/tables", body).statusCode(201);
    given().delete("/api/v1/repositories/{r}/tables/shared", second).then().statusCode(204);
    post("/api/v1/repositories/" + second + "/tables", body).statusCode(201);
    sql(pool, "insert into public." + t + " values (1)");
    given().get("/api/v1/repositories/{r}/branches/main/status", second).then()
        .body("tables[0].unstaged.inserted", equalTo(1));
    assertThat(List.of(first, second)).hasSize(2);
  }

  private String rowsHash(String t) {
    return pool.query("select md5(coalesce(string_agg(x::text, '|' order by x::text), '')) from public." + t + " x")
        .execute().await().atMost(Duration.ofSeconds(10)).iterator().next().getString(0);
  }

  @Test
  void stageUnstageAndDiscardWorkOnTheWorkingTree() {
    String repo = createRepository(uniqueName("stage"));
    String t = uniqueName("items").replace("-", "_");
    sql(pool, "create table public." + t + " (id int primary key, name text not null, price numeric(10,2),"
        + " tags text[], meta jsonb, created timestamptz default now())");
    sql(pool, "insert into public." + t + " (id, name, price, tags, meta) select g, 'n' || g, g * 1.5, array['a', 'b'],"
        + " jsonb_build_object('g', g) from generate_series(1, 20) g");
    post("/api/v1/repositories/" + repo + "/tables", Map.of("name", "items", "location", "postgresql://local/public." + t))
        .statusCode(201);
    String committed = rowsHash(t);

    sql(pool, "insert into public." + t + " (id, name) values (100, 'new'), (101, 'newer')");
    sql(pool, "update public." + t + " set price = null, meta = '{\"x\": [1, 2]}' where id <= 3");
    sql(pool, "delete from public." + t + " where id between 10 and 11");
    sql(pool, "update public." + t + " set id = 200 where id = 12");
    String base = "/api/v1/repositories/" + repo + "/branches/main";

    // stage everything: 3 inserted (100, 101, 200), 3 updated, 3 deleted (10, 11, 12)
    Api.json().body(Map.of()).post(base + "/stage").then().statusCode(200)
        .body("count", equalTo(9)).body("tables[0].inserted", equalTo(3)).body("tables[0].deleted", equalTo(3));
    given().get(base + "/status").then().body("tables[0].staged.updated", equalTo(3))
        .body("tables[0].unstaged.inserted", equalTo(0));
    // a later write to a staged row un-stages it
    sql(pool, "update public." + t + " set name = 'again' where id = 1");
    given().get(base + "/status").then().body("tables[0].staged.updated", equalTo(2))
        .body("tables[0].unstaged.updated", equalTo(1));
    Api.json().body(Map.of("tables", List.of("items"))).post(base + "/unstage").then().statusCode(200)
        .body("count", equalTo(8));
    given().get(base + "/status").then().body("tables[0].staged.updated", equalTo(0))
        .body("tables[0].unstaged.inserted", equalTo(3)).body("tables[0].unstaged.updated", equalTo(3));
    Api.json().body(Map.of("tables", List.of("nope"))).post(base + "/stage").then().statusCode(404)
        .body("error", equalTo("TableNotFound"));
    // another branch has no working changes: staging there concerns nothing
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "dev")).statusCode(201);
    Api.json().post("/api/v1/repositories/" + repo + "/branches/dev/stage").then().statusCode(200).body("count", equalTo(0));

    // discard: the table is exactly as it was committed, and the restoring writes were not captured
    Api.json().body(Map.of("tables", List.of("items"))).delete(base + "/working").then().statusCode(204);
    assertThat(rowsHash(t)).isEqualTo(committed);
    given().get(base + "/status").then().body("clean", equalTo(true));
    var events = log.readStream(repo, 0, 100).await().atMost(Duration.ofSeconds(5)).stream()
        .map(e -> e.type()).toList();
    assertThat(events).contains("io.strata.changes.staged.v1", "io.strata.changes.unstaged.v1",
        "io.strata.changes.discarded.v1");
    assertThat(events.stream().filter(e -> e.startsWith("io.strata.changes.")).count()).as("dev's no-op made no event")
        .isEqualTo(3);
  }

  /**
   * A session keeps the plans of the capture's statements; planned while the working log was empty
   * (and known to be, after a VACUUM), they must still probe it by key once it holds thousands of
   * rows, never scan it whole: with a scan per statement (or per row), every write would cost
   * O(working changes).
   */
  @Test
  void theCaptureProbesTheWorkingLogByKeyWhateverItsSizeWhenPlanned() {
    String repo = createRepository(uniqueName("plans"));
    String t = Api.trackNew(pool, repo, "counters", "id int primary key, n int not null",
        "select g, 0 from generate_series(1, 3000) g");
    String log = "strata.\"" + TrackedTable.idOf(repo, "counters") + "__w_0\"";
    sql(pool, "vacuum analyze " + log);
    String scans = "select seq_scan from pg_stat_user_tables where relid = '" + log + "'::regclass";
    io.vertx.mutiny.sqlclient.SqlConnection session = pool.getConnection().await().atMost(Duration.ofSeconds(10));
    try {
      // planned now, on an empty log
      run(session, "update public." + t + " set n = n + 1 where id between 1 and 10");
      // 3 000 rows logged, in the same session
      run(session, "update public." + t + " set n = n + 1");
      // the probes counted in their own transaction, by this session alone: the table-wide counters also take
      // scans other sessions made earlier (tracking the table) whenever their statistics come in, up to seconds late
      // each statement writes a few rows: a planner re-planning after an autoanalyze of the now large log may
      // rightly hash-join a statement touching a sixth of it, but never one touching a handful
      run(session, "begin");
      for (int i = 0; i < 5; i++) {
        run(session, "update public." + t + " set n = n + 1 where id between " + (i * 500 + 1) + " and " + (i * 500 + 10));
        run(session, "delete from public." + t + " where id = " + (2900 + i));
      }
      String xactScans = scans.replace("pg_stat_user_tables", "pg_stat_xact_user_tables");
      long scanned = countIn(session, xactScans);
      run(session, "select count(*) from " + log); // a scan the same count sees: it counts
      long control = countIn(session, xactScans);
      run(session, "commit");
      assertThat(scanned).as("sequential scans of the working log").isZero();
      assertThat(control).as("the count sees a scan").isEqualTo(1);
    } finally {
      session.close().await().atMost(Duration.ofSeconds(10));
    }
    given().get("/api/v1/repositories/{r}/branches/main/status", repo).then().statusCode(200)
        .body("tables[0].unstaged.updated", equalTo(2995)).body("tables[0].unstaged.deleted", equalTo(5));
  }

  private static long countIn(io.vertx.mutiny.sqlclient.SqlConnection session, String query) {
    return session.query(query).execute().await().atMost(Duration.ofSeconds(30)).iterator().next().getLong(0);
  }

  private static void run(io.vertx.mutiny.sqlclient.SqlConnection session, String statement) {
    session.query(statement).execute().await().atMost(Duration.ofSeconds(30));
  }
}
