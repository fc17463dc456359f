package io.strata.server.api;

import static io.restassured.RestAssured.given;
import static io.strata.server.api.Api.count;
import static io.strata.server.api.Api.createRepository;
import static io.strata.server.api.Api.head;
import static io.strata.server.api.Api.post;
import static io.strata.server.api.Api.registerStorage;
import static io.strata.server.api.Api.sql;
import static io.strata.server.api.Api.uniqueName;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.strata.projections.log.EventLog;
import io.strata.projections.testing.TestDatabase;
import io.strata.server.TestDatabaseResource;
import io.strata.server.application.CrossStorageCommits;
import io.strata.server.runtime.Failpoints;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.SqlConnection;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Commits over a table in another database (a registered storage) together with one in the server's
 * own: captured under a recovery intent, all-or-nothing with the log, and put back when the commit
 * is never appended.
 */
@QuarkusTest
@WithTestResource(value = TestDatabaseResource.class, scope = TestResourceScope.GLOBAL)
class CrossStorageCommitTest {
  private static Warehouse storage;
  private static TestDatabase warehouse;
  private static Pool remote;

  @Inject Pool local;
  @Inject EventLog log;
  @Inject CrossStorageCommits commits;
  @Inject io.strata.server.runtime.StorageBackends backends;
  @Inject io.strata.projections.tables.TableQueries tableQueries;
  @Inject io.strata.server.application.LeftOverlaySweep leftOverlays;

  @BeforeAll
  static void startWarehouse() {
    storage = Warehouse.start();
    warehouse = storage.database;
    remote = storage.pool;
  }

  @AfterAll
  static void stopWarehouse() {
    storage.close();
  }


  /** A repository with {@code orders} in the warehouse database and {@code items} in the server's. */
  private String repositoryOverTwoDatabases(String suffix) throws Exception {
    String repo = createRepository(uniqueName("xstore"));
    registerStorage(repo, "warehouse", warehouse);
    sql(remote, "create table public.orders_" + suffix + " (id int primary key, total numeric(10,2) not null, note text)");
    sql(remote, "insert into public.orders_" + suffix + " select g, g * 1.5, null from generate_series(1, 100) g");
    sql(local, "create table public.items_" + suffix + " (id int primary key, name text not null)");
    sql(local, "insert into public.items_" + suffix + " select g, 'item ' || g from generate_series(1, 10) g");
    post("/api/v1/repositories/" + repo + "/tables", Map.of("name", "orders",
        "location", "postgresql://warehouse/public.orders_" + suffix)).statusCode(201);
    post("/api/v1/repositories/" + repo + "/tables", Map.of("name", "items",
        "location", "postgresql://local/public.items_" + suffix)).statusCode(201);
    return repo;
  }

