package io.strata.server.api;

import static io.restassured.RestAssured.given;
import static io.strata.server.api.Api.count;
import static io.strata.server.api.Api.createRepository;
import static io.strata.server.api.Api.post;
import static io.strata.server.api.Api.sql;
import static io.strata.server.api.Api.uniqueName;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.strata.projections.log.EventLog;
import io.strata.server.TestDatabaseResource;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** REST row writes land in the branch's working state and working log, all-or-nothing, on any branch. */
@QuarkusTest
@WithTestResource(value = TestDatabaseResource.class, scope = TestResourceScope.GLOBAL)
class RowWritesTest {
  @Inject Pool pool;
  @Inject EventLog log;


  private String setUp(String t) {
    String repo = createRepository(uniqueName("rows"));
    sql(pool, "create table public." + t + " (id int primary key, name text not null, qty int, at date)");
    sql(pool, "insert into public." + t + " select g, 'n' || g, g, date '2026-01-01' + g from generate_series(1, 10) g");
    post("/api/v1/repositories/" + repo + "/tables", Map.of("name", t, "location", "postgresql://local/public." + t))
        .statusCode(201);
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "dev")).statusCode(201);
    return repo;
  }

  @Test
  void putPatchAndDeleteWriteTheBranchOnly() {
    String t = uniqueName("stock").replace("-", "_");
    String repo = setUp(t);
    String rows = "/api/v1/repositories/" + repo + "/branches/{b}/tables/" + t + "/rows/{k}";
    Api.json().urlEncodingEnabled(false).body(Map.of("name", "fresh", "qty", 5)).put(rows, "dev", "100").then().log().ifValidationFails()
        .statusCode(200).body("id", equalTo(100)).body("name", equalTo("fresh")).body("at", nullValue());
    Api.json().urlEncodingEnabled(false).body(Map.of("qty", 99)).patch(rows, "dev", "1").then().statusCode(200)
        .body("name", equalTo("n1")).body("qty", equalTo(99));
    given().delete(rows, "dev", "2").then().statusCode(204);
    given().delete(rows, "dev", "2").then().statusCode(404).body("error", equalTo("RowNotFound"));
    Api.json().urlEncodingEnabled(false).body(Map.of("qty", 1)).patch(rows, "dev", "555").then().statusCode(404);
    // the table (main) is untouched; dev's view and working log have the changes
    assertThat(count(pool, "select count(*) from public." + t + " where id in (100) or qty = 99")).isZero();
    assertThat(count(pool, "select count(*) from public." + t)).isEqualTo(10);
    assertThat(count(pool, "select count(*) from " + Api.view(repo, "dev", t) + "")).isEqualTo(10);
    assertThat(count(pool, "select qty from " + Api.view(repo, "dev", t) + " where id = 1")).isEqualTo(99);
    // a REST write stages its rows, and an event records each one
    given().get("/api/v1/repositories/{r}/branches/dev/status", repo).then()
        .body("tables[0].staged.inserted", equalTo(1)).body("tables[0].staged.updated", equalTo(1))
        .body("tables[0].staged.deleted", equalTo(1)).body("tables[0].unstaged.inserted", equalTo(0));
    given().get("/api/v1/repositories/{r}/branches/main/status", repo).then().body("clean", equalTo(true));
    assertThat(rowWriteEvents(repo)).containsExactly(
        "dev " + t + " 1/0/0", "dev " + t + " 0/1/0", "dev " + t + " 0/0/1");

    // on the default branch a REST write is a write to the table, captured like any other, staged
    long position = Long.parseLong(Api.json().urlEncodingEnabled(false).body(Map.of("name", "main-row"))
        .put(rows, "main", "200").then().statusCode(200).extract().header(CommandContexts.POSITION_HEADER));
    assertThat(position).isPositive();
    assertThat(count(pool, "select count(*) from public." + t + " where id = 200")).isEqualTo(1);
    assertThat(count(pool, "select count(*) from " + Api.view(repo, "dev", t) + " where id = 200")).isZero();
    given().get("/api/v1/repositories/{r}/branches/main/status", repo).then()
        .body("tables[0].staged.inserted", equalTo(1)).body("tables[0].unstaged.inserted", equalTo(0));
    // a later SQL write to the same row is a working-tree edit: the row is no longer staged
    pool.query("update public." + t + " set qty = 7 where id = 200").execute().await().atMost(java.time.Duration.ofSeconds(5));
    given().get("/api/v1/repositories/{r}/branches/main/status", repo).then()
        .body("tables[0].staged.inserted", equalTo(0)).body("tables[0].unstaged.inserted", equalTo(1));
    assertThat(rowWriteEvents(repo)).last().isEqualTo("main " + t + " 1/0/0");

    // bad input: clear 4xx, nothing changed
    Api.json().urlEncodingEnabled(false).body(Map.of("name", "x", "nope", 1)).put(rows, "dev", "300").then().statusCode(422);
    Api.json().urlEncodingEnabled(false).body(Map.of("name", "x", "qty", "many")).put(rows, "dev", "300").then().statusCode(422);
    Api.json().urlEncodingEnabled(false).body(Map.of("qty", 1)).put(rows, "dev", "300").then().statusCode(422); // name is NOT NULL
    Api.json().urlEncodingEnabled(false).body(Map.of("id", 7, "name", "x")).put(rows, "dev", "300").then().statusCode(422);
    Api.json().urlEncodingEnabled(false).body(Map.of("name", "x")).put(rows, "dev", "abc").then().statusCode(422);
    Api.json().urlEncodingEnabled(false).body(Map.of("name", "x"))
        .put("/api/v1/repositories/" + repo + "/branches/dev/tables/" + t + "/rows/1,2").then().statusCode(400);
    Api.json().urlEncodingEnabled(false).body(Map.of("\"; drop table x; --", 1)).put(rows, "dev", "300").then().statusCode(422);
    Api.json().urlEncodingEnabled(false).body(Map.of("name", "x")).put(rows, "nobranch", "300").then().statusCode(404);
    Api.json().urlEncodingEnabled(false).body(Map.of("name", "x")).put("/api/v1/repositories/" + repo + "/branches/dev/tables/nope/rows/1")
        .then().statusCode(404);
    assertThat(count(pool, "select count(*) from " + Api.view(repo, "dev", t) + " where id = 300")).isZero();
  }

  @Test
  void batchesAreAllOrNothingAndTheLastOperationOnAKeyWins() {
    String t = uniqueName("stock").replace("-", "_");
    String repo = setUp(t);
    String batch = "/api/v1/repositories/" + repo + "/branches/dev/tables/" + t + "/rows:batch";
    Api.json().urlEncodingEnabled(false).body(List.of(
            Map.of("op", "upsert", "row", Map.of("id", 50, "name", "a")),
            Map.of("op", "delete", "key", Map.of("id", 50)),
            Map.of("op", "delete", "key", 3),
            Map.of("op", "upsert", "row", Map.of("id", 4, "name", "four", "qty", 44)),
            Map.of("op", "upsert", "row", Map.of("id", 4, "name", "four again"))))
        .post(batch).then().log().ifValidationFails().statusCode(200).body("applied", equalTo(5));
    assertThat(count(pool, "select count(*) from " + Api.view(repo, "dev", t) + " where id in (3, 50)")).isZero();
    assertThat(count(pool, "select count(*) from " + Api.view(repo, "dev", t) + " where id = 4 and name = 'four again' and qty is null"))
        .isEqualTo(1);

    // one bad operation: nothing of the batch applies
    Api.json().urlEncodingEnabled(false).body(List.of(
            Map.of("op", "upsert", "row", Map.of("id", 60, "name", "ok")),
            Map.of("op", "upsert", "row", Map.of("id", 61, "name", "bad", "at", "not a date"))))
        .post(batch).then().statusCode(422);
    Api.json().urlEncodingEnabled(false).body(List.of(Map.of("op", "merge", "row", Map.of("id", 62)))).post(batch).then().statusCode(422)
        .body("details.index", equalTo(0));
    Api.json().urlEncodingEnabled(false).body("[{\"op\": \"upsert\", \"row\": {\"id\": 63, \"name\": \"x\"}}").post(batch).then().statusCode(400);
    Api.json().urlEncodingEnabled(false).body("[]").post(batch).then().statusCode(422);
    // a column given twice is ambiguous (which one would a reviewer of the request have read?)
    Api.json().urlEncodingEnabled(false).body("[{\"op\": \"upsert\", \"row\": {\"id\": 64, \"name\": \"x\", \"name\": \"y\"}}]")
        .post(batch).then().statusCode(400).body("message", containsString("Duplicate field 'name'"));
    assertThat(count(pool, "select count(*) from " + Api.view(repo, "dev", t) + " where id >= 60")).isZero();

    // NDJSON, 100 000 rows in one request
    StringBuilder ndjson = new StringBuilder();
    for (int i = 1000; i < 101_000; i++) {
      ndjson.append("{\"op\":\"upsert\",\"row\":{\"id\":").append(i).append(",\"name\":\"bulk\",\"qty\":").append(i % 7)
          .append("}}\n");
    }
    given().urlEncodingEnabled(false).contentType("application/x-ndjson").body(ndjson.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8)).post(batch).then().statusCode(200)
        .body("applied", equalTo(100_000));
    assertThat(count(pool, "select count(*) from " + Api.view(repo, "dev", t) + " where name = 'bulk'")).isEqualTo(100_000);
    assertThat(count(pool, "select count(*) from public." + t)).isEqualTo(10);
    Api.json().urlEncodingEnabled(false).body(Map.of("message", "bulk", "all", true))
        .post("/api/v1/repositories/{r}/branches/dev/commits", repo).then().statusCode(201)
        .body("stats.inserted", equalTo(100_000)).body("stats.updated", equalTo(1)).body("stats.deleted", equalTo(1));
    given().queryParam("ref", "dev").queryParam("name", "bulk").queryParam("limit", 3)
        .get("/api/v1/repositories/{r}/tables/" + t + "/rows", repo).then().statusCode(200)
        .body("items[0].id", equalTo(1000));
  }

  /** Concurrent PATCHes of different columns of one row on a branch: none undoes another. */
  @Test
  void concurrentPatchesOfOneRowAllLand() throws Exception {
    String repo = createRepository(uniqueName("patches"));
    String t = uniqueName("wide").replace("-", "_");
    sql(pool, "create table public." + t + " (id int primary key, c0 int, c1 int, c2 int, c3 int, c4 int, c5 int)");
    sql(pool, "insert into public." + t + " values (1, 0, 0, 0, 0, 0, 0)");
    post("/api/v1/repositories/" + repo + "/tables", Map.of("name", t, "location", "postgresql://local/public." + t))
        .statusCode(201);
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "dev")).statusCode(201);
    String row = "/api/v1/repositories/" + repo + "/branches/dev/tables/" + t + "/rows/1";
    var executor = java.util.concurrent.Executors.newFixedThreadPool(6);
    List<java.util.concurrent.Future<?>> tasks = new java.util.ArrayList<>();
    for (int c = 0; c < 6; c++) {
      String column = "c" + c;
      tasks.add(executor.submit(() -> {
        for (int v = 1; v <= 15; v++) {
          Api.json().urlEncodingEnabled(false).body(Map.of(column, v)).patch(row).then().statusCode(200);
        }
        return null;
      }));
    }
    for (var task : tasks) {
      task.get();
    }
    executor.shutdown();
    given().urlEncodingEnabled(false).get("/api/v1/repositories/" + repo + "/tables/" + t + "/rows/1?ref=dev&working=true")
        .then().statusCode(200).body("c0", equalTo(15)).body("c1", equalTo(15)).body("c2", equalTo(15))
        .body("c3", equalTo(15)).body("c4", equalTo(15)).body("c5", equalTo(15));
  }

  /**
   * Batches inserting the same new keys into a branch at once, with SQL updating them through the
   * view: each batch inserts the rows some others insert too, so each finds them missing or not
   * depending on the timing; none may fail on a duplicate key, and the rows end as one writer left them.
   */
  @Test
  void overlappingBatchesAndViewWritesOnOneBranchAllLand() throws Exception {
    String t = uniqueName("overlap").replace("-", "_");
    String repo = setUp(t);
    String batch = "/api/v1/repositories/" + repo + "/branches/dev/tables/" + t + "/rows:batch";
    String view = Api.view(repo, "dev", t);
    var executor = java.util.concurrent.Executors.newFixedThreadPool(5);
    List<java.util.concurrent.Future<?>> tasks = new java.util.ArrayList<>();
    for (int w = 0; w < 4; w++) {
      int writer = w;
      tasks.add(executor.submit(() -> {
        for (int round = 0; round < 8; round++) {
          StringBuilder body = new StringBuilder();
          for (int id = 100 + round * 50; id < 100 + round * 50 + 200; id++) {
            body.append("{\"op\":\"upsert\",\"row\":{\"id\":").append(id).append(",\"name\":\"w").append(writer)
                .append("\",\"qty\":").append(round).append("}}\n");
          }
          // a batch that loses a deadlock with the view writer is told so (409, nothing written): retried
          int status;
          int tries = 0;
          do {
            status = given().contentType("application/x-ndjson")
                .body(body.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8)).post(batch).statusCode();
          } while (status == 409 && ++tries < 10);
          assertThat(status).isEqualTo(200);
        }
        return null;
      }));
    }
    tasks.add(executor.submit(() -> {
      for (int round = 0; round < 30; round++) {
        int from = 100 + round * 20;
        pool.query("update " + view + " set qty = -1 where id between " + from + " and " + (from + 30)).execute()
            // two writers of one row through a view: the later one is a serialization failure to retry
            // (or, locking rows in a different order than a batch, a deadlock victim)
            .onFailure(e -> io.strata.projections.postgres.PgErrors.hasState(e, "40001")
                || io.strata.projections.postgres.PgErrors.hasState(e, "40P01")).recoverWithNull()
            .await().atMost(java.time.Duration.ofSeconds(30));
      }
      return null;
    }));
    for (var task : tasks) {
      task.get();
    }
    executor.shutdown();
    // every key written is there once, with a writer's name; the default branch never saw any
    assertThat(count(pool, "select count(*) from " + view + " where id between 100 and 649")).isEqualTo(550);
    assertThat(count(pool, "select count(*) from " + view + " where id between 100 and 649 and name ~ '^w[0-3]$'"))
        .isEqualTo(550);
    assertThat(count(pool, "select count(*) from public." + t)).isEqualTo(10);
    // the batches staged their rows; the view's later updates of some of them un-staged those
    var status = given().get("/api/v1/repositories/{r}/branches/dev/status", repo).then().statusCode(200).extract();
    int staged = status.path("tables[0].staged.inserted");
    int unstaged = status.path("tables[0].unstaged.inserted");
    assertThat(staged + unstaged).isEqualTo(550);
  }

  /** The repository's ChangesStaged events of REST writes, as "branch table inserted/updated/deleted". */
  private List<String> rowWriteEvents(String repo) {
    return log.readStream(repo, 0, 1000).await().atMost(java.time.Duration.ofSeconds(10)).stream()
        .filter(e -> e.type().equals(io.strata.events.EventType.CHANGES_STAGED.type()))
        .map(e -> e.data())
        .filter(d -> d.path("write").asBoolean())
        .map(d -> d.get("branch").asText() + " " + d.get("tables").get(0).get("table").asText() + " "
            + d.get("tables").get(0).get("inserted").asLong() + "/" + d.get("tables").get(0).get("updated").asLong() + "/"
            + d.get("tables").get(0).get("deleted").asLong())
        .toList();
  }
}
