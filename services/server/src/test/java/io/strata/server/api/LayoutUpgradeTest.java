package io.strata.server.api;

import static io.restassured.RestAssured.given;
import static io.strata.server.api.Api.count;
import static io.strata.server.api.Api.json;
import static io.strata.server.api.Api.post;
import static io.strata.server.api.Api.rows;
import static io.strata.server.api.Api.sql;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.strata.projections.overlay.StrataLayout;
import io.strata.projections.testing.TestDatabase;
import io.strata.projections.testing.TestPostgres;
import io.strata.server.LayoutFixtureResource;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import java.io.InputStream;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * A database written by the build of 65f10d3 (layout 1: captures took an advisory lock, no commit
 * gates) is upgraded in place when this build starts on it: every read, diff and working change
 * answers as the old build answered, and commits, writes and new branches work afterwards, without
 * untracking anything.
 *
 * <p>The fixture was made by that build, against an empty database: tables {@code public.orders (id
 * int primary key, customer text not null, amount numeric(10,2))} with 200 rows and {@code
 * public.stock (sku, site, qty, primary key (sku, site))} with 50, tracked in repository {@code shop};
 * on main, amount = 0 for ids 1–5 and stock s1 deleted, committed and tagged {@code v1}; branch
 * {@code dev}: amounts doubled for 6–10 and 200 deleted through its view, row 201 put through REST,
 * committed; then, uncommitted on dev, customer 'dev-pending' for 11 and stock ('s-dev', 1, 7); on
 * main, customer 'main-2' for 20 committed, then amount 123 for 30 staged and 31 deleted unstaged.
 */
