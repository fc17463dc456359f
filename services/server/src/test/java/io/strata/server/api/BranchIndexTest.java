package io.strata.server.api;

import static io.restassured.RestAssured.given;
import static io.strata.server.api.Api.createRepository;
import static io.strata.server.api.Api.json;
import static io.strata.server.api.Api.post;
import static io.strata.server.api.Api.rows;
import static io.strata.server.api.Api.sql;
import static io.strata.server.api.Api.trackNew;
import static io.strata.server.api.Api.uniqueName;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.strata.projections.rowdata.TrackedTable;
import io.strata.server.TestDatabaseResource;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Indexes a branch adds to a table ({@code add_index}): defined by the table's database (method and operator
 * classes judged, the definition as PostgreSQL prints it), built on the branch's overlay only — the table and every
 * other branch untouched — recorded in its shape and commits, carried by branches, hard resets and merges, and built
 * on the table CONCURRENTLY by a merge into the default branch, which the DDL guard follows.
 */
@QuarkusTest
@WithTestResource(value = TestDatabaseResource.class, scope = TestResourceScope.GLOBAL)
class BranchIndexTest {
  @Inject Pool pool;

  private static io.restassured.response.ValidatableResponse change(String repo, String branch, Object... operations) {
    return json().body(Map.of("operations", List.of(operations)))
        .post("/api/v1/repositories/{r}/branches/{b}/tables/orders/schema", repo, branch).then();
  }

  private static Map<String, Object> index(String name, Object columns, String method) {
    Map<String, Object> op = new HashMap<>(Map.of("op", "add_index", "name", name, "columns", columns));
    if (method != null) {
      op.put("method", method);
    }
    return op;
  }

  private static List<String> indexDefinitions(String repo, String ref) {
    return given().queryParam("ref", ref).get("/api/v1/repositories/{r}/tables/orders/schema", repo).then()
        .statusCode(200).extract().jsonPath().getList("recorded.indexes.collect { it.name + ': ' + it.definition }");
  }

  /** The definitions of the indexes Strata built on {@code branch}'s overlay of the table. */
  private List<String> overlayIndexes(String repo, String branch) {
    return rows(pool, "select substr(d, strpos(d, ' USING ') + 7) from pg_index i"
        + " cross join lateral pg_get_indexdef(i.indexrelid) d where i.indrelid = 'strata.\""
        + TrackedTable.idOf(repo, "orders") + "__v_" + TrackedTable.branchIdOf(repo, branch) + "\"'::regclass"
        + " and i.indexrelid::regclass::text like '%strata_index_%' order by 1");
  }

  private String commit(String repo, String branch, String message) {
    return json().body(Map.of("message", message, "all", true, "allow_empty", true))
        .post("/api/v1/repositories/{r}/branches/{b}/commits", repo, branch).then().statusCode(201).extract()
        .path("id");
  }

