package io.strata.server.api;

import static io.restassured.RestAssured.given;
import static io.strata.server.api.Api.createRepository;
import static io.strata.server.api.Api.head;
import static io.strata.server.api.Api.post;
import static io.strata.server.api.Api.sql;
import static io.strata.server.api.Api.uniqueName;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;

import io.delta.kernel.TableManager;
import io.delta.kernel.types.DoubleType;
import io.delta.kernel.types.LongType;
import io.delta.kernel.types.StringType;
import io.delta.kernel.types.StructType;
import io.delta.kernel.utils.CloseableIterable;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.strata.projections.delta.DataFiles;
import io.strata.projections.delta.DeltaCommit;
import io.strata.projections.delta.DeltaTable;
import io.strata.server.TestDatabaseResource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A Delta Lake table through the API, as a data-lake user works: a table written by another engine on a local
 * directory, tracked by a declared key; a branch of it (a shallow clone at a path the API answers), rows written
 * and read on it through REST, committed, diffed against main and merged into it; main's table itself then holds
 * the branch's rows, readable by any Delta engine.
 */
@QuarkusTest
@WithTestResource(value = TestDatabaseResource.class, scope = TestResourceScope.GLOBAL)
class DeltaTablesApiTest {
  @jakarta.inject.Inject io.vertx.mutiny.sqlclient.Pool pool;
  @jakarta.inject.Inject io.strata.server.application.DeltaIntentRecovery deltaRecovery;

  static final StructType SCHEMA = new StructType().add("id", LongType.LONG, false)
      .add("customer", StringType.STRING).add("amount", DoubleType.DOUBLE);

  @org.junit.jupiter.api.BeforeAll
  static void showFailedAnswers() {
    io.restassured.RestAssured.enableLoggingOfRequestAndResponseIfValidationFails();
  }

  /** A Delta table at {@code root} holding orders 1..{@code n}, written as another engine would (two versions). */
  static DeltaTable ordersTable(Path root, int n) throws Exception {
    var engine = DeltaTable.defaultEngine();
    TableManager.buildCreateTableTransaction(root.toUri().toString(), SCHEMA, "test-engine").build(engine)
        .commit(engine, CloseableIterable.emptyIterable());
    DeltaTable table = DeltaTable.local(root, engine);
    List<Map<String, Object>> rows = new ArrayList<>();
    for (long id = 1; id <= n; id++) {
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("id", id);
      row.put("customer", "c" + (id % 3));
      row.put("amount", id * 1.5);
      rows.add(row);
    }
    var file = DataFiles.write(table, table.latest(), rows);
    table.log().create(1, DeltaCommit.of("test-engine-write", "WRITE", System.currentTimeMillis()).add(file).bytes());
    return table;
  }

  /** A repository whose storage 'lake' holds an orders table of {@code n} rows, tracked by id: its API base. */
  record Lake(String repo, String base, DeltaTable orders) {}

  static Lake lake(String prefix, int n) throws Exception {
    String repo = createRepository(uniqueName(prefix));
    Path lake = Files.createTempDirectory("lake");
    DeltaTable orders = ordersTable(lake.resolve("orders"), n);
    post("/api/v1/repositories/" + repo + "/storage", Map.of("name", "lake", "type", "delta", "url",
        lake.toUri().toString())).statusCode(201);
    String base = "/api/v1/repositories/" + repo;
    post(base + "/tables", Map.of("name", "orders", "location", "delta://lake/orders", "primary_key", List.of("id")))
        .statusCode(201).body("location", equalTo("delta://lake/orders")).body("row_count", equalTo(n));
    return new Lake(repo, base, orders);
  }

  /**
   * A repository whose storage 'lake' holds an orders table another engine made with {@code creation} (its
   * protocol and metadata) and wrote rows 1..6 into (customer by id, one file per partition), tracked by id.
   */
  static Lake engineLake(String prefix, DeltaCommit creation,
      java.util.function.LongFunction<String> customer) throws Exception {
    String repo = createRepository(uniqueName(prefix));
    Path lake = Files.createTempDirectory("lake");
    DeltaTable orders = DeltaTable.local(lake.resolve("orders"), DeltaTable.defaultEngine());
    orders.log().create(0, creation.bytes());
    List<Map<String, Object>> rows = new ArrayList<>();
    for (long id = 1; id <= 6; id++) {
      rows.add(orderRow(id, customer.apply(id), id * 1.5));
    }
    DeltaCommit write = DeltaCommit.of("engine-2", "WRITE", System.currentTimeMillis());
    DataFiles.writeAll(orders, orders.latest(), rows).forEach(write::add);
    orders.log().create(1, write.bytes());
    post("/api/v1/repositories/" + repo + "/storage", Map.of("name", "lake", "type", "delta", "url",
        lake.toUri().toString())).statusCode(201);
    String base = "/api/v1/repositories/" + repo;
    post(base + "/tables", Map.of("name", "orders", "location", "delta://lake/orders", "primary_key", List.of("id")))
        .statusCode(201).body("row_count", equalTo(6));
    return new Lake(repo, base, orders);
  }

  private static Map<Long, Double> amounts(DeltaTable table) {
    Map<Long, Double> out = new java.util.TreeMap<>();
    table.rows(table.latest(), List.of("id")).forEach((k, r) -> out.put((Long) r.get("id"), (Double) r.get("amount")));
    return out;
  }

  @Test
  void aDeltaTableIsTrackedBranchedWrittenCommittedDiffedAndMerged() throws Exception {
    String repo = createRepository(uniqueName("lake"));
    Path lake = Files.createTempDirectory("lake");
    DeltaTable orders = ordersTable(lake.resolve("orders"), 20);
    post("/api/v1/repositories/" + repo + "/storage", Map.of("name", "lake", "type", "delta", "url",
        lake.toUri().toString())).statusCode(201);
    String base = "/api/v1/repositories/" + repo;

    post(base + "/tables", Map.of("name", "orders", "location", "delta://lake/orders", "primary_key", List.of("id")))
        .statusCode(201).body("location", equalTo("delta://lake/orders")).body("row_count", equalTo(20));
    post(base + "/branches", Map.of("name", "dev")).statusCode(201);

    Api.json().body(Map.of("customer", "new", "amount", 99.5))
        .put(base + "/branches/dev/tables/orders/rows/21").then().statusCode(200);
    Api.json()
        .body("[{\"op\": \"upsert\", \"row\": {\"id\": 1, \"customer\": \"c1\", \"amount\": 1000.0}},"
            + " {\"op\": \"delete\", \"key\": {\"id\": 2}}]")
        .post(base + "/branches/dev/tables/orders/rows:batch").then().statusCode(200);
    given().get(base + "/tables/orders/rows/1?ref=dev&working=true").then().statusCode(200)
        .body("amount", equalTo(1000.0f));
    given().get(base + "/tables/orders/rows/1?ref=dev").then().statusCode(200).body("amount", equalTo(1.5f));
    given().get(base + "/tables/orders/rows/1?ref=main").then().statusCode(200).body("amount", equalTo(1.5f));
    assertThat(amounts(orders)).containsEntry(1L, 1.5).containsKey(2L).doesNotContainKey(21L);

    // the whole branch as NDJSON, in key order: 20 rows, 2 gone and 21 come
    String ndjson = given().accept("application/x-ndjson").get(base + "/tables/orders/rows?ref=dev&working=true").then()
        .statusCode(200).extract().asString();
    assertThat(ndjson.lines()).hasSize(20).first().asString().contains("\"id\": 1");
    post(base + "/branches/dev/commits", Map.of("message", "Raise order 1, drop 2, add 21", "all", true))
        .statusCode(201);
    given().get(base + "/diff?from=main&to=dev&rows=true").then().statusCode(200)
        .body("tables[0].inserted", equalTo(1)).body("tables[0].updated", equalTo(1))
        .body("tables[0].deleted", equalTo(1));
    post(base + "/branches/main/merge", Map.of("source", "dev")).statusCode(200).body("fast_forward", equalTo(true));
    // the table itself holds what it took from the branch: deleting the branch leaves it whole
    given().delete(base + "/branches/dev").then().statusCode(204);
    Map<Long, Double> merged = amounts(orders);
    assertThat(merged).containsEntry(1L, 1000.0).containsEntry(21L, 99.5).doesNotContainKey(2L).hasSize(20);
    given().get(base + "/tables/orders/rows/21?ref=main").then().statusCode(200).body("customer", equalTo("new"));
    given().get(base + "/tables/orders/rows/1?ref=main~1").then().statusCode(200).body("amount", equalTo(1.5f));
  }