  @Test
  void aCommitSpansBothDatabasesAndEveryRefReadsItsRows() throws Exception {
    String repo = repositoryOverTwoDatabases("a");
    String first = head(repo, "main");
    sql(remote, "update public.orders_a set total = total + 1000 where id <= 3");
    sql(remote, "delete from public.orders_a where id = 100");
    sql(local, "insert into public.items_a values (11, 'new item')");

    String second = Api.json().body(Map.of("message", "both", "all", true))
        .post("/api/v1/repositories/{r}/branches/main/commits", repo).then().statusCode(201)
        .body("stats.updated", equalTo(3)).body("stats.deleted", equalTo(1)).body("stats.inserted", equalTo(1))
        .extract().path("id");
    given().get("/api/v1/repositories/{r}/branches/main/status", repo).then().body("clean", equalTo(true));
    assertThat(count(remote, "select count(*) from strata.commit_sidecars")).as("sidecars dropped").isZero();

    // rows at the first commit come back from the change sets stored beside the remote table
    given().queryParam("ref", first).get("/api/v1/repositories/{r}/tables/orders/rows/1", repo).then()
        .statusCode(200).body("total", equalTo(1.5f));
    given().queryParam("ref", first).get("/api/v1/repositories/{r}/tables/orders/rows/100", repo).then()
        .statusCode(200);
    given().get("/api/v1/repositories/{r}/tables/orders/rows/100", repo).then().statusCode(404);
    given().queryParam("from", first).queryParam("to", second).queryParam("table", "orders")
        .get("/api/v1/repositories/{r}/diff", repo).then().statusCode(200)
        .body("tables[0].updated", equalTo(3)).body("tables[0].deleted", equalTo(1));

    // a branch writes the remote table through its view and commits; main does not see it
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "dev")).statusCode(201);
    String view = Api.view(repo, "dev", "orders");
    sql(remote, "update " + view + " set note = 'on dev' where id = 5");
    Api.json().body(Map.of("message", "dev", "all", true))
        .post("/api/v1/repositories/{r}/branches/dev/commits", repo).then().statusCode(201);
    given().queryParam("ref", "dev").get("/api/v1/repositories/{r}/tables/orders/rows/5", repo).then()
        .statusCode(200).body("note", equalTo("on dev"));
    given().get("/api/v1/repositories/{r}/tables/orders/rows/5", repo).then().statusCode(200)
        .body("note", equalTo(null));
    given().queryParam("ref", "dev~1").get("/api/v1/repositories/{r}/tables/orders/rows/5", repo).then()
        .statusCode(200).body("note", equalTo(null));
  }

  @Test
  void aCommitThatFailsAfterCapturingInTheStorageIsRolledBackAndLosesNothing() throws Exception {
    String repo = repositoryOverTwoDatabases("b");
    String before = head(repo, "main");
    sql(remote, "update public.orders_b set note = 'kept' where id <= 4");
    sql(local, "update public.items_b set name = 'renamed' where id = 1");
    post("/api/v1/repositories/" + repo + "/branches/main/stage", Map.of()).statusCode(200);
    String status = given().get("/api/v1/repositories/{r}/branches/main/status", repo).then().statusCode(200)
        .extract().asString();

    Failpoints.arm("commit.storage-captured", "error");
    try {
      Api.json().body(Map.of("message", "doomed"))
          .post("/api/v1/repositories/{r}/branches/main/commits", repo).then().statusCode(503)
          .body("error", equalTo("StorageUnavailable"));
    } finally {
      Failpoints.disarm("commit.storage-captured");
    }
    assertThat(head(repo, "main")).isEqualTo(before);
    given().get("/api/v1/repositories/{r}/branches/main/status", repo).then().statusCode(200)
        .body(equalTo(status)); // the staged changes are back, staged, in both databases
    assertThat(count(remote, "select count(*) from strata.commit_sidecars")).isZero();
    assertThat(count(local, "select count(*) from strata_meta.commit_intents where repository = '" + repo + "'"))
        .isZero();
    String events = log.readStream(repo, 0, 1000).await().atMost(Duration.ofSeconds(5)).toString();
    assertThat(events).contains("commit.rolled_back").contains("orders");

    // the next commit takes exactly those changes
    Api.json().body(Map.of("message", "again"))
        .post("/api/v1/repositories/{r}/branches/main/commits", repo).then().statusCode(201)
        .body("stats.updated", equalTo(5));
    given().queryParam("ref", before).get("/api/v1/repositories/{r}/tables/orders/rows/2", repo).then()
        .statusCode(200).body("note", equalTo(null));
    given().get("/api/v1/repositories/{r}/tables/orders/rows/2", repo).then().statusCode(200)
        .body("note", equalTo("kept"));
    assertThat(List.of(count(remote, "select count(*) from public.orders_b where note = 'kept'"))).containsExactly(4L);
  }

  /**
   * What the sweep after a commit could not settle (here a failpoint stops it, as a storage out of
   * reach would) the periodic sweep settles, with no restart and no further commit.
   */
  @Test
  void thePeriodicSweepSettlesWhatACommitLeftBehind() throws Exception {
    String repo = repositoryOverTwoDatabases("c");
    sql(remote, "update public.orders_c set note = 'swept' where id <= 3");
    Failpoints.arm("commit.appended", "error");
    try {
      Api.json().body(Map.of("message", "appended, not settled", "all", true))
          .post("/api/v1/repositories/{r}/branches/main/commits", repo).then().statusCode(201)
          .body("stats.updated", equalTo(3));
      long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
      while (count(remote, "select count(*) from strata.commit_sidecars") > 0 && System.nanoTime() < deadline) {
        Thread.sleep(200);
      }
      assertThat(count(remote, "select count(*) from strata.commit_sidecars")).as("sidecars dropped").isZero();
    } finally {
      Failpoints.disarm("commit.appended");
    }
    given().get("/api/v1/repositories/{r}/branches/main/status", repo).then().statusCode(200)
        .body("clean", equalTo(true));
  }

  /**
   * An intent is held by its owner's row lock, not by an advisory lock: the sweep leaves an attempt
   * whose owner holds its row, and settles one nobody holds even while another session (as a query
   * could) holds the advisory lock the intent's key once hashed to.
   */
  @Test
  void aSweepLeavesAnAttemptOfThisServerAloneBetweenItsIntentAndItsLock() throws Exception {
    String repo = repositoryOverTwoDatabases("f");
    sql(remote, "update public.orders_f set note = 'in the window' where id <= 2");
    // the commit stops 2 s between its intent's insert and its transaction's lock on it, unheld, while
    // a sweep runs: it is not the sweep's to roll back (it was, and the commit answered 409)
    Failpoints.arm("attempt.intent-inserted", "delay:2s");
    try {
      CompletableFuture<Integer> commit = CompletableFuture.supplyAsync(() -> Api.json()
          .body(Map.of("message", "in the window", "all", true))
          .post("/api/v1/repositories/{r}/branches/main/commits", repo).then().extract().statusCode());
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (count(local, "select count(*) from strata_meta.commit_intents where repository = '" + repo + "'") == 0
          && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      assertThat(count(local, "select count(*) from strata_meta.commit_intents where repository = '" + repo + "'"))
          .as("the intent is there, not yet held").isEqualTo(1);
      commits.sweepAll().await().atMost(Duration.ofSeconds(30));
      assertThat(commit.get(60, TimeUnit.SECONDS)).isEqualTo(201);
    } finally {
      Failpoints.disarm("attempt.intent-inserted");
    }
    given().get("/api/v1/repositories/{r}/branches/main/status", repo).then().body("clean", equalTo(true));
  }

  @Test
  void theSweepSkipsAHeldIntentAndSettlesOneOnlyAnAdvisoryLockCovers() throws Exception {
    String repo = repositoryOverTwoDatabases("e");
    String held = "held-" + repo;
    String abandoned = "abandoned-" + repo;
    String insert = "insert into strata_meta.commit_intents (id, repository, branch, storages) values ('%s', '"
        + repo + "', 'main', array['warehouse']) on conflict do nothing";
    SqlConnection owner = local.getConnectionAndAwait();
    SqlConnection squatter = local.getConnectionAndAwait();
    try {
      // the advisory lock before the intent, the row lock as soon as it exists: the periodic sweep
      // (every second here) may run in between; an intent it settled first is written again
      squatter.query("select pg_advisory_lock(hashtextextended('" + abandoned + "', 5391))").executeAndAwait();
      sql(local, String.format(insert, abandoned));
      owner.query("begin").executeAndAwait();
      int locked = 0;
      while (locked == 0) {
        sql(local, String.format(insert, held));
        locked = owner.query("select 1 from strata_meta.commit_intents where id = '" + held + "' for update")
            .executeAndAwait().size();
      }

      commits.sweepAll().await().atMost(Duration.ofSeconds(30));

      assertThat(count(local, "select count(*) from strata_meta.commit_intents where id = '" + held + "'"))
          .as("in flight: kept").isOne();
      assertThat(count(local, "select count(*) from strata_meta.commit_intents where id = '" + abandoned + "'"))
          .as("nobody's: settled, whatever advisory lock is held").isZero();
    } finally {
      owner.query("rollback").executeAndAwait();
      owner.closeAndAwait();
      squatter.query("select pg_advisory_unlock_all()").executeAndAwait();
      squatter.closeAndAwait();
    }
    // the periodic sweep (every second here) may hold the intent's row when this one runs, and skip-locked rows
    // are left to whoever holds them: settled within a few sweeps either way
    long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
    long left;
    do {
      commits.sweepAll().await().atMost(Duration.ofSeconds(30));
      left = count(local, "select count(*) from strata_meta.commit_intents where repository = '" + repo + "'");
    } while (left > 0 && System.nanoTime() < deadline);
    assertThat(left).as("released: settled").isZero();
  }

  /**
   * Read-only SQL runs in the database holding the tables it names: the warehouse's at any ref and in
   * a branch's working state, the server's own alike; a join across the two databases is refused.
   */
  @Test
  void queriesRunInTheDatabaseOfTheirTables() throws Exception {
    String repo = repositoryOverTwoDatabases("d");
    String first = head(repo, "main");
    sql(remote, "update public.orders_d set total = 0 where id <= 10");
    Api.json().body(Map.of("message", "zeroed", "all", true))
        .post("/api/v1/repositories/{r}/branches/main/commits", repo).then().statusCode(201);
    sql(remote, "update public.orders_d set total = 0 where id = 50"); // a working change only
    String positive = "select count(*) from orders where total > 0";
    query(repo, positive).statusCode(200).body("rows[0][0]", equalTo(90));
    query(repo, positive, "ref", first).statusCode(200).body("rows[0][0]", equalTo(100));
    query(repo, positive, "ref", "main", "working", true).statusCode(200).body("rows[0][0]", equalTo(89));

    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "dev")).statusCode(201);
    sql(remote, "delete from " + Api.view(repo, "dev", "orders") + " where id > 90");
    query(repo, positive, "ref", "dev", "working", true).statusCode(200).body("rows[0][0]", equalTo(80));
    query(repo, positive, "ref", "dev").statusCode(200).body("rows[0][0]", equalTo(90));

    // NDJSON streams read the warehouse the same way, in one snapshot there
    assertThat(ndjsonLines(repo, "orders", "ref", first)).hasSize(100);
    assertThat(ndjsonLines(repo, "orders", "ref", "dev", "working", "true")).hasSize(90);
    assertThat(ndjsonLines(repo, "orders", "ref", "main", "working", "true", "total", "0")).hasSize(11);

    query(repo, "select count(*) from items").statusCode(200).body("rows[0][0]", equalTo(10));
    query(repo, "select count(*) from orders o join items i using (id)").statusCode(422)
        .body("error", equalTo("ValidationError")).body("message", containsString("one storage"));
    // the restricted role cannot reach the table itself in the warehouse
    query(repo, "select count(*) from public.orders_d").statusCode(422);
  }

  private static List<String> ndjsonLines(String repo, String table, String... params) {
    var request = given().accept("application/x-ndjson");
    for (int i = 0; i < params.length; i += 2) {
      request.queryParam(params[i], params[i + 1]);
    }
    String body = request.get("/api/v1/repositories/{r}/tables/{t}/rows", repo, table).then().statusCode(200)
        .extract().asString();
    return body.isEmpty() ? List.of() : List.of(body.strip().split("\n"));
  }

  private io.restassured.response.ValidatableResponse query(String repo, String statement, Object... more) {
    Map<String, Object> body = new HashMap<>(Map.of("sql", statement));
    for (int i = 0; i < more.length; i += 2) {
      body.put((String) more[i], more[i + 1]);
    }
    return Api.json().body(body).post("/api/v1/repositories/{r}/query", repo).then().log().ifValidationFails();
  }

  /**
   * A branch deleted and made anew under its name while the deletion's clean-up in the other database is held keeps
   * its new overlay there: the creation waits for the clean-up, which removes only what the deleted branch had.
   */
  @Test
  void aBranchMadeAnewUnderADeletedOnesNameKeepsItsOverlayInTheOtherDatabase() throws Exception {
    String repo = repositoryOverTwoDatabases("g");
    String base = "/api/v1/repositories/" + repo;
    post(base + "/branches", Map.of("name", "dev")).statusCode(201);
    Api.json().body(Map.of("total", 1.0)).put(base + "/branches/dev/tables/orders/rows/500").then().statusCode(200);
    deleteDevWhileItsCleanUpWaits(base, () -> post(base + "/branches", Map.of("name", "dev")).statusCode(201));
    given().get(base + "/tables/orders/rows/500?ref=dev&working=true").then().statusCode(404);
    Api.json().body(Map.of("total", 2.0)).put(base + "/branches/dev/tables/orders/rows/501").then().statusCode(200);
    given().get(base + "/tables/orders/rows/501?ref=dev&working=true").then().statusCode(200)
        .body("total", equalTo(2.0f));
  }

  /**
   * Another server's creation of a branch under a deleted one's name, run while the deletion's clean-up in the other
   * database is still to come (this server's own creation would wait for it), keeps the overlay it made there: the
   * clean-up removes only the overlay the deletion found. Another server is played by making the overlay as its
   * creation does, before its append.
   */
  @Test
  void anOverlayMadeAnewByAnotherServerDuringADeletionsCleanUpStays() throws Exception {
    String repo = repositoryOverTwoDatabases("h");
    String base = "/api/v1/repositories/" + repo;
    post(base + "/branches", Map.of("name", "dev")).statusCode(201);
    Api.json().body(Map.of("total", 1.0)).put(base + "/branches/dev/tables/orders/rows/500").then().statusCode(200);
    io.strata.projections.rowdata.TrackedTable orders = tracked(repo, "orders");
    String overlays = "select count(*) from strata.branch_overlays where tid = '" + orders.id() + "' and branch = 'dev'";
    String first = incarnation(repo, orders, "dev");
    deleteDevWhileItsCleanUpWaits(base, () -> backends.inOwnTransaction(repo, "warehouse", u -> u.roles()
        .branchObjects().create(u, orders, "dev", io.strata.projections.rowdata.StatePath.WORKING))
        .await().atMost(Duration.ofSeconds(30)));
    assertThat(count(remote, overlays)).as("the overlay made anew stays").isOne();
    assertThat(incarnation(repo, orders, "dev")).isNotEqualTo(first);
    // no creation of it was recorded here: once old enough, it is swept as an overlay no branch has
    assertThat(leftOverlays.sweep(repo, "warehouse").await().atMost(Duration.ofSeconds(30))).isZero();
    sql(remote, "update strata.branch_overlays set created_at = created_at - interval '2 days' where tid = '"
        + orders.id() + "'");
    // (the server's periodic sweep may be the one that removes it)
    assertThat(leftOverlays.sweep(repo, "warehouse").await().atMost(Duration.ofSeconds(30))).isBetween(0, 1);
    assertThat(count(remote, overlays)).isZero();
  }

  /**
   * A creation refused after installing its overlay in the other database leaves it there; the sweep removes it once
   * it is older than a creation ever takes, and never a live branch's, however old.
   */
  @Test
  void anOverlayNoBranchHasIsSweptOnceOldAndALiveBranchsNever() throws Exception {
    String repo = repositoryOverTwoDatabases("i");
    String base = "/api/v1/repositories/" + repo;
    post(base + "/branches", Map.of("name", "live")).statusCode(201);
    Failpoints.arm("branch-create.installed", "error");
    try {
      post(base + "/branches", Map.of("name", "refused")).statusCode(503);
    } finally {
      Failpoints.disarm("branch-create.installed");
    }
    given().get(base + "/branches/refused").then().statusCode(404);
    io.strata.projections.rowdata.TrackedTable orders = tracked(repo, "orders");
    String ofTable = "select count(*) from strata.branch_overlays where tid = '" + orders.id() + "'";
    assertThat(count(remote, ofTable + " and branch = 'refused'")).as("what the refused creation left").isOne();
    assertThat(leftOverlays.sweep(repo, "warehouse").await().atMost(Duration.ofSeconds(30))).as("too young").isZero();

    sql(remote, "update strata.branch_overlays set created_at = created_at - interval '2 days' where tid = '"
        + orders.id() + "'");
    // a client's transaction holding the table: the sweep waits for its lock a moment only, and leaves the overlay
    SqlConnection holder = remote.getConnection().await().atMost(Duration.ofSeconds(30));
    try {
      holder.query("begin").execute().await().atMost(Duration.ofSeconds(30));
      holder.query("lock table public.orders_i in share mode").execute().await().atMost(Duration.ofSeconds(30));
      long started = System.nanoTime();
      assertThat(leftOverlays.sweep(repo, "warehouse").await().atMost(Duration.ofSeconds(30))).isZero();
      assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(15));
      assertThat(count(remote, ofTable + " and branch = 'refused'")).isOne();
    } finally {
      holder.query("rollback").execute().await().atMost(Duration.ofSeconds(30));
      holder.close().await().atMost(Duration.ofSeconds(30));
    }
    // (the server's periodic sweep may be the one that removes it)
    assertThat(leftOverlays.sweep(repo, "warehouse").await().atMost(Duration.ofSeconds(30))).isBetween(0, 1);
    assertThat(count(remote, ofTable + " and branch = 'refused'")).isZero();
    assertThat(count(remote, ofTable + " and branch = 'live'")).isOne();
    Api.json().body(Map.of("total", 3.0)).put(base + "/branches/live/tables/orders/rows/501").then().statusCode(200);
    given().get(base + "/tables/orders/rows/501?ref=live&working=true").then().statusCode(200)
        .body("total", equalTo(3.0f));
    // and the name is free to make again
    post(base + "/branches", Map.of("name", "refused")).statusCode(201);
    assertThat(count(remote, ofTable + " and branch = 'refused'")).isOne();
  }

  /**
   * A branch's deletion while the other database refuses connections is recorded all the same (the rows of the
   * server's own database go with it); the overlay there, which it could not read, is not removed by name but left to
   * the sweep of overlays no branch has, and the name can be used again meanwhile.
   */
  @Test
  void aDeletionWhileTheOtherDatabaseIsOutOfReachLeavesItsOverlayToTheSweep() throws Exception {
    String repo = repositoryOverTwoDatabases("j");
    String base = "/api/v1/repositories/" + repo;
    post(base + "/branches", Map.of("name", "dev")).statusCode(201);
    Api.json().body(Map.of("total", 1.0)).put(base + "/branches/dev/tables/orders/rows/500").then().statusCode(200);
    io.strata.projections.rowdata.TrackedTable orders = tracked(repo, "orders");
    String overlays = "select count(*) from strata.branch_overlays where tid = '" + orders.id() + "' and branch = 'dev'";
    // (from the server's database, in the same cluster: a database's own sessions cannot shut it)
    String name = "\"" + warehouse.database() + "\"";
    try {
      sql(local, "alter database " + name + " allow_connections false");
      sql(local, "select pg_terminate_backend(pid) from pg_stat_activity where datname = '" + warehouse.database() + "'");
      given().delete(base + "/branches/dev").then().statusCode(204);
    } finally {
      sql(local, "alter database " + name + " allow_connections true");
    }
    given().get(base + "/branches/dev").then().statusCode(404);
    assertThat(countOnceReachable(overlays)).as("left, not removed by name").isOne();
    // the name is free to make again: its creation replaces what is left
    post(base + "/branches", Map.of("name", "dev")).statusCode(201);
    given().get(base + "/tables/orders/rows/500?ref=dev&working=true").then().statusCode(404);
    given().delete(base + "/branches/dev").then().statusCode(204);
    assertThat(count(remote, overlays)).as("a deletion that reads the overlay removes it").isZero();
  }

  /** {@code query}'s count once the test's pool has let go of the connections the database closed. */
  private static long countOnceReachable(String query) throws Exception {
    for (int attempt = 0; ; attempt++) {
      try {
        return count(remote, query);
      } catch (RuntimeException closed) {
        if (attempt == 5) {
          throw closed;
        }
        Thread.sleep(200);
      }
    }
  }

  /**
   * Deletes branch dev of the repository at {@code base}, its clean-up once recorded held up 2 s, and runs {@code
   * meanwhile} as soon as the deletion is recorded (before that clean-up); answers once the deletion answered 204.
   */
  private static void deleteDevWhileItsCleanUpWaits(String base, Runnable meanwhile) throws Exception {
    Failpoints.arm("branch-delete.recorded", "delay:2s");
    try {
      CompletableFuture<Integer> deleting = CompletableFuture.supplyAsync(
          () -> given().delete(base + "/branches/dev").then().extract().statusCode());
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
      while (given().get(base + "/branches/dev").statusCode() != 404) {
        assertThat(System.nanoTime()).as("the deletion is recorded in time").isLessThan(until);
        Thread.sleep(20);
      }
      meanwhile.run();
      assertThat(deleting.get(30, TimeUnit.SECONDS)).isEqualTo(204);
    } finally {
      Failpoints.disarm("branch-delete.recorded");
    }
  }

  private io.strata.projections.rowdata.TrackedTable tracked(String repo, String table) {
    return io.strata.projections.rowdata.TrackedTable.of(repo, tableQueries.tables(repo).await()
        .atMost(Duration.ofSeconds(30)).stream().filter(t -> t.name().equals(table)).findFirst().orElseThrow());
  }

  private String incarnation(String repo, io.strata.projections.rowdata.TrackedTable table, String branch) {
    return backends.withoutTransaction(repo, "warehouse", u -> u.roles().branchObjects().incarnation(u, table, branch))
        .await().atMost(Duration.ofSeconds(30)).orElseThrow();
  }
}