  @Test
  void anIndexAddedOnABranchIsBuiltOnItsOverlayRecordedAndCarried() {
    String repo = createRepository(uniqueName("branch-index"));
    String t = trackNew(pool, repo, "orders", "id int primary key, customer text, \"order\" int, doc jsonb",
        "select g, 'c' || (g % 7), g, '{}'::jsonb from generate_series(1, 50) g");
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "dev", "from", "main")).statusCode(201);
    String before = commit(repo, "dev", "before");

    // checked alone: defined, nothing built
    json().body(Map.of("operations", List.of(index("by_customer", List.of("customer", "order"), null)),
            "validate_only", true))
        .post("/api/v1/repositories/{r}/branches/dev/tables/orders/schema", repo).then().statusCode(200)
        .body("validate_only", equalTo(true)).body("indexes.size()", equalTo(0));
    assertThat(overlayIndexes(repo, "dev")).isEmpty();

    change(repo, "dev", index("by_customer", List.of("customer", "order"), null)).statusCode(200)
        .body("indexes[0].name", equalTo("by_customer"))
        .body("indexes[0].definition", equalTo("btree (customer, \"order\")")).body("indexes[0].unique", equalTo(false))
        .body("constraints.size()", equalTo(0));
    change(repo, "dev", index("by_order", List.of("order"), "brin")).statusCode(200)
        .body("indexes.size()", equalTo(2));
    assertThat(overlayIndexes(repo, "dev")).containsExactly("brin (\"order\")", "btree (customer, \"order\")");
    assertThat(indexDefinitions(repo, "dev")).contains("by_customer: btree (customer, \"order\")",
        "by_order: brin (\"order\")");
    // the table and the default branch are untouched
    assertThat(indexDefinitions(repo, "main")).noneMatch(d -> d.startsWith("by_"));
    assertThat(rows(pool, "select indexname from pg_indexes where tablename = '" + t + "' and indexname like 'by_%'"))
        .isEmpty();
    // the branch's view reads and writes as before
    sql(pool, "update " + Api.view(repo, "dev", "orders") + " set customer = 'x' where id <= 3");
    assertThat(Api.count(pool, "select count(*) from " + Api.view(repo, "dev", "orders") + " where customer = 'x'"))
        .isEqualTo(3);

    // the schema diff lists them, with the statements that build them on the table
    given().queryParam("from", "main").queryParam("to", "dev").get("/api/v1/repositories/{r}/diff/schema", repo).then()
        .statusCode(200).body("tables[0].changes.find { it.object == 'by_customer' }.object_type", equalTo("index"))
        .body("tables[0].up.toString()", containsString("by_customer"));

    // commits record them; a branch of the branch and a branch at the commit have them
    String indexed = commit(repo, "dev", "indexed");
    assertThat(indexDefinitions(repo, indexed)).contains("by_customer: btree (customer, \"order\")");
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "dev2", "from", "dev")).statusCode(201);
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "at-commit", "from", indexed)).statusCode(201);
    for (String b : List.of("dev2", "at-commit")) {
      assertThat(overlayIndexes(repo, b)).containsExactly("brin (\"order\")", "btree (customer, \"order\")");
    }

    // a column an index names is neither dropped nor retyped before the index
    change(repo, "dev", Map.of("op", "drop_column", "name", "order")).statusCode(422)
        .body("message", containsString("by_"));
    // drop_index drops only indexes; drop_constraint only checks
    change(repo, "dev", Map.of("op", "drop_constraint", "name", "by_order")).statusCode(422);
    change(repo, "dev", Map.of("op", "drop_index", "name", "by_order")).statusCode(200)
        .body("indexes.name", equalTo(List.of("by_customer")));
    assertThat(overlayIndexes(repo, "dev")).containsExactly("btree (customer, \"order\")");
    change(repo, "dev", Map.of("op", "drop_index", "name", "by_order")).statusCode(422);

    // a hard reset gives the branch the indexes of the commit it is reset to
    json().body(Map.of("to", before, "mode", "hard")).post("/api/v1/repositories/{r}/branches/dev/reset", repo).then()
        .statusCode(200);
    assertThat(overlayIndexes(repo, "dev")).isEmpty();
    json().body(Map.of("to", indexed, "mode", "hard")).post("/api/v1/repositories/{r}/branches/dev/reset", repo).then()
        .statusCode(200);
    assertThat(overlayIndexes(repo, "dev")).containsExactly("brin (\"order\")", "btree (customer, \"order\")");

    // the events say what was done
    List<Map<String, Object>> events = given().queryParam("types", "io.strata.table.branch_schema_changed.v6")
        .queryParam("limit", 100).get("/api/v1/repositories/{r}/events", repo).then().statusCode(200).extract()
        .jsonPath().getList("items.data");
    assertThat(events).anySatisfy(e -> assertThat(e.toString()).contains("op=add_index", "by_customer"));
    assertThat(events).anySatisfy(e -> assertThat(e.toString()).contains("op=drop_index", "by_order"));
  }

  @Test
  void aMergeCarriesIndexesToBranchesAndBuildsThemOnTheTableConcurrently() {
    String repo = createRepository(uniqueName("branch-index-merge"));
    String t = trackNew(pool, repo, "orders", "id int primary key, customer text, qty int, hash int",
        "select g, 'c' || (g % 7), g, g from generate_series(1, 200) g");
    for (String b : List.of("dev", "other", "rival")) {
      post("/api/v1/repositories/" + repo + "/branches", Map.of("name", b, "from", "main")).statusCode(201);
    }
    change(repo, "dev", index("orders_by_customer", List.of("customer"), null)).statusCode(200);
    // an index of a column the branch added, whose method's name the table has as a column too
    change(repo, "dev", Map.of("op", "add_column", "name", "region", "type", "text")).statusCode(200);
    change(repo, "dev", index("orders_by_region", List.of("region"), "hash")).statusCode(200);
    sql(pool, "insert into " + Api.view(repo, "dev", "orders") + " (id, customer, qty) values (500, 'new', 1)");
    commit(repo, "dev", "index customers");

    // into another branch: its overlay gains it
    json().body(Map.of("source", "dev")).post("/api/v1/repositories/{r}/branches/other/merge", repo).then()
        .statusCode(200);
    assertThat(overlayIndexes(repo, "other")).containsExactlyInAnyOrder("btree (customer)", "hash (region)");
    // the same name defined otherwise on both: schema_schema, settled by theirs
    change(repo, "rival", index("orders_by_customer", List.of("qty"), null)).statusCode(200);
    json().body(Map.of("source", "dev")).post("/api/v1/repositories/{r}/branches/rival/merge", repo).then()
        .statusCode(409).body("details.schema_conflicts[0].type", equalTo("schema_schema"))
        .body("details.schema_conflicts[0].theirs", equalTo("btree (customer)"))
        .body("details.schema_conflicts[0].ours", equalTo("btree (qty)"));
    json().body(Map.of("source", "dev", "schema_strategy", "theirs"))
        .post("/api/v1/repositories/{r}/branches/rival/merge", repo).then().statusCode(200);
    assertThat(overlayIndexes(repo, "rival")).containsExactlyInAnyOrder("btree (customer)", "hash (region)");

    // into the default branch, while a transaction older than the build holds its snapshot: the build waits for it
    // no longer than the migration lock timeout, then the merge is refused and the table keeps no valid index of
    // the name (PostgreSQL keeps the build's invalid leftover, which the retry drops)
    String mainHead = Api.head(repo, "main");
    io.vertx.mutiny.sqlclient.SqlConnection holder = pool.getConnection().await().atMost(Duration.ofSeconds(5));
    try {
      // (a snapshot of the database's, taken reading another table: the columns the merge adds take the table's lock)
      holder.query("begin isolation level repeatable read; select count(*) from pg_class").execute().await()
          .atMost(Duration.ofSeconds(5));
      json().body(Map.of("source", "dev")).post("/api/v1/repositories/{r}/branches/main/merge", repo).then()
          .statusCode(409).body("error", equalTo("ConcurrentWrite"))
          .body("message", containsString("orders_by_customer"));
    } finally {
      holder.query("rollback").execute().await().atMost(Duration.ofSeconds(5));
      holder.close().await().atMost(Duration.ofSeconds(5));
    }
    assertThat(Api.head(repo, "main")).isEqualTo(mainHead);
    assertThat(rows(pool, "select count(*)::text from pg_index where indisvalid and indexrelid = to_regclass("
        + "'public.orders_by_customer')")).containsExactly("0");
    // an interrupted build's invalid leftover of the name (here a unique build that failed) is dropped and built again
    assertThat(rows(pool, "select indisvalid::text from pg_index where indexrelid = 'public.orders_by_customer'"
        + "::regclass")).containsExactly("false");
    sql(pool, "drop index concurrently if exists public.orders_by_customer");
    assertThatThrownBy(() -> sql(pool, "create unique index concurrently orders_by_customer on public." + t
        + " (customer)")).hasMessageContaining("could not create unique index");
    assertThat(rows(pool, "select indisvalid::text from pg_index where indexrelid = 'public.orders_by_customer'"
        + "::regclass")).containsExactly("false");

    // built on the table CONCURRENTLY (valid), followed by the guard, in main's shape; the merge's rows arrive as well
    json().body(Map.of("source", "dev")).post("/api/v1/repositories/{r}/branches/main/merge", repo).then()
        .statusCode(200);
    assertThat(rows(pool, "select substr(d, strpos(d, ' USING ') + 7) || ' ' || i.indisvalid from pg_index i"
        + " cross join lateral pg_get_indexdef(i.indexrelid) d where i.indrelid = 'public." + t + "'::regclass"
        + " and i.indexrelid::regclass::text = 'orders_by_customer'")).containsExactly("btree (customer) true");
    assertThat(indexDefinitions(repo, "main")).contains("orders_by_customer: btree (customer)",
        "orders_by_region: hash (region)");
    assertThat(Api.count(pool, "select count(*) from public." + t + " where id = 500")).isEqualTo(1);
    // the column named like a method is no column of the hash index: the branch drops it
    change(repo, "dev", Map.of("op", "drop_column", "name", "hash")).statusCode(200);
    // merged again (nothing new) and back into the branch: nothing more to build, no conflict
    json().body(Map.of("source", "main")).post("/api/v1/repositories/{r}/branches/dev/merge", repo).then()
        .statusCode(200);
    assertThat(indexDefinitions(repo, "dev")).containsOnlyOnce("orders_by_customer: btree (customer)");
    // a branch's index whose name another object of the table's schema has: refused, nothing built
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "clash", "from", "main")).statusCode(201);
    change(repo, "clash", index("clash_" + t, List.of("qty"), null)).statusCode(200);
    commit(repo, "clash", "clash");
    sql(pool, "create table public.clash_" + t + " (x int)");
    json().body(Map.of("source", "clash")).post("/api/v1/repositories/{r}/branches/main/merge", repo).then()
        .statusCode(422).body("message", containsString("has an object named"));
    sql(pool, "drop table public.clash_" + t);
    // a row of the table the index cannot hold (an entry larger than a btree page takes): 422 with the database's
    // word, no invalid index left behind
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "huge", "from", "main")).statusCode(201);
    change(repo, "huge", index("orders_by_region_b", List.of("region"), null)).statusCode(200);
    commit(repo, "huge", "index regions");
    sql(pool, "update public." + t + " set region = (select string_agg(md5(g::text), '') from generate_series(1, 400) g)"
        + " where id = 1");
    json().body(Map.of("source", "huge")).post("/api/v1/repositories/{r}/branches/main/merge", repo).then()
        .statusCode(422).body("message", containsString("refused it"));
    assertThat(rows(pool, "select coalesce(to_regclass('public.orders_by_region_b')::text, 'none')"))
        .containsExactly("none");
  }

  @Test
  void aHostileOrUnfitIndexIsRefusedAndNothingChanges() {
    String repo = createRepository(uniqueName("branch-index-hostile"));
    String t = trackNew(pool, repo, "orders", "id int primary key, customer text, doc json", "values (1, 'a', '{}')");
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "dev", "from", "main")).statusCode(201);
    // not on the default branch (DDL on the table does that)
    change(repo, "main", index("i1", List.of("customer"), null)).statusCode(422);
    // names, columns and methods that are not ones
    change(repo, "dev", index("Bad-Name", List.of("customer"), null)).statusCode(422);
    change(repo, "dev", index("strata_mine", List.of("customer"), null)).statusCode(422);
    change(repo, "dev", index("i1", List.of("nope"), null)).statusCode(422).body("message", containsString("nope"));
    change(repo, "dev", index("i1", List.of(), null)).statusCode(422);
    change(repo, "dev", index("i1", List.of("customer", "customer"), null)).statusCode(422);
    change(repo, "dev", index("i1", List.of("customer); drop table x; --"), null)).statusCode(422);
    change(repo, "dev", index("i1", List.of("customer"), "gin; drop table x")).statusCode(422);
    change(repo, "dev", index("i1", List.of("customer", "id"), "hash")).statusCode(422);
    change(repo, "dev", index("i1", "customer", null)).statusCode(400);
    // a type without an operator class for the method: the database's word, 422
    change(repo, "dev", index("i1", List.of("doc"), null)).statusCode(422).body("message", containsString("i1"));
    // no expression nor predicate (not built: the client's text would reach the table's database)
    change(repo, "dev", Map.of("op", "add_index", "name", "i2", "expression", "lower(customer)")).statusCode(400);
    change(repo, "dev", Map.of("op", "add_index", "name", "i2", "columns", List.of("customer"), "where", "id > 0"))
        .statusCode(400);
    // unique is not built on a branch; fields of other operations are refused
    change(repo, "dev", Map.of("op", "add_index", "name", "i1", "columns", List.of("customer"), "unique", true))
        .statusCode(422).body("message", containsString("unique"));
    change(repo, "dev", Map.of("op", "add_index", "name", "i1", "columns", List.of("customer"), "check", "true"))
        .statusCode(422);
    change(repo, "dev", Map.of("op", "add_column", "name", "c2", "type", "text", "method", "btree")).statusCode(422);
    // a name the table's own constraints or indexes have, or twice
    change(repo, "dev", index("i1", List.of("customer"), null), index("i1", List.of("id"), null)).statusCode(422);
    change(repo, "dev", index(t + "_pkey", List.of("customer"), null)).statusCode(422).body("message", containsString("already"));
    assertThat(overlayIndexes(repo, "dev")).allMatch(d -> !d.contains("customer, id"));
  }
}