  /**
   * Both sides changed: the merge decides key by key with the seed's truth table, stops on the row both changed in
   * one field, takes a resolution, and its continue commits the merged rows into the table itself.
   */
  @Test
  void aThreeWayMergeStopsOnAConflictTakesAResolutionAndCommits() throws Exception {
    Lake l = lake("lakemerge", 10);
    String repo = l.repo();
    String base = l.base();
    DeltaTable orders = l.orders();
    post(base + "/branches", Map.of("name", "dev")).statusCode(201);
    Api.json().body(Map.of("customer", "main", "amount", 10.0)).put(base + "/branches/main/tables/orders/rows/1")
        .then().statusCode(200);
    post(base + "/branches/main/commits", Map.of("message", "main changes 1", "all", true)).statusCode(201);
    Api.json().body(Map.of("customer", "dev", "amount", 20.0)).put(base + "/branches/dev/tables/orders/rows/1")
        .then().statusCode(200);
    Api.json().body(Map.of("customer", "dev", "amount", 30.0)).put(base + "/branches/dev/tables/orders/rows/3")
        .then().statusCode(200);
    post(base + "/branches/dev/commits", Map.of("message", "dev changes 1 and 3", "all", true)).statusCode(201);

    post(base + "/branches/main/merge", Map.of("source", "dev")).statusCode(409)
        .body("error", equalTo("MergeConflict"));
    String conflicts = given().get(base + "/branches/main/merge").then().statusCode(200)
        .body("merge_in_progress", equalTo(true)).extract().asString();
    assertThat(conflicts).contains("modify_modify").contains("customer").contains("amount");
    post(base + "/branches/main/merge/resolutions", Map.of("table", "orders", "key", List.of(1), "take", "theirs"))
        .statusCode(200);
    post(base + "/branches/main/merge/continue", Map.of("message", "Merge dev")).statusCode(201);
    Map<Long, Double> merged = amounts(orders);
    assertThat(merged).containsEntry(1L, 20.0).containsEntry(3L, 30.0).hasSize(10);
    given().get(base + "/diff?from=main~1&to=main").then().statusCode(200).body("tables[0].updated", equalTo(2));
  }

  /**
   * Another engine writes a row of the merge's target after the merge found it clean and decided its keys, before it
   * writes (Strata's locks do not hold other engines off): the merge is refused (409, retry) rather than overwrite
   * the engine's row, which stays; the retry finds it as a working change; once committed, the merge decides it with
   * the truth table.
   */
  @Test
  void anotherEnginesWriteBetweenAMergesPlanAndItsWriteRefusesTheMergeAndIsKept() throws Exception {
    Lake l = lake("lakerace", 5);
    String base = l.base();
    post(base + "/branches", Map.of("name", "dev")).statusCode(201);
    Api.json().body(Map.of("customer", "main", "amount", 10.0)).put(base + "/branches/main/tables/orders/rows/1")
        .then().statusCode(200);
    post(base + "/branches/main/commits", Map.of("message", "main changes 1", "all", true)).statusCode(201);
    Api.json().body(Map.of("customer", "dev", "amount", 20.0)).put(base + "/branches/dev/tables/orders/rows/2")
        .then().statusCode(200);
    post(base + "/branches/dev/commits", Map.of("message", "dev changes 2", "all", true)).statusCode(201);

    mergeRacedByAnotherEngine(l, 2);
    post(base + "/branches/main/commits", Map.of("message", "the engine's update", "all", true)).statusCode(201);
    post(base + "/branches/main/merge", Map.of("source", "dev")).statusCode(409)
        .body("error", equalTo("MergeConflict"));
    assertThat(given().get(base + "/branches/main/merge").then().statusCode(200).extract().asString())
        .contains("modify_modify");
  }

  /** The same race on a fast-forward: the move to the source's files would give up the engine's. */
  @Test
  void anotherEnginesWriteBetweenAFastForwardsCheckAndItsMoveRefusesItAndIsKept() throws Exception {
    Lake l = lake("lakeffrace", 5);
    String base = l.base();
    post(base + "/branches", Map.of("name", "dev")).statusCode(201);
    Api.json().body(Map.of("customer", "dev", "amount", 20.0)).put(base + "/branches/dev/tables/orders/rows/2")
        .then().statusCode(200);
    post(base + "/branches/dev/commits", Map.of("message", "dev changes 2", "all", true)).statusCode(201);

    mergeRacedByAnotherEngine(l, 4);
    post(base + "/branches/main/commits", Map.of("message", "the engine's update", "all", true)).statusCode(201);
    post(base + "/branches/main/merge", Map.of("source", "dev")).statusCode(200).body("fast_forward", equalTo(false));
    assertThat(amounts(l.orders())).containsEntry(4L, 99.0).containsEntry(2L, 20.0).hasSize(5);
  }

  /**
   * Merges dev into main while another engine updates row {@code id} of main's table once the merge is decided,
   * before it writes: the merge is refused with 409 ConcurrentWrite, records nothing, and the engine's row stays (a
   * working change, which a merge tried again is refused for).
   */
  private static void mergeRacedByAnotherEngine(Lake l, long id) throws Exception {
    String base = l.base();
    DeltaTable orders = l.orders();
    String head = Api.head(l.repo(), "main");
    io.strata.server.runtime.Failpoints.arm("merge.planned", "delay:3s");
    try {
      long hits = io.strata.server.runtime.Failpoints.timesHit("merge.planned");
      var merging = java.util.concurrent.CompletableFuture.supplyAsync(() -> Api.json()
          .body(Map.of("source", "dev")).post(base + "/branches/main/merge").then().extract());
      long until = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(20);
      while (io.strata.server.runtime.Failpoints.timesHit("merge.planned") == hits) {
        assertThat(System.nanoTime()).as("the merge is decided in time").isLessThan(until);
        Thread.sleep(10);
      }
      // the engine updates the row, copy-on-write, as the table's next version
      long version = orders.latest().getVersion();
      io.strata.projections.delta.DeltaMerge.apply(new io.strata.projections.delta.DeltaMerge.Plan(version,
          Map.of(List.<Object>of(id), orderRow(id, "engine", 99.0)), Map.of()), orders, List.of("id"), "spark-job-9",
          System.currentTimeMillis());
      var refused = merging.get(60, java.util.concurrent.TimeUnit.SECONDS);
      assertThat(refused.statusCode()).as(refused.asString()).isEqualTo(409);
      assertThat(refused.<String>path("error")).isEqualTo("ConcurrentWrite");
    } finally {
      io.strata.server.runtime.Failpoints.disarm("merge.planned");
    }
    assertThat(Api.head(l.repo(), "main")).as("no merge recorded").isEqualTo(head);
    given().get(base + "/tables/orders/rows/" + id + "?ref=main&working=true").then().statusCode(200)
        .body("customer", equalTo("engine")).body("amount", equalTo(99.0f));
    assertThat(amounts(orders)).containsEntry(id, 99.0).hasSize(5);
    post(base + "/branches/main/merge", Map.of("source", "dev")).statusCode(409)
        .body("error", equalTo("WorkingChangesPresent"));
  }

  /**
   * A row both sides changed in one field, theirs in another too: resolving the conflicting field keeps the field
   * only theirs changed (written, with ours in the conflicting field, when the merge stopped).
   */
  @Test
  void aFieldResolutionKeepsTheFieldOnlyTheirsChanged() throws Exception {
    Lake l = lake("lakefield", 3);
    String base = l.base();
    post(base + "/branches", Map.of("name", "dev")).statusCode(201);
    Api.json().body(Map.of("customer", "c1", "amount", 10.0)).put(base + "/branches/main/tables/orders/rows/1")
        .then().statusCode(200);
    post(base + "/branches/main/commits", Map.of("message", "main", "all", true)).statusCode(201);
    Api.json().body(Map.of("customer", "dev", "amount", 20.0)).put(base + "/branches/dev/tables/orders/rows/1")
        .then().statusCode(200);
    post(base + "/branches/dev/commits", Map.of("message", "dev", "all", true)).statusCode(201);
    post(base + "/branches/main/merge", Map.of("source", "dev")).statusCode(409);
    post(base + "/branches/main/merge/resolutions", Map.of("table", "orders", "key", List.of(1), "field", "amount",
        "take", "ours")).statusCode(200);
    post(base + "/branches/main/merge/continue", Map.of("message", "Merge dev")).statusCode(201);
    given().get(base + "/tables/orders/rows/1?ref=main").then().statusCode(200).body("customer", equalTo("dev"))
        .body("amount", equalTo(10.0f));
  }

  /**
   * On S3 (the tests' in-process server), a table Strata makes: rows written on main through REST, a branch of it,
   * a change there committed and merged back, all of it in the bucket: the table's log and files, the branch's
   * clone under its _strata/, the merge a fast-forward that copies the branch's file into the table.
   */
  @Test
  void aTableMadeOnS3IsWrittenBranchedAndMerged() throws Exception {
    String repo = createRepository(uniqueName("lakes3"));
    String bucket = "b" + uniqueName("x").replace("_", "-").toLowerCase();
    try (var client = io.strata.server.TestS3.shared().client()) {
      client.createBucket(b -> b.bucket(bucket)).join();
      Path secret = Files.createTempFile("s3-secret", ".txt");
      secret.toFile().deleteOnExit();
      Files.writeString(secret, io.strata.server.TestS3.SECRET_KEY);
      post("/api/v1/repositories/" + repo + "/storage", Map.of("name", "bucket", "type", "delta",
          "url", "s3://" + bucket + "/warehouse", "endpoint", io.strata.server.TestS3.shared().endpoint(),
          "path_style", true, "access_key_env", "STRATA_STORAGE_TEST_S3_ACCESS", "secret_key_file", secret.toString()))
          .statusCode(201);
      String base = "/api/v1/repositories/" + repo;
      post(base + "/branches/main/tables", Map.of("name", "events", "location", "delta://bucket/events",
          "columns", List.of(Map.of("name", "id", "type", "bigint"), Map.of("name", "kind", "type", "text"),
              Map.of("name", "amount", "type", "numeric(12,2)")), "primary_key", List.of("id")))
          .statusCode(201).body("location", equalTo("delta://bucket/events"));
      Api.json().body("[{\"op\": \"upsert\", \"row\": {\"id\": 1, \"kind\": \"a\", \"amount\": 1.50}},"
          + " {\"op\": \"upsert\", \"row\": {\"id\": 2, \"kind\": \"b\", \"amount\": 2.25}}]")
          .post(base + "/branches/main/tables/events/rows:batch").then().statusCode(200);
      post(base + "/branches/main/commits", Map.of("message", "Two events", "all", true)).statusCode(201);
      post(base + "/branches", Map.of("name", "fix")).statusCode(201);
      Api.json().body(Map.of("kind", "fixed", "amount", 2.5)).put(base + "/branches/fix/tables/events/rows/2")
          .then().statusCode(200);
      post(base + "/branches/fix/commits", Map.of("message", "Fix event 2", "all", true)).statusCode(201);
      post(base + "/branches/main/merge", Map.of("source", "fix")).statusCode(200);
      given().get(base + "/tables/events/rows/2?ref=main").then().statusCode(200).body("kind", equalTo("fixed"))
          .body("amount", equalTo(2.5f));
      var keys = client.listObjectsV2(b -> b.bucket(bucket).prefix("warehouse/events/")).join().contents().stream()
          .map(o -> o.key()).toList();
      assertThat(keys).anyMatch(k -> k.startsWith("warehouse/events/_delta_log/"))
          .anyMatch(k -> k.startsWith("warehouse/events/_strata/branches/fix-"))
          .anyMatch(k -> k.matches("warehouse/events/[^/]+\\.parquet"));
    }
  }