@QuarkusTest
@WithTestResource(value = LayoutFixtureResource.class, scope = TestResourceScope.RESTRICTED_TO_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LayoutUpgradeTest {
  private static final String ORDERS_TID = "t273b481b0b74";
  private static final String STOCK_TID = "t4d1eb836c640";

  @Inject Pool pool;

  @Test
  @Order(1)
  void theDatabaseIsRecordedAtThisBuildsLayoutWithAGateAndAGatedCapturePerTable() {
    assertThat(count(pool, "select max(version) from strata.layout")).isEqualTo(StrataLayout.CURRENT);
    for (String tid : List.of(ORDERS_TID, STOCK_TID)) {
      assertThat(count(pool, "select count(*) from pg_class where relname = '" + tid + "__gate'")).isEqualTo(1);
      String capture = rows(pool, "select prosrc from pg_proc where proname = '" + tid + "__capture_upd'").get(0);
      assertThat(capture).contains(tid + "__gate").doesNotContain("advisory");
    }
    // layout 5: dev's views (the client's and the query endpoint's) read the working state in four arms
    List<String> definitions = rows(pool, "select pg_get_viewdef(c.oid) from pg_class c join pg_namespace n"
        + " on n.oid = c.relnamespace where n.nspname = 'strata_dev' or c.relname like '%\\_\\_q\\_work\\_%'");
    assertThat(definitions).hasSizeGreaterThanOrEqualTo(2).allSatisfy(d -> assertThat(d.split("UNION ALL", -1)).as(d).hasSize(4));
    // layout 6: every pre-image log is indexed by epoch
    long logs = count(pool, "select count(*) from pg_class where relname like 't%\\_\\_p' and relnamespace = 'strata'::regnamespace");
    assertThat(logs).isPositive();
    assertThat(count(pool, "select count(*) from pg_class where relname like 't%\\_\\_p\\_epoch'"
        + " and relnamespace = 'strata'::regnamespace")).isEqualTo(logs);
    // layout 7: every branch view's write function plans no sequential scan
    List<String> settings = rows(pool, "select coalesce(array_to_string(proconfig, ','), '') from pg_proc"
        + " where proname like 't%\\_\\_view\\_%' and pronamespace = 'strata'::regnamespace");
    assertThat(settings).isNotEmpty().allSatisfy(c -> assertThat(c).isEqualTo("enable_seqscan=off"));
    // layout 9: every tracked table keeps its capture's template, T's columns left open in it
    assertThat(rows(pool, "select coalesce(capture_template, '') from strata.tracked_tables")).hasSize(2)
        .allSatisfy(t -> assertThat(t).contains("__capture_upd").contains("\"__strata_columns__\""));
    // layout 25: every branch view carries the promotion gate's statement trigger
    assertThat(count(pool, "select count(*) from strata.branch_overlays o where not exists (select 1 from pg_trigger t"
        + " join pg_class c on c.oid = t.tgrelid join pg_namespace n on n.oid = c.relnamespace"
        + " where t.tgname = 'strata_gate' and n.nspname = o.view_schema and c.relname = o.view_name)")).isZero();
    assertThat(count(pool, "select count(*) from strata.branch_overlays")).isPositive();
  }

  @Test
  @Order(2)
  void readsDiffsAndWorkingChangesAnswerAsTheOldBuildDid() throws Exception {
    assertThat(amount("1", "v1")).isEqualTo(0.0);
    assertThat(amount("6", "dev")).isEqualTo(18.0);
    assertThat(amount("6", "main")).isEqualTo(9.0);
    given().get("/api/v1/repositories/shop/tables/orders/rows/200?ref=dev").then().statusCode(404);
    given().get("/api/v1/repositories/shop/tables/orders/rows/201?ref=dev").then().statusCode(200)
        .body("customer", equalTo("c-new"));
    assertThat(rows(pool, "select customer from strata_dev.orders where id = 11")).containsExactly("dev-pending");

    ObjectMapper mapper = new ObjectMapper();
    JsonNode expected;
    try (InputStream in = getClass().getResourceAsStream("/fixtures/layout-65f10d3-diff-main-dev.json")) {
      expected = mapper.readTree(in);
    }
    JsonNode actual = mapper.readTree(given().get("/api/v1/repositories/shop/diff?from=main&to=dev&rows=true")
        .then().statusCode(200).extract().asString());
    assertThat(actual).isEqualTo(expected);

    JsonPath main = given().get("/api/v1/repositories/shop/branches/main/status").then().statusCode(200)
        .extract().jsonPath();
    assertThat(main.getMap("tables.find { it.table == 'orders' }.staged"))
        .isEqualTo(Map.of("inserted", 0, "updated", 1, "deleted", 0));
    assertThat(main.getMap("tables.find { it.table == 'orders' }.unstaged"))
        .isEqualTo(Map.of("inserted", 0, "updated", 0, "deleted", 1));
    JsonPath dev = given().get("/api/v1/repositories/shop/branches/dev/status").then().statusCode(200)
        .extract().jsonPath();
    assertThat(dev.getInt("tables.find { it.table == 'orders' }.unstaged.updated")).isEqualTo(1);
    assertThat(dev.getInt("tables.find { it.table == 'stock' }.unstaged.inserted")).isEqualTo(1);
    // every commit of the old build got the position its shapes are as of (V21): the shapes at dev's commits
    // are those the tables were tracked with (no DDL since), main is clean of schema changes
    given().get("/api/v1/repositories/shop/diff/schema?from=v1&to=dev").then().statusCode(200)
        .body("tables", org.hamcrest.Matchers.hasSize(0));
    given().get("/api/v1/repositories/shop/tables/orders/schema?ref=dev~1").then().statusCode(200)
        .body("recorded.columns.name", org.hamcrest.Matchers.hasItems("id", "customer", "amount"));
    assertThat(main.getBoolean("tables.find { it.table == 'orders' }.schema_changed")).isFalse();
    assertThat(rows(pool, "select count(*)::text from strata_meta.commits where shape_position is null"))
        .containsExactly("0");

    JsonPath answer = post("/api/v1/repositories/shop/query",
        Map.of("sql", "select count(*), sum(amount) from orders", "ref", "dev")).statusCode(200).extract().jsonPath();
    assertThat(answer.getLong("rows[0][0]")).isEqualTo(200);
    assertThat(answer.getDouble("rows[0][1]")).isEqualTo(29897.49);
  }

  @Test
  @Order(3)
  void writesCommitsAndNewBranchesWorkAfterTheUpgrade() {
    // a write after the upgrade goes through the regenerated capture, beside the old working changes
    sql(pool, "update public.orders set amount = 7 where id = 40");
    JsonPath main = post("/api/v1/repositories/shop/branches/main/commits",
        Map.of("message", "after the upgrade", "all", true)).statusCode(201).extract().jsonPath();
    assertThat(main.getMap("stats")).containsEntry("updated", 2).containsEntry("deleted", 1).containsEntry("inserted", 0);
    given().get("/api/v1/repositories/shop/tables/orders/rows/31?ref=main").then().statusCode(404);
    assertThat(amount("30", "main")).isEqualTo(123.0);
    assertThat(amount("40", "main~1")).isEqualTo(60.0);

    JsonPath dev = post("/api/v1/repositories/shop/branches/dev/commits",
        Map.of("message", "dev pending", "all", true)).statusCode(201).extract().jsonPath();
    assertThat(dev.getMap("stats")).containsEntry("updated", 1).containsEntry("inserted", 1);
    given().urlEncodingEnabled(false).get("/api/v1/repositories/shop/tables/stock/rows/s-dev,1?ref=dev").then().statusCode(200)
        .body("qty", equalTo(7));

    // main's new rows are seen by a branch made now; the old branch keeps its own
    post("/api/v1/repositories/shop/branches", Map.of("name", "after", "from", "main")).statusCode(201);
    sql(pool, "update strata_after.orders set customer = 'after' where id = 40");
    json().body(Map.of("message", "on after", "all", true))
        .post("/api/v1/repositories/shop/branches/after/commits").then().statusCode(201);
    given().get("/api/v1/repositories/shop/tables/orders/rows/40?ref=after").then().statusCode(200)
        .body("customer", equalTo("after"));
    assertThat(amount("40", "dev")).isEqualTo(60.0);
    given().get("/api/v1/repositories/shop/diff?from=v1&to=after").then().statusCode(200)
        .body("tables.find { it.table == 'orders' }.updated", equalTo(3)) // 20, 30 and 40
        .body("tables.find { it.table == 'orders' }.deleted", equalTo(1));
  }

  @Test
  @Order(4)
  void aStorageWrittenByANewerBuildIsRefusedNotGuessedAt() throws Exception {
    TestDatabase newer = TestPostgres.shared().newDatabaseWithoutMigrations();
    try (Connection c = DriverManager.getConnection(newer.jdbcUrl(), newer.user(), newer.password());
        Statement s = c.createStatement()) {
      s.execute("create schema strata; create table strata.layout (version int primary key,"
          + " upgraded_at timestamptz not null default now()); insert into strata.layout values (99);"
          + " create table public.items (id int primary key)");
    }
    Api.registerStorage("shop", "newer", newer);
    Map<String, String> before = Api.digest();
    post("/api/v1/repositories/shop/tables", Map.of("name", "items", "location", "postgresql://newer/public.items"))
        .statusCode(503).body("error", equalTo("StorageUnavailable"))
        .body("message", containsString("newer than this build's"));
    assertThat(Api.digest()).isEqualTo(before);
  }

  private static double amount(String key, String ref) {
    return given().get("/api/v1/repositories/shop/tables/orders/rows/{k}?ref={r}", key, ref).then().statusCode(200)
        .extract().jsonPath().getDouble("amount");
  }
}