  /** Revert, cherry-pick and a hard reset of a Delta table's branch, through the same roles as PostgreSQL tables'. */
  @Test
  void aCommitIsRevertedCherryPickedAndResetAway() throws Exception {
    Lake l = lake("lakeundo", 5);
    String repo = l.repo();
    String base = l.base();
    DeltaTable orders = l.orders();
    String start = Api.head(repo, "main");
    Api.json().body(Map.of("customer", "x", "amount", 50.0)).put(base + "/branches/main/tables/orders/rows/1")
        .then().statusCode(200);
    String raised = post(base + "/branches/main/commits", Map.of("message", "Raise 1", "all", true)).statusCode(201)
        .extract().path("id");
    Api.json().body(Map.of("customer", "y", "amount", 60.0)).put(base + "/branches/main/tables/orders/rows/2")
        .then().statusCode(200);
    post(base + "/branches/main/commits", Map.of("message", "Raise 2", "all", true)).statusCode(201);

    post(base + "/branches/main/revert", Map.of("commit", raised)).statusCode(201);
    assertThat(amounts(orders)).containsEntry(1L, 1.5).containsEntry(2L, 60.0);

    post(base + "/branches", Map.of("name", "side", "from", start)).statusCode(201);
    post(base + "/branches/side/cherry-pick", Map.of("commit", raised)).statusCode(201);
    given().get(base + "/tables/orders/rows/1?ref=side").then().statusCode(200).body("amount", equalTo(50.0f));
    given().get(base + "/tables/orders/rows/2?ref=side").then().statusCode(200).body("amount", equalTo(3.0f));

    post(base + "/branches/main/reset", Map.of("to", start, "mode", "hard", "force", true)).statusCode(200);
    assertThat(amounts(orders)).containsEntry(1L, 1.5).containsEntry(2L, 3.0);
    given().get(base + "/branches/main/status").then().statusCode(200).body("clean", equalTo(true));
  }

  /**
   * A column added on a branch (a metaData version of its clone: no data file written), written and read there,
   * diffed by field; a branch of that branch starts with it; merged three ways into main, whose table itself gains
   * the column first (recorded as its schema change) and then takes the branch's rows, the others reading null.
   */
  @Test
  void aColumnAddedOnABranchIsWrittenDiffedAndMergedIntoTheTable() throws Exception {
    Lake l = lake("lakecols", 6);
    String base = l.base();
    DeltaTable orders = l.orders();
    post(base + "/branches", Map.of("name", "dev")).statusCode(201);
    post(base + "/branches", Map.of("name", "old")).statusCode(201);
    post(base + "/branches/dev/tables/orders/schema", Map.of("operations",
        List.of(Map.of("op", "add_column", "name", "region", "type", "text")))).statusCode(200);
    post(base + "/branches/dev/tables/orders/schema", Map.of("operations",
        List.of(Map.of("op", "add_column", "name", "REGION", "type", "text")))).statusCode(422);
    post(base + "/branches/dev/tables/orders/schema", Map.of("operations",
        List.of(Map.of("op", "add_column", "name", "bad", "type", "tsvector")))).statusCode(422);
    String devRoot = given().get(base + "/branches/dev/status").then().statusCode(200).extract()
        .path("tables[0].location");
    DeltaTable dev = DeltaTable.local(Path.of(java.net.URI.create(devRoot)), DeltaTable.defaultEngine());
    assertThat(dev.latest().getSchema().fieldNames()).containsExactly("id", "customer", "amount", "region");
    assertThat(orders.latest().getSchema().fieldNames()).containsExactly("id", "customer", "amount");

    Api.json().body(Map.of("customer", "c1", "amount", 1.5, "region", "eu"))
        .put(base + "/branches/dev/tables/orders/rows/1").then().statusCode(200);
    given().get(base + "/tables/orders/rows/1?ref=dev&working=true").then().statusCode(200)
        .body("region", equalTo("eu"));
    given().get(base + "/tables/orders/rows/2?ref=dev&working=true").then().statusCode(200)
        .body("region", org.hamcrest.Matchers.nullValue());
    post(base + "/branches/dev/commits", Map.of("message", "Region of order 1", "all", true)).statusCode(201);
    given().get(base + "/diff?from=main&to=dev&rows=true").then().statusCode(200)
        .body("tables[0].updated", equalTo(1)).body("tables[0].inserted", equalTo(0))
        .body("changes[0].fields", equalTo(List.of("region")));

    // a branch of dev starts with dev's column
    post(base + "/branches", Map.of("name", "dev2", "from", "dev")).statusCode(201);
    given().get(base + "/tables/orders/rows/1?ref=dev2").then().statusCode(200).body("region", equalTo("eu"));

    // main moves on meanwhile: the merge is three-way, and the table gains the column before the rows come
    Api.json().body(Map.of("customer", "main", "amount", 30.0)).put(base + "/branches/main/tables/orders/rows/3")
        .then().statusCode(200);
    post(base + "/branches/main/commits", Map.of("message", "main changes 3", "all", true)).statusCode(201);
    // a dry run decides it without writing the table a version (nor the column)
    long versionBefore = orders.latest().getVersion();
    post(base + "/branches/main/merge", Map.of("source", "dev", "dry_run", true)).statusCode(200)
        .body("stats.updated", equalTo(1)).body("conflicts", equalTo(0));
    assertThat(orders.latest().getVersion()).isEqualTo(versionBefore);
    post(base + "/branches/main/merge", Map.of("source", "dev")).statusCode(200)
        .body("fast_forward", equalTo(false));
    assertThat(orders.latest().getSchema().fieldNames()).containsExactly("id", "customer", "amount", "region");
    Map<Long, Object> regions = new java.util.TreeMap<>();
    orders.rows(orders.latest(), List.of("id")).forEach((k, r) -> regions.put((Long) r.get("id"), r.get("region")));
    assertThat(regions).hasSize(6).containsEntry(1L, "eu").containsEntry(2L, null);
    assertThat(amounts(orders)).containsEntry(3L, 30.0);
    given().get(base + "/tables/orders").then().statusCode(200).body("columns.name",
        equalTo(List.of("id", "customer", "amount", "region")));
    given().get(base + "/tables/orders/rows/1?ref=main").then().statusCode(200).body("region", equalTo("eu"));
    given().get(base + "/branches/main/status").then().statusCode(200).body("clean", equalTo(true));

    // a branch made before: merging main into it gives its table the column, then main's rows
    given().get(base + "/tables/orders/rows/1?ref=old").then().statusCode(200)
        .body("$", org.hamcrest.Matchers.not(org.hamcrest.Matchers.hasKey("region")));
    post(base + "/branches/old/merge", Map.of("source", "main")).statusCode(200);
    given().get(base + "/tables/orders/rows/1?ref=old").then().statusCode(200).body("region", equalTo("eu"))
        .body("amount", equalTo(1.5f));
    given().get(base + "/tables/orders/rows/3?ref=old").then().statusCode(200).body("amount", equalTo(30.0f));
  }

  /**
   * A branch moved between states of other columns: a hard reset to before the column it added takes the column away
   * (the table's metaData of that state, its files), a reset forward brings it back with its values, and discarding an
   * uncommitted column keeps it (rows only, as on any table); a branch's own drop is refused, and a reset with working
   * changes is refused before any column goes; main, hard reset to before a merge that gave the table a column, keeps
   * the column (null in the commit's rows), and so does a branch reset to before the table gained it.
   */
  @Test
  void resetsAndDiscardsMoveATableAcrossAColumnAdded() throws Exception {
    Lake l = lake("lakereset", 4);
    String base = l.base();
    DeltaTable orders = l.orders();
    String before = Api.head(l.repo(), "main");
    post(base + "/branches", Map.of("name", "dev")).statusCode(201);
    post(base + "/branches", Map.of("name", "old")).statusCode(201);
    post(base + "/branches/dev/tables/orders/schema", Map.of("operations",
        List.of(Map.of("op", "add_column", "name", "region", "type", "text")))).statusCode(200);
    Api.json().body(Map.of("customer", "c1", "amount", 1.5, "region", "eu"))
        .put(base + "/branches/dev/tables/orders/rows/1").then().statusCode(200);
    String withRegion = post(base + "/branches/dev/commits", Map.of("message", "Region", "all", true))
        .statusCode(201).extract().path("id");
    String devRoot = given().get(base + "/branches/dev/status").then().statusCode(200).extract()
        .path("tables[0].location");
    DeltaTable dev = DeltaTable.local(Path.of(java.net.URI.create(devRoot)), DeltaTable.defaultEngine());

    post(base + "/branches/dev/reset", Map.of("to", before, "mode", "hard")).statusCode(200);
    assertThat(dev.latest().getSchema().fieldNames()).containsExactly("id", "customer", "amount");
    given().get(base + "/tables/orders/rows/1?ref=dev&working=true").then().statusCode(200)
        .body("$", org.hamcrest.Matchers.not(org.hamcrest.Matchers.hasKey("region")));
    given().get(base + "/branches/dev/status").then().statusCode(200).body("clean", equalTo(true));

    post(base + "/branches/dev/reset", Map.of("to", withRegion, "mode", "hard")).statusCode(200);
    assertThat(dev.latest().getSchema().fieldNames()).containsExactly("id", "customer", "amount", "region");
    given().get(base + "/tables/orders/rows/1?ref=dev&working=true").then().statusCode(200)
        .body("region", equalTo("eu"));

    // an uncommitted column: a discard takes the rows back and keeps it (as on any table), a hard reset takes it away
    post(base + "/branches/dev/tables/orders/schema", Map.of("operations",
        List.of(Map.of("op", "add_column", "name", "note", "type", "text")))).statusCode(200);
    Api.json().body(Map.of("customer", "c2", "amount", 3.0, "note", "n"))
        .put(base + "/branches/dev/tables/orders/rows/2").then().statusCode(200);
    // a branch's own drop is refused (added back, Delta would read the values its files hold): a reset takes it away
    post(base + "/branches/dev/tables/orders/schema", Map.of("operations",
        List.of(Map.of("op", "drop_column", "name", "note")))).statusCode(422);
    post(base + "/branches/dev/tables/orders/schema", Map.of("operations",
        List.of(Map.of("op", "drop_column", "name", "customer")))).statusCode(422);
    // a reset with working changes is refused before any column is taken away
    post(base + "/branches/dev/reset", Map.of("to", withRegion, "mode", "hard")).statusCode(409)
        .body("error", equalTo("WorkingChangesPresent"));
    assertThat(dev.latest().getSchema().fieldNames()).containsExactly("id", "customer", "amount", "region", "note");
    given().delete(base + "/branches/dev/working").then().statusCode(204);
    assertThat(dev.latest().getSchema().fieldNames()).containsExactly("id", "customer", "amount", "region", "note");
    given().get(base + "/tables/orders/rows/2?ref=dev&working=true").then().statusCode(200)
        .body("note", org.hamcrest.Matchers.nullValue()).body("amount", equalTo(3.0f));
    given().get(base + "/branches/dev/status").then().statusCode(200).body("tables[0].schema_changed", equalTo(true))
        .body("tables[0].unstaged.updated", equalTo(0));
    post(base + "/branches/dev/reset", Map.of("to", withRegion, "mode", "hard")).statusCode(200);
    assertThat(dev.latest().getSchema().fieldNames()).containsExactly("id", "customer", "amount", "region");
    given().get(base + "/branches/dev/status").then().statusCode(200).body("clean", equalTo(true));

    // main: merged (the table gains the column)
    post(base + "/branches/main/merge", Map.of("source", "dev")).statusCode(200);
    assertThat(orders.latest().getSchema().fieldNames()).containsExactly("id", "customer", "amount", "region");
    // a branch made before takes it from main, and keeps it when reset to a commit from before the table had it
    String oldRoot = given().get(base + "/branches/old/status").then().statusCode(200).extract()
        .path("tables[0].location");
    post(base + "/branches/old/merge", Map.of("source", "main")).statusCode(200);
    post(base + "/branches/old/reset", Map.of("to", before, "mode", "hard")).statusCode(200);
    DeltaTable old = DeltaTable.local(Path.of(java.net.URI.create(oldRoot)), DeltaTable.defaultEngine());
    assertThat(old.latest().getSchema().fieldNames()).containsExactly("id", "customer", "amount", "region");
    given().get(base + "/tables/orders/rows/1?ref=old&working=true").then().statusCode(200)
        .body("region", org.hamcrest.Matchers.nullValue());
    Api.json().body(Map.of("customer", "c1", "amount", 2.0, "region", "us"))
        .put(base + "/branches/old/tables/orders/rows/1").then().statusCode(200);
    // main hard reset to before the merge keeps the table's column (as DDL on a PostgreSQL table stays): the rows
    // are the commit's, null in it
    post(base + "/branches/main/reset", Map.of("to", before, "mode", "hard")).statusCode(200);
    assertThat(orders.latest().getSchema().fieldNames()).containsExactly("id", "customer", "amount", "region");
    given().get(base + "/tables/orders/rows/1?ref=main").then().statusCode(200)
        .body("region", org.hamcrest.Matchers.nullValue()).body("amount", equalTo(1.5f));
    given().get(base + "/tables/orders").then().statusCode(200).body("columns.name",
        equalTo(List.of("id", "customer", "amount", "region")));
  }

  /**
   * A column's type widened on a branch (integer to long, Delta's type widening: no file rewritten), a value only the
   * wider type holds written there; merged into main, whose table is widened first (recorded as its schema change),
   * every older row reading as it was. A narrowing, a key column and a conversion by expression are refused; so is
   * any widening of a table that has not enabled type widening (made without the property, or turned off since), by a
   * merge or by a hard reset to a widened commit.
   */
  @Test
  void aColumnWidenedOnABranchIsMergedIntoTheTableWideningIt() throws Exception {
    String repo = createRepository(uniqueName("lakewiden"));
    Path lake = Files.createTempDirectory("lake");
    post("/api/v1/repositories/" + repo + "/storage", Map.of("name", "lake", "type", "delta", "url",
        lake.toUri().toString())).statusCode(201);
    String base = "/api/v1/repositories/" + repo;
    List<Map<String, String>> columns = List.of(Map.of("name", "id", "type", "bigint"),
        Map.of("name", "qty", "type", "integer"));
    // table properties: Delta's type widening only, true or false, and only on a Delta table
    post(base + "/branches/main/tables", Map.of("name", "bad", "location", "delta://lake/bad", "columns", columns,
        "primary_key", List.of("id"), "table_properties", Map.of("delta.appendOnly", "true"))).statusCode(422)
        .body("details.field", equalTo("table_properties.delta.appendOnly"));
    post(base + "/branches/main/tables", Map.of("name", "bad", "location", "delta://lake/bad", "columns", columns,
        "primary_key", List.of("id"), "table_properties", Map.of("delta.enableTypeWidening", "yes"))).statusCode(422)
        .body("details.field", equalTo("table_properties.delta.enableTypeWidening"));
    post(base + "/branches/main/tables", Map.of("name", "bad", "columns", columns, "primary_key", List.of("id"),
        "table_properties", Map.of("delta.enableTypeWidening", "true"))).statusCode(422)
        .body("details.field", equalTo("table_properties"));
    assertThat(Files.exists(lake.resolve("bad"))).isFalse();
    given().get(base + "/tables/bad").then().statusCode(404);

    // a table made without the property: its columns keep their types (readers older than Delta 4.0 read it)
    post(base + "/branches/main/tables", Map.of("name", "plain", "location", "delta://lake/plain", "columns",
        columns, "primary_key", List.of("id"))).statusCode(201);
    post(base + "/branches", Map.of("name", "early")).statusCode(201);
    post(base + "/branches/early/tables/plain/schema", Map.of("operations",
        List.of(Map.of("op", "alter_column", "name", "qty", "type", "bigint")))).statusCode(422)
        .body("message", org.hamcrest.Matchers.containsString("delta.enableTypeWidening"));
    Api.json().body(Map.of("id", 1, "qty", 5_000_000_000L)).put(base + "/branches/early/tables/plain/rows/1").then()
        .statusCode(422).body("message", org.hamcrest.Matchers.containsString("qty"));
    DeltaTable plain = DeltaTable.local(lake.resolve("plain"), DeltaTable.defaultEngine());
    assertThat(plain.latest().getProtocol().getMinReaderVersion()).isEqualTo(1);

    post(base + "/branches/main/tables", Map.of("name", "stock", "location", "delta://lake/stock",
        "columns", columns, "primary_key", List.of("id"),
        "table_properties", Map.of("delta.enableTypeWidening", "TRUE"))).statusCode(201);
    assertThat(DeltaTable.local(lake.resolve("stock"), DeltaTable.defaultEngine()).latest().getTableProperties())
        .containsEntry("delta.enableTypeWidening", "true");
    Api.json().body("[{\"op\": \"upsert\", \"row\": {\"id\": 1, \"qty\": 10}},"
        + " {\"op\": \"upsert\", \"row\": {\"id\": 2, \"qty\": 20}}]")
        .post(base + "/branches/main/tables/stock/rows:batch").then().statusCode(200);
    post(base + "/branches/main/commits", Map.of("message", "stock", "all", true)).statusCode(201);
    post(base + "/branches", Map.of("name", "dev")).statusCode(201);

    Api.json().body(Map.of("qty", 5_000_000_000L)).put(base + "/branches/dev/tables/stock/rows/1").then()
        .statusCode(422).body("message", org.hamcrest.Matchers.containsString("qty"));
    post(base + "/branches/dev/tables/stock/schema", Map.of("operations",
        List.of(Map.of("op", "alter_column", "name", "qty", "type", "smallint")))).statusCode(422)
        .body("message", org.hamcrest.Matchers.containsString("qty"));
    post(base + "/branches/dev/tables/stock/schema", Map.of("operations",
        List.of(Map.of("op", "alter_column", "name", "id", "type", "numeric(30,0)")))).statusCode(422)
        .body("message", org.hamcrest.Matchers.containsString("id"));
    post(base + "/branches/dev/tables/stock/schema", Map.of("operations",
        List.of(Map.of("op", "alter_column", "name", "qty", "type", "bigint", "using", "qty * 2")))).statusCode(422)
        .body("message", org.hamcrest.Matchers.containsString("using"));
    post(base + "/branches/dev/tables/stock/schema", Map.of("operations",
        List.of(Map.of("op", "alter_column", "name", "qty", "type", "bigint")))).statusCode(200);
    Api.json().body(Map.of("qty", 5_000_000_000L)).put(base + "/branches/dev/tables/stock/rows/1").then()
        .statusCode(200);
    given().get(base + "/tables/stock/rows/2?ref=dev&working=true").then().statusCode(200).body("qty", equalTo(20));
    post(base + "/branches/dev/commits", Map.of("message", "a big quantity", "all", true)).statusCode(201);
    given().get(base + "/diff?from=main&to=dev&rows=true").then().statusCode(200)
        .body("tables.find { it.table == 'stock' }.updated", equalTo(1))
        .body("changes[0].fields", equalTo(List.of("qty")));

    // its owner turns type widening off (another engine's ALTER TABLE SET TBLPROPERTIES): the merge is refused
    DeltaTable stock = DeltaTable.local(lake.resolve("stock"), DeltaTable.defaultEngine());
    long before = setProperty(stock, "delta.enableTypeWidening", "false");
    post(base + "/branches/main/merge", Map.of("source", "dev")).statusCode(422)
        .body("message", org.hamcrest.Matchers.containsString("delta.enableTypeWidening"));
    // nor does a hard reset of main to the branch's widened commit widen it (no merge brings it: the same consent)
    post(base + "/branches/main/reset", Map.of("to", Api.head(repo, "dev"), "mode", "hard", "force", true))
        .statusCode(422).body("message", org.hamcrest.Matchers.containsString("delta.enableTypeWidening"));
    assertThat(stock.latest().getVersion()).isEqualTo(before);
    assertThat(stock.latest().getSchema().get("qty").getDataType()).isEqualTo(io.delta.kernel.types.IntegerType.INTEGER);
    setProperty(stock, "delta.enableTypeWidening", "true");

    post(base + "/branches/main/merge", Map.of("source", "dev")).statusCode(200);
    var latest = stock.latest();
    assertThat(latest.getSchema().get("qty").getDataType()).isEqualTo(LongType.LONG);
    assertThat(latest.getProtocol().getReaderFeatures()).contains("typeWidening");
    assertThat(stock.rows(latest, List.of("id")).get(List.of(2L))).containsEntry("qty", 20L);
    given().get(base + "/tables/stock/rows/1?ref=main").then().statusCode(200)
        .body("qty", equalTo(5_000_000_000L));
    given().get(base + "/tables/stock").then().statusCode(200).body("columns.find { it.name == 'qty' }.type",
        equalTo("long"));
    given().get(base + "/branches/main/status").then().statusCode(200).body("clean", equalTo(true));
  }

  /**
   * A branch's table written through the API gets a checkpoint every ten versions once its commands commit (in the
   * background: no answer waits for it), so readers need not replay its whole log; the rows read the same.
   */
  @Test
  void aBranchWrittenTenTimesIsCheckpointedAndReadsTheSame() throws Exception {
    Lake l = lake("lakeckpt", 4);
    String base = l.base();
    post(base + "/branches", Map.of("name", "dev")).statusCode(201);
    String devRoot = given().get(base + "/branches/dev/status").then().statusCode(200).extract()
        .path("tables[0].location");
    Path log = Path.of(java.net.URI.create(devRoot)).resolve("_delta_log");
    for (int i = 1; i <= 10; i++) {
      Api.json().body(Map.of("customer", "c" + i, "amount", i * 2.0)).put(base + "/branches/dev/tables/orders/rows/"
          + (100 + i)).then().statusCode(200);
    }
    DeltaTable dev = DeltaTable.local(Path.of(java.net.URI.create(devRoot)), DeltaTable.defaultEngine());
    long head = dev.latest().getVersion();
    assertThat(head).isGreaterThanOrEqualTo(10);
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (!Files.exists(log.resolve("_last_checkpoint")) && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
    try (var names = Files.list(log)) {
      // at the last version of the command whose versions crossed ten
      assertThat(names.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".checkpoint.parquet"))
          .map(n -> Long.parseLong(n.substring(0, 20)))).as("a checkpoint from version ten on").isNotEmpty()
          .allMatch(v -> v >= 10 && v <= head);
    }
    given().get(base + "/tables/orders/rows/110?ref=dev&working=true").then().statusCode(200)
        .body("amount", equalTo(20.0f));
    post(base + "/branches/dev/commits", Map.of("message", "ten orders", "all", true)).statusCode(201)
        .body("stats.inserted", equalTo(10));
  }

  /**
   * A deleted branch's table goes once nothing reaches it (it made no commit), at the first recovery sweep after the
   * grace period; a branch that made a commit keeps its table after its deletion, and the commit still reads there
   * (time travel).
   */
  @Test
  void aDeletedBranchsTableGoesUnlessACommitReachesIt() throws Exception {
    Lake l = lake("lakesweep", 4);
    String base = l.base();
    post(base + "/branches", Map.of("name", "preview")).statusCode(201);
    post(base + "/branches", Map.of("name", "kept")).statusCode(201);
    Path preview = location(base, "preview");
    Path kept = location(base, "kept");
    Api.json().body(Map.of("customer", "p", "amount", 1.0)).put(base + "/branches/preview/tables/orders/rows/90")
        .then().statusCode(200);
    Api.json().body(Map.of("customer", "k", "amount", 2.0)).put(base + "/branches/kept/tables/orders/rows/91")
        .then().statusCode(200);
    String commit = post(base + "/branches/kept/commits", Map.of("message", "kept", "all", true)).statusCode(201)
        .extract().path("id");
    given().delete(base + "/branches/preview?force=true").then().statusCode(204);
    given().delete(base + "/branches/kept?force=true").then().statusCode(204);

    deltaRecovery.recoverAll().await().atMost(java.time.Duration.ofSeconds(60));
    assertThat(preview.resolve("_delta_log")).as("within the grace period").exists();
    pool.preparedQuery("update strata_meta.delta_released_roots set released_at = now() - interval '2 hours'"
        + " where repository = $1").execute(io.vertx.mutiny.sqlclient.Tuple.of(l.repo())).await().indefinitely();
    deltaRecovery.recoverAll().await().atMost(java.time.Duration.ofSeconds(60));

    assertThat(preview).as("a branch that made no commit").doesNotExist();
    assertThat(kept.resolve("_delta_log")).as("a branch whose commit reaches its table").exists();
    given().get(base + "/tables/orders/rows/91?ref=" + commit).then().statusCode(200).body("customer", equalTo("k"));
    given().get(base + "/tables/orders/rows/1?ref=main").then().statusCode(200);
    assertThat(pool.preparedQuery("select count(*) from strata_meta.delta_released_roots where repository = $1")
        .execute(io.vertx.mutiny.sqlclient.Tuple.of(l.repo())).await().indefinitely().iterator().next().getLong(0))
        .as("both settled").isZero();
  }

  private static Path location(String base, String branch) {
    String root = given().get(base + "/branches/" + branch + "/status").then().statusCode(200).extract()
        .path("tables[0].location");
    return Path.of(java.net.URI.create(root));
  }

  /** Sets a property of {@code table} as another engine does (a metaData version): answers the version written. */
  private static long setProperty(DeltaTable table, String key, String value) throws Exception {
    var snapshot = table.latest();
    Map<String, String> properties = new LinkedHashMap<>(snapshot.getTableProperties());
    properties.put(key, value);
    var metadata = snapshot.getMetadata();
    long next = snapshot.getVersion() + 1;
    table.log().create(next, DeltaCommit.of("engine-alter", "SET TBLPROPERTIES", System.currentTimeMillis())
        .metadata(metadata.getId(), snapshot.getSchema().toJson(), snapshot.getPartitionColumnNames(), properties,
            metadata.getCreatedTime().orElse(0L)).bytes());
    return next;
  }

  /**
   * Other engines write the table and its branch's clone where the API says they are: their versions are the
   * branches' working changes, committed like any; one commit takes a Delta table and a PostgreSQL table together.
   */
  @Test
  void otherEnginesWritesAreWorkingChangesAndACommitTakesADeltaAndAPostgresTableTogether() throws Exception {
    Lake l = lake("lakeengines", 4);
    String base = l.base();
    Api.trackNew(pool, l.repo(), "regions", "id int primary key, name text",
        "values (1, 'north'), (2, 'south')");
    post(base + "/branches", Map.of("name", "etl")).statusCode(201);

    // another engine appends to the table itself: the default branch's working change
    DeltaTable orders = l.orders();
    var file = DataFiles.write(orders, orders.latest(), List.of(orderRow(100, "engine", 7.0)));
    long next = orders.latest().getVersion() + 1;
    orders.log().create(next, DeltaCommit.of("spark-job-1", "WRITE", System.currentTimeMillis()).add(file).bytes());
    given().get(base + "/branches/main/status").then().statusCode(200)
        .body("tables.find { it.table == 'orders' }.unstaged.inserted", equalTo(1));
    post(base + "/branches/main/commits", Map.of("message", "Spark's append", "all", true)).statusCode(201)
        .body("stats.inserted", equalTo(1));

    // and to the branch's table, at the location its status answers
    String location = given().get(base + "/branches/etl/status").then().statusCode(200)
        .extract().path("tables.find { it.table == 'orders' }.location");
    assertThat(location).contains("/orders/_strata/branches/etl-");
    DeltaTable clone = DeltaTable.local(Path.of(java.net.URI.create(location)), DeltaTable.defaultEngine());
    var cloneFile = DataFiles.write(clone, clone.latest(), List.of(orderRow(200, "engine on etl", 8.0)));
    clone.log().create(clone.latest().getVersion() + 1,
        DeltaCommit.of("spark-job-2", "WRITE", System.currentTimeMillis()).add(cloneFile).bytes());
    sql(pool, "update " + Api.view(l.repo(), "etl", "regions") + " set name = 'North' where id = 1");

    // one commit of the branch takes both tables' changes
    post(base + "/branches/etl/commits", Map.of("message", "ETL run", "all", true)).statusCode(201)
        .body("stats.tables", equalTo(2)).body("stats.inserted", equalTo(1)).body("stats.updated", equalTo(1));
    given().get(base + "/tables/orders/rows/200?ref=etl").then().statusCode(200).body("customer",
        equalTo("engine on etl"));
    given().get(base + "/tables/orders/rows/200?ref=main").then().statusCode(404);
  }

  /**
   * Deletion vectors another engine writes on a branch's table: its delete is the branch's working change, committed
   * and diffed; a fast-forward of the default branch takes the file with its vector, the vector's file copied into
   * the table's own directory first, so the table reads without the branch's directory.
   */
  @Test
  void aDeletionVectorAnotherEngineWroteOnABranchMovesIntoTheTableWithItsOwnCopy() throws Exception {
    Lake l = engineLake("lakedv", DeltaCommit.of("engine-1", "CREATE TABLE", 1L)
        .protocol(3, 7, java.util.Set.of("deletionVectors"), java.util.Set.of("deletionVectors"))
        .metadata("orders-id", SCHEMA.toJson(), List.of(), Map.of("delta.enableDeletionVectors", "true"), 1L),
        id -> "c" + id);
    String base = l.base();
    DeltaTable orders = l.orders();
    long now = System.currentTimeMillis();
    post(base + "/branches", Map.of("name", "dev")).statusCode(201);

    // another engine deletes the file's third row on the branch's table, as a vector in the branch's directory
    String location = given().get(base + "/branches/dev/status").then().statusCode(200)
        .extract().path("tables.find { it.table == 'orders' }.location");
    Path cloneDir = Path.of(java.net.URI.create(location));
    DeltaTable clone = DeltaTable.local(cloneDir, DeltaTable.defaultEngine());
    var file = clone.files(clone.latest()).get(0);
    var dv = io.strata.projections.delta.DeletionVectorFiles.write(cloneDir, 2);
    clone.log().create(clone.latest().getVersion() + 1, DeltaCommit.of("engine-3", "DELETE", now).remove(file, now)
        .add(new io.strata.projections.delta.DeltaFile(file.path(), file.size(), file.modificationTime(), Map.of(),
            file.stats(), dv)).bytes());
    given().get(base + "/branches/dev/status").then().statusCode(200)
        .body("tables.find { it.table == 'orders' }.unstaged.deleted", equalTo(1));
    post(base + "/branches/dev/commits", Map.of("message", "the engine's delete", "all", true)).statusCode(201)
        .body("stats.deleted", equalTo(1));
    given().get(base + "/diff?from=main&to=dev&rows=true").then().statusCode(200)
        .body("tables[0].deleted", equalTo(1)).body("changes[0].key", equalTo(List.of(3)));

    post(base + "/branches/main/merge", Map.of("source", "dev")).statusCode(200).body("fast_forward", equalTo(true));
    var taken = orders.files(orders.latest());
    assertThat(taken).singleElement().satisfies(f -> {
      assertThat(f.deletionVector()).isNotNull();
      assertThat(f.deletionVector().pathOrInlineDv()).startsWith(orders.root().toString().replace("file:///", "file:/"))
          .doesNotContain("_strata");
    });
    try (var tree = Files.walk(cloneDir)) {
      for (Path p : tree.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(p); // the branch's directory gone: the table reads on its own
      }
    }
    assertThat(amounts(orders)).containsOnlyKeys(1L, 2L, 4L, 5L, 6L);
    given().get(base + "/tables/orders/rows/3?ref=main").then().statusCode(404);
    given().get(base + "/tables/orders/rows/4?ref=main").then().statusCode(200).body("amount", equalTo(6.0f));
  }

  /**
   * Another engine enables deletion vectors on the table after a branch was made and deletes a row as a vector: a
   * fast-forward of the branch, whose protocol does not allow vectors, is refused (its readers would not apply the
   * vector: the row would come back) and changes nothing.
   */
  @Test
  void aMoveBringingDeletionVectorsIntoABranchWhoseProtocolLacksThemIsRefused() throws Exception {
    Lake l = engineLake("lakedvlate", DeltaCommit.of("engine-1", "CREATE TABLE", 1L)
        .protocol(1, 2, java.util.Set.of(), java.util.Set.of())
        .metadata("orders-id", SCHEMA.toJson(), List.of(), Map.of(), 1L), id -> "c" + id);
    String base = l.base();
    DeltaTable orders = l.orders();
    post(base + "/branches", Map.of("name", "dev")).statusCode(201);
    long now = System.currentTimeMillis();
    var snapshot = orders.latest();
    var file = orders.files(snapshot).get(0);
    var dv = io.strata.projections.delta.DeletionVectorFiles.write(Path.of(orders.root()), 0);
    orders.log().create(snapshot.getVersion() + 1, DeltaCommit.of("engine-3", "DELETE", now)
        .protocol(3, 7, java.util.Set.of("deletionVectors"), java.util.Set.of("appendOnly", "invariants",
            "deletionVectors"))
        .metadata("orders-id", SCHEMA.toJson(), List.of(), Map.of("delta.enableDeletionVectors", "true"), 1L)
        .remove(file, now).add(new io.strata.projections.delta.DeltaFile(file.path(), file.size(),
            file.modificationTime(), Map.of(), file.stats(), dv)).bytes());
    post(base + "/branches/main/commits", Map.of("message", "the engine's delete", "all", true)).statusCode(201)
        .body("stats.deleted", equalTo(1));

    post(base + "/branches/dev/merge", Map.of("source", "main")).statusCode(422)
        .body("message", org.hamcrest.Matchers.containsString("deletion vectors"));
    given().get(base + "/tables/orders/rows/1?ref=dev").then().statusCode(200);
    given().get(base + "/tables/orders/rows/1?ref=main").then().statusCode(404);
    given().get(base + "/branches/dev/status").then().statusCode(200).body("clean", equalTo(true));
  }

  /**
   * A table partitioned by customer: REST writes on a branch (a row moved to another partition, a new partition)
   * committed and merged three ways into the table, every file holding the rows of its own partition; fast-forwarded,
   * the branch's files copied into their partitions' directories of the table.
   */
  @Test
  void rowsOfAPartitionedTableAreWrittenMergedAndKeptInTheirPartitions() throws Exception {
    Lake l = engineLake("lakepart", DeltaCommit.of("engine-1", "CREATE TABLE", 1L)
        .protocol(1, 2, java.util.Set.of(), java.util.Set.of())
        .metadata("orders-id", SCHEMA.toJson(), List.of("customer"), Map.of(), 1L), id -> "c" + (id % 2));
    String base = l.base();
    DeltaTable orders = l.orders();
    post(base + "/branches", Map.of("name", "dev")).statusCode(201);

    Api.json().body(Map.of("customer", "c0", "amount", 1.5)).put(base + "/branches/dev/tables/orders/rows/1")
        .then().statusCode(200);
    Api.json().body(Map.of("customer", "c9", "amount", 99.0)).put(base + "/branches/dev/tables/orders/rows/100")
        .then().statusCode(200);
    post(base + "/branches/dev/commits", Map.of("message", "moves", "all", true)).statusCode(201);
    Api.json().body(Map.of("customer", "c0", "amount", 7.0)).put(base + "/branches/main/tables/orders/rows/2")
        .then().statusCode(200);
    post(base + "/branches/main/commits", Map.of("message", "main", "all", true)).statusCode(201);
    post(base + "/branches/main/merge", Map.of("source", "dev")).statusCode(200).body("fast_forward", equalTo(false));

    var latest = orders.latest();
    assertThat(orders.files(latest)).allSatisfy(f -> {
      assertThat(f.path()).contains("customer=" + f.partitionValues().get("customer") + "/");
      assertThat(orders.rows(latest, java.util.Set.of(f.absolute(orders.root())), List.of("id")).values())
          .allSatisfy(r -> assertThat(r.get("customer")).isEqualTo(f.partitionValues().get("customer")));
    });
    assertThat(amounts(orders)).containsEntry(1L, 1.5).containsEntry(2L, 7.0).containsEntry(100L, 99.0).hasSize(7);
    given().get(base + "/tables/orders/rows/1?ref=main").then().statusCode(200).body("customer", equalTo("c0"));
    given().get(base + "/branches/main/status").then().statusCode(200).body("clean", equalTo(true));

    // a fast-forward moves the table to the branch's files, each with its partition's values; an empty value is
    // refused in a partition column (Delta reads it as null)
    post(base + "/branches", Map.of("name", "ff")).statusCode(201);
    Api.json().body(Map.of("customer", "c7", "amount", 3.5)).put(base + "/branches/ff/tables/orders/rows/3")
        .then().statusCode(200);
    Api.json().body(Map.of("customer", "", "amount", 1.0)).put(base + "/branches/ff/tables/orders/rows/4")
        .then().statusCode(422).body("message", org.hamcrest.Matchers.containsString("customer"));
    post(base + "/branches/ff/commits", Map.of("message", "3 moves to c7", "all", true)).statusCode(201);
    post(base + "/branches/main/merge", Map.of("source", "ff")).statusCode(200).body("fast_forward", equalTo(true));
    var moved = orders.latest();
    assertThat(orders.files(moved)).allSatisfy(f -> {
      // the branch's files copied in, each in its partition's directory (not under the branch's, not at the root)
      assertThat(Path.of(java.net.URI.create(f.location(orders.root()))).getParent())
          .isEqualTo(Path.of(orders.root()).resolve("customer=" + f.partitionValues().get("customer")));
      assertThat(orders.rows(moved, java.util.Set.of(f.absolute(orders.root())), List.of("id")).values())
          .allSatisfy(r -> assertThat(r.get("customer")).isEqualTo(f.partitionValues().get("customer")));
    });
    assertThat(amounts(orders)).containsEntry(3L, 3.5).hasSize(7);
    given().get(base + "/tables/orders/rows/3?ref=main").then().statusCode(200).body("customer", equalTo("c7"));
    given().get(base + "/diff?from=ff&to=main&rows=true").then().statusCode(200)
        .body("tables[0].updated", equalTo(0));
  }

  private static Map<String, Object> orderRow(long id, String customer, double amount) {
    Map<String, Object> row = new LinkedHashMap<>();
    row.put("id", id);
    row.put("customer", customer);
    row.put("amount", amount);
    return row;
  }

  /**
   * A commit and a merge that fail after their Delta work, before their events: the commit's capture is put back
   * (the changes staged again, the next commit takes exactly them), the merge's copy-on-write commit undone key by
   * key by the recovery sweep (the table reads as before), Strata's log records neither.
   */
  @Test
  void aCommitAndAMergeFailingAfterTheirDeltaWorkLeaveTableAndLogAsTheyWere() throws Exception {
    Lake l = lake("lakefault", 5);
    String base = l.base();
    String before = Api.head(l.repo(), "main");
    Api.json().body(Map.of("customer", "x", "amount", 9.0)).put(base + "/branches/main/tables/orders/rows/1")
        .then().statusCode(200);
    String status = given().get(base + "/branches/main/status").then().statusCode(200).extract().asString();
    io.strata.server.runtime.Failpoints.arm("commit.storage-captured", "error");
    try {
      Api.json().body(Map.of("message", "doomed")).post(base + "/branches/main/commits").then().statusCode(503);
    } finally {
      io.strata.server.runtime.Failpoints.disarm("commit.storage-captured");
    }
    assertThat(Api.head(l.repo(), "main")).isEqualTo(before);
    given().get(base + "/branches/main/status").then().statusCode(200).body(equalTo(status));
    post(base + "/branches/main/commits", Map.of("message", "again")).statusCode(201)
        .body("stats.updated", equalTo(1));

    post(base + "/branches", Map.of("name", "dev")).statusCode(201);
    Api.json().body(Map.of("customer", "dev", "amount", 20.0)).put(base + "/branches/dev/tables/orders/rows/2")
        .then().statusCode(200);
    post(base + "/branches/dev/commits", Map.of("message", "dev", "all", true)).statusCode(201);
    Api.json().body(Map.of("customer", "main", "amount", 30.0)).put(base + "/branches/main/tables/orders/rows/3")
        .then().statusCode(200);
    post(base + "/branches/main/commits", Map.of("message", "main", "all", true)).statusCode(201);
    Map<Long, Double> ours = amounts(l.orders());
    String head = Api.head(l.repo(), "main");
    io.strata.server.runtime.Failpoints.arm("merge.applied", "error");
    try {
      post(base + "/branches/main/merge", Map.of("source", "dev")).statusCode(503);
    } finally {
      io.strata.server.runtime.Failpoints.disarm("merge.applied");
    }
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (!amounts(l.orders()).equals(ours) && System.nanoTime() < deadline) {
      Thread.sleep(200);
    }
    assertThat(amounts(l.orders())).as("the merge's rows undone").isEqualTo(ours);
    assertThat(Api.head(l.repo(), "main")).isEqualTo(head);
    // the intent the merge's unit journalled before writing is forgotten once it is put back (none left to recover)
    String root = l.orders().root().getPath(); // the table's directory, whatever the URI's spelling
    deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    long left;
    do {
      left = pool.preparedQuery("select count(*) from strata_meta.delta_intents where strpos(root, $1) > 0")
          .execute(io.vertx.mutiny.sqlclient.Tuple.of(root)).await().atMost(Duration.ofSeconds(10))
          .iterator().next().getLong(0);
    } while (left > 0 && System.nanoTime() < deadline);
    assertThat(left).isZero();
    given().get(base + "/branches/main/status").then().statusCode(200).body("clean", equalTo(true));
    post(base + "/branches/main/merge", Map.of("source", "dev")).statusCode(200).body("fast_forward", equalTo(false));
    assertThat(amounts(l.orders())).containsEntry(2L, 20.0).containsEntry(3L, 30.0);
  }

  /**
   * More concurrent Delta writers than the metadata pool has connections (20 by default): each unit holds one for its
   * transaction while it journals its intent, so a journal borrowing from that pool too would make every writer wait
   * for a connection none gives back, until the journal's timeout and a 500 ({@code DeltaJournal}).
   */
  @Test
  void moreConcurrentDeltaWritersThanTheMetadataPoolHasConnectionsAllSucceed() throws Exception {
    Lake l = lake("lakemany", 5);
    int writers = 44; // twice the metadata pool's 20 connections, and more
    for (int b = 0; b < writers; b++) {
      post(l.base() + "/branches", Map.of("name", "w" + b)).statusCode(201);
    }
    java.util.concurrent.ExecutorService threads = java.util.concurrent.Executors.newFixedThreadPool(writers);
    try {
      java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
      List<java.util.concurrent.Future<io.restassured.response.Response>> answers = new ArrayList<>();
      for (int b = 0; b < writers; b++) {
        String path = l.base() + "/branches/w" + b + "/tables/orders/rows/" + (100 + b);
        answers.add(threads.submit(() -> {
          go.await();
          return Api.json().body(Map.of("customer", "concurrent", "amount", 1.0)).put(path);
        }));
      }
      go.countDown();
      for (int b = 0; b < writers; b++) {
        io.restassured.response.Response answer = answers.get(b).get(120, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(answer.statusCode()).as("writer %d: %s", b, answer.asString()).isEqualTo(200);
      }
    } finally {
      threads.shutdownNow();
    }
    for (int b = 0; b < writers; b++) {
      given().get(l.base() + "/tables/orders/rows/" + (100 + b) + "?ref=w" + b + "&working=true").then()
          .statusCode(200).body("customer", equalTo("concurrent"));
    }
    // nothing is left journalled: every unit committed, and took its intents with it
    String lakeDir = Path.of(l.orders().root()).getParent().getFileName().toString();
    assertThat(pool.preparedQuery("select count(*) from strata_meta.delta_intents where position($1 in root) > 0")
        .execute(io.vertx.mutiny.sqlclient.Tuple.of(lakeDir)).await().indefinitely().iterator().next().getLong(0))
        .isZero();
  }

  /**
   * A branch deleted and made anew under its name while the deletion's clean-up is still under way keeps its new
   * table: the deletion forgot the old branch's ref with its event, not by name afterwards.
   */
  @Test
  void aBranchMadeAnewUnderADeletedOnesNameKeepsItsTable() throws Exception {
    Lake l = lake("lakeanew", 5);
    post(l.base() + "/branches", Map.of("name", "dev")).statusCode(201);
    Api.json().body(Map.of("customer", "old", "amount", 1.0)).put(l.base() + "/branches/dev/tables/orders/rows/50")
        .then().statusCode(200);
    io.strata.server.runtime.Failpoints.arm("branch-delete.recorded", "delay:3s");
    try {
      var deleting = java.util.concurrent.CompletableFuture.supplyAsync(
          () -> given().delete(l.base() + "/branches/dev").then().extract().statusCode());
      // the deletion is recorded, its clean-up held: the branch is made anew meanwhile
      long until = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(2);
      while (given().get(l.base() + "/branches/dev").statusCode() != 404) {
        assertThat(System.nanoTime()).as("the deletion is recorded in time").isLessThan(until);
        Thread.sleep(20);
      }
      post(l.base() + "/branches", Map.of("name", "dev")).statusCode(201);
      assertThat(deleting.get(30, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo(204);
    } finally {
      io.strata.server.runtime.Failpoints.disarm("branch-delete.recorded");
    }
    // the new branch reads and writes its own table: the table's rows, not the old branch's
    given().get(l.base() + "/tables/orders/rows/50?ref=dev&working=true").then().statusCode(404);
    Api.json().body(Map.of("customer", "new", "amount", 2.0)).put(l.base() + "/branches/dev/tables/orders/rows/51")
        .then().statusCode(200);
    given().get(l.base() + "/tables/orders/rows/51?ref=dev&working=true").then().statusCode(200)
        .body("customer", equalTo("new"));
    assertThat(refsOf(l, "dev")).isEqualTo(1);
  }

  /** A branch's creation refused after its Delta clone is written leaves no ref of it: the ref commits with it. */
  @Test
  void aBranchCreationRefusedAfterItsCloneLeavesNoRef() throws Exception {
    Lake l = lake("lakerefused", 5);
    io.strata.server.runtime.Failpoints.arm("branch-create.installed", "error");
    try {
      post(l.base() + "/branches", Map.of("name", "dev")).statusCode(503);
    } finally {
      io.strata.server.runtime.Failpoints.disarm("branch-create.installed");
    }
    given().get(l.base() + "/branches/dev").then().statusCode(404);
    assertThat(refsOf(l, "dev")).isZero();
    // the clone it wrote is left to the sweep of released roots
    assertThat(pool.preparedQuery("select count(*) from strata_meta.delta_released_roots where repository = $1")
        .execute(io.vertx.mutiny.sqlclient.Tuple.of(l.repo())).await().indefinitely().iterator().next().getLong(0))
        .isOne();
    post(l.base() + "/branches", Map.of("name", "dev")).statusCode(201);
    given().get(l.base() + "/tables/orders/rows/1?ref=dev").then().statusCode(200);
    assertThat(refsOf(l, "dev")).isEqualTo(1);
  }

  /** How many refs of the lake's orders table Strata keeps for {@code branch}. */
  private long refsOf(Lake l, String branch) {
    return pool.preparedQuery("select count(*) from strata_meta.delta_refs where repository = $1 and table_name ="
            + " 'orders' and branch = $2").execute(io.vertx.mutiny.sqlclient.Tuple.of(l.repo(), branch))
        .await().indefinitely().iterator().next().getLong(0);
  }

  /** Values a column does not take are refused by column, nothing written: never turned into another value. */
  @Test
  void badValuesAreRefusedByColumnAndWriteNothing() throws Exception {
    Lake l = lake("lakevalues", 3);
    String repo = l.repo();
    String base = l.base();
    DeltaTable orders = l.orders();
    long version = orders.latest().getVersion();
    for (String body : new String[] {"{\"amount\": \"abc\"}", "{\"amount\": {\"x\": 1}}", "{\"amount\": 1e400}",
        "{\"customer\": [1, 2]}", "{\"amount\": true}"}) {
      Api.json().body(body).put(base + "/branches/main/tables/orders/rows/1").then().statusCode(422);
    }
    for (String key : new String[] {"abc", "1.5", "99999999999999999999"}) {
      Api.json().body("{\"amount\": 1}").put(base + "/branches/main/tables/orders/rows/" + key).then()
          .statusCode(org.hamcrest.Matchers.either(equalTo(422)).or(equalTo(400)));
    }
    Api.json().body("[{\"op\": \"upsert\", \"row\": {\"id\": 7, \"amount\": 1}},"
        + " {\"op\": \"upsert\", \"row\": {\"id\": \"x\", \"amount\": 1}}]")
        .post(base + "/branches/main/tables/orders/rows:batch").then().statusCode(422).body("details.column",
            equalTo("id"));
    assertThat(orders.latest().getVersion()).as("nothing written").isEqualTo(version);
    // SQL reaches PostgreSQL tables only: a query of a repository with a Delta table answers, or refuses, cleanly
    int status = Api.json().body(Map.of("sql", "select 1 as one")).post(base + "/query").then().extract().statusCode();
    assertThat(status).isIn(200, 422);
    Api.json().body(Map.of("sql", "select * from orders")).post(base + "/query").then().statusCode(422);
    assertThat(amounts(orders)).hasSize(3);
  }

  @Test
  void locationsOfTheOtherKindAreRefused() throws Exception {
    String repo = createRepository(uniqueName("lakebad"));
    Path lake = Files.createTempDirectory("lake");
    ordersTable(lake.resolve("orders"), 6);
    post("/api/v1/repositories/" + repo + "/storage", Map.of("name", "lake", "type", "delta", "url",
        lake.toUri().toString())).statusCode(201);
    String tables = "/api/v1/repositories/" + repo + "/tables";
    post(tables, Map.of("name", "orders", "location", "postgresql://lake/public.orders")).statusCode(422)
        .body("message", startsWith("location: storage 'lake' holds Delta Lake tables"));
    post(tables, Map.of("name", "orders", "location", "delta://local/orders", "primary_key", List.of("id")))
        .statusCode(422).body("details.field", equalTo("location"));
    post(tables, Map.of("name", "orders", "location", "delta://lake/orders")).statusCode(422)
        .body("details.field", equalTo("primary_key"));
    for (String path : new String[] {"../etc", "orders/../../x", "_strata/branches", "a//b", "or ders"}) {
      post(tables, Map.of("name", "orders", "location", "delta://lake/" + path, "primary_key", List.of("id")))
          .statusCode(422);
    }
    post(tables, Map.of("name", "orders", "location", "delta://lake/nothing-here", "primary_key", List.of("id")))
        .statusCode(404);
    post(tables, Map.of("name", "orders", "location", "delta://lake/orders", "primary_key", List.of("customer")))
        .statusCode(422);
  }

  /**
   * A tracked table removed and made anew at its path by another engine (its log starts again, shorter) no longer has
   * the versions Strata recorded: reads and commands that need them are refused with 422 saying so, not answered 500,
   * and change nothing. (Kernel says so in words only: this pins them.)
   */
  @Test
  void aTableMadeAnewAtItsPathIsRefusedByNameAndNothingChanges() throws Exception {
    madeAnew("lakeanew", 0);
  }

  /**
   * The same, made anew with more versions than Strata recorded: each version Strata recorded is there, of another
   * table (its metaData.id); read as the tracked one it would answer another table's rows as a commit's, so it is
   * refused as well, and a write to it too.
   */
  @Test
  void aTableMadeAnewWithMoreVersionsIsNotReadAsTheTrackedOne() throws Exception {
    Lake l = madeAnew("lakelonger", 4);
    Api.json().body(Map.of("customer", "z", "amount", 3.0)).put(l.base() + "/branches/main/tables/orders/rows/8")
        .then().statusCode(422).body("message", containsString("is not the table Strata tracked there"));
    // untracked and tracked again, it is versioned from there on
    given().delete(l.base() + "/tables/orders").then().statusCode(204);
    post(l.base() + "/tables", Map.of("name", "orders", "location", "delta://lake/orders", "primary_key",
        List.of("id"))).statusCode(201);
    given().get(l.base() + "/tables/orders/rows?ref=main").then().statusCode(200);
  }

  /**
   * A tracked table with three commits of Strata's, then removed and made anew at its path with rows 1..3 and {@code
   * more} versions after its first two; checks that its reads and a commit are refused by name and change nothing.
   */
  private Lake madeAnew(String prefix, int more) throws Exception {
    Lake l = lake(prefix, 5);
    for (int id = 6; id <= 7; id++) {
      Api.json().body(Map.of("customer", "x", "amount", 1.0)).put(l.base() + "/branches/main/tables/orders/rows/" + id)
          .then().statusCode(200);
      post(l.base() + "/branches/main/commits", Map.of("message", "row " + id, "all", true)).statusCode(201);
    }
    String head = head(l.repo(), "main");
    Path root = Path.of(l.orders().root());
    try (var paths = Files.walk(root)) {
      for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
    DeltaTable anew = ordersTable(root, 3);
    for (int v = 2; v < 2 + more; v++) {
      anew.log().create(v, DeltaCommit.of("engine-" + v, "WRITE", System.currentTimeMillis())
          .add(DataFiles.write(anew, anew.latest(), List.of(orderRow(100 + v, "c1", 1.0)))).bytes());
    }
    for (String read : List.of("/branches/main/status", "/tables/orders/rows?ref=main", "/tables/orders/rows/1")) {
      given().get(l.base() + read).then().statusCode(422).body("error", equalTo("ValidationError"))
          .body("message", containsString("made anew at its path outside Strata"));
    }
    post(l.base() + "/branches/main/commits", Map.of("message", "after", "all", true)).statusCode(422)
        .body("message", containsString("made anew at its path outside Strata"));
    assertThat(head(l.repo(), "main")).isEqualTo(head);
    return l;
  }

  /**
   * A table tracked before Strata recorded tables' identities gets its own from the periodic sweep, and is checked from
   * then on; one recorded already is never overwritten.
   */
  @Test
  void aTableTrackedBeforeIdentitiesGetsItsOwnFromTheSweep() throws Exception {
    Lake l = lake("lakeidentity", 3);
    String ofRef = "select coalesce(table_id, '') from strata_meta.delta_refs where repository = $1 and branch = ''";
    String id = l.orders().latest().getMetadata().getId();
    assertThat(one(ofRef, l.repo())).as("recorded when tracked").isEqualTo(id);
    pool.preparedQuery("update strata_meta.delta_refs set table_id = null where repository = $1")
        .execute(io.vertx.mutiny.sqlclient.Tuple.of(l.repo())).await().indefinitely();
    deltaRecovery.recoverAll().await().atMost(java.time.Duration.ofSeconds(60));
    assertThat(one(ofRef, l.repo())).as("recorded by the sweep").isEqualTo(id);
    pool.preparedQuery("update strata_meta.delta_refs set table_id = 'another' where repository = $1")
        .execute(io.vertx.mutiny.sqlclient.Tuple.of(l.repo())).await().indefinitely();
    deltaRecovery.recoverAll().await().atMost(java.time.Duration.ofSeconds(60));
    assertThat(one(ofRef, l.repo())).as("never overwritten").isEqualTo("another");
    given().get(l.base() + "/tables/orders/rows/1").then().statusCode(422)
        .body("message", containsString("is not the table Strata tracked there"));
  }

  private String one(String query, String repo) {
    return pool.preparedQuery(query).execute(io.vertx.mutiny.sqlclient.Tuple.of(repo)).await().indefinitely()
        .iterator().next().getString(0);
  }
}
