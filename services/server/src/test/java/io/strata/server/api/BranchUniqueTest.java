package io.strata.server.api;

import static io.restassured.RestAssured.given;
import static io.strata.server.api.Api.createRepository;
import static io.strata.server.api.Api.json;
import static io.strata.server.api.Api.post;
import static io.strata.server.api.Api.rows;
import static io.strata.server.api.Api.sql;
import static io.strata.server.api.Api.uniqueName;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.ValidatableResponse;
import io.strata.server.TestDatabaseResource;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Unique constraints a branch adds to a table ({@code add_constraint} with {@code unique: true}): defined by the
 * table's database, refused where the branch's rows already share values or the table cannot look a written row up,
 * then held over every row the branch reads — the rows it writes against each other and against the table's — and
 * carried by commits, branches and resets; dropped again with {@code drop_constraint}. The table is not touched.
 */
@QuarkusTest
@WithTestResource(value = TestDatabaseResource.class, scope = TestResourceScope.GLOBAL)
class BranchUniqueTest {
  @Inject Pool pool;

  private static ValidatableResponse change(String repo, String branch, Map<String, Object> operation) {
    return json().body(Map.of("operations", List.of(operation)))
        .post("/api/v1/repositories/{r}/branches/{b}/tables/customers/schema", repo, branch).then();
  }

  private static Map<String, Object> unique(String name, List<String> columns) {
    Map<String, Object> op = new HashMap<>();
    op.put("op", "add_constraint");
    op.put("name", name);
    op.put("unique", true);
    op.put("columns", columns);
    return op;
  }

  private static ValidatableResponse put(String repo, String branch, int id, String email) {
    Map<String, Object> row = new HashMap<>();
    row.put("email", email);
    row.put("name", "c" + id);
    return json().body(row).put("/api/v1/repositories/{r}/branches/{b}/tables/customers/rows/" + id, repo, branch)
        .then();
  }

  private static String commitAll(String repo, String branch, String message) {
    return json().body(Map.of("message", message, "all", true))
        .post("/api/v1/repositories/{r}/branches/{b}/commits", repo, branch).then().statusCode(201).extract().path("id");
  }

  /**
   * A repository tracking members, a table of {@code columns} ({@code %s} its name) holding two rows (1, a@x, ann) and
   * (2, b@x, bob), with a branch dev: the repository's name and the table's.
   */
  private String[] members(String name, String columns) {
    String repo = createRepository(uniqueName(name));
    String table = uniqueName("members").replace('-', '_');
    sql(pool, "create table public." + table + " (" + columns.replace("%s", table) + ")");
    sql(pool, "insert into public." + table + " values (1, 'a@x', 'ann'), (2, 'b@x', 'bob')");
    post("/api/v1/repositories/" + repo + "/tables", Map.of("name", "members", "location",
        "postgresql://local/public." + table)).statusCode(201);
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "dev", "from", "main")).statusCode(201);
    return new String[] {repo, table};
  }

  /** Waits until table members' schema answer has {@code path} as {@code recorded} wants (DDL followed, recorded). */
  private static void awaitRecorded(String repo, String path, java.util.function.Predicate<Object> recorded) {
    org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30))
        .pollInterval(java.time.Duration.ofMillis(250))
        .until(() -> recorded.test(given().get("/api/v1/repositories/{r}/tables/members/schema", repo).then()
            .extract().jsonPath().get(path)));
  }

  /** Waits until {@code query} answers {@code expected} (the server's rounds hold what is owed). */
  private void awaitRows(String query, String... expected) {
    org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30))
        .pollInterval(java.time.Duration.ofMillis(250))
        .until(() -> rows(pool, query).equals(List.of(expected)));
  }

  /** A repository tracking customers (emails indexed, names not) with a branch dev. */
  private String repository(String name) {
    String repo = createRepository(uniqueName(name));
    String table = uniqueName("customers").replace('-', '_');
    sql(pool, "create table public." + table + " (id int primary key, email text, name text)");
    sql(pool, "create index on public." + table + " (email)");
    sql(pool, "insert into public." + table + " values (1, 'a@x', 'ann'), (2, 'b@x', 'bob')");
    post("/api/v1/repositories/" + repo + "/tables", Map.of("name", "customers", "location",
        "postgresql://local/public." + table)).statusCode(201);
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "dev", "from", "main")).statusCode(201);
    return repo;
  }

  @Test
  void aBranchsUniqueConstraintHoldsTheRowsItWritesAgainstItsOwnAndTheTables() {
    String repo = repository("branch-unique");
    // refused before anything changes: a column the branch lacks, one the table cannot look up, a bad name
    change(repo, "dev", unique("by_email", List.of("mail"))).statusCode(422)
        .body("details.field", equalTo("operations[0].columns[0]"));
    change(repo, "dev", unique("by_name", List.of("name"))).statusCode(422)
        .body("message", containsString("has no btree index on [name]"));
    change(repo, "dev", unique("strata_x", List.of("email"))).statusCode(422)
        .body("details.field", equalTo("operations[0].name"));
    Map<String, Object> both = unique("by_email", List.of("email"));
    both.put("check", "email <> ''");
    change(repo, "dev", both).statusCode(422).body("details.field", equalTo("operations[0]"));

    // rows the branch reads that share a value refuse it, naming both (working changes among them)
    put(repo, "dev", 2, "a@x").statusCode(200);
    change(repo, "dev", unique("by_email", List.of("email"))).statusCode(422)
        .body("message", containsString("the rows of keys 1 and 2 share the values"));
    commitAll(repo, "dev", "a shared email");
    change(repo, "dev", unique("by_email", List.of("email"))).statusCode(422)
        .body("message", containsString("the rows of keys 1 and 2 share the values"));

    // added over working changes; a discard that would bring a shared value back is refused, nothing changed
    put(repo, "dev", 2, "b@x").statusCode(200);
    change(repo, "dev", unique("by_email", List.of("email"))).statusCode(200);
    given().delete("/api/v1/repositories/{r}/branches/dev/working", repo).then().statusCode(422)
        .body("message", containsString("by_email"));
    assertThat(rows(pool, "select email from " + Api.view(repo, "dev", "customers") + " where id = 2"))
        .containsExactly("b@x");
    change(repo, "dev", Map.of("op", "drop_constraint", "name", "by_email")).statusCode(200);
    commitAll(repo, "dev", "emails apart");
    Map<String, Object> checkOnly = new HashMap<>(Map.of("operations", List.of(unique("by_email", List.of("email")))));
    checkOnly.put("validate_only", true);
    json().body(checkOnly).post("/api/v1/repositories/{r}/branches/dev/tables/customers/schema", repo).then()
        .statusCode(200);
    change(repo, "dev", unique("by_email", List.of("email"))).statusCode(200);
    assertThat(given().queryParam("ref", "dev").get("/api/v1/repositories/{r}/tables/customers/schema", repo).then()
        .statusCode(200).extract().jsonPath().getList("recorded.constraints.kind")).contains("unique");

    // a written row may not share a value with a row of the table, nor with one the branch wrote
    put(repo, "dev", 3, "a@x").statusCode(422).body("message", containsString("by_email"));
    put(repo, "dev", 3, "c@x").statusCode(200);
    put(repo, "dev", 4, "c@x").statusCode(422);
    put(repo, "dev", 2, "a@x").statusCode(422);
    String view = Api.view(repo, "dev", "customers");
    assertThatThrownBy(() -> sql(pool, "insert into " + view + " values (5, 'b@x', 'eve')"))
        .hasMessageContaining("by_email");
    // held at the end of the transaction, not of each statement: two rows trade their values
    sql(pool, "begin; update " + view + " set email = 'b@x' where id = 1; update " + view
        + " set email = 'a@x' where id = 2; commit");
    assertThat(rows(pool, "select email from " + view + " order by id")).containsExactly("b@x", "a@x", "c@x");
    sql(pool, "update " + view + " set email = case id when 1 then 'a@x' else 'b@x' end where id in (1, 2)");
    // nulls share nothing; a value a row gave up is free again
    put(repo, "dev", 5, null).statusCode(200);
    put(repo, "dev", 6, null).statusCode(200);
    put(repo, "dev", 1, "z@x").statusCode(200);
    put(repo, "dev", 7, "a@x").statusCode(200);
    String held = commitAll(repo, "dev", "customers");
    assertThat(rows(pool, "select count(*)::text from " + view + " where email = 'a@x'")).containsExactly("1");
    // the default branch's table is not touched
    given().queryParam("ref", "main").get("/api/v1/repositories/{r}/tables/customers/rows", repo).then()
        .statusCode(200).body("items.email", equalTo(List.of("a@x", "b@x")));

    // a row a merge brings that shares a value with the branch's: both rows are constraint_violation conflicts (a dry
    // run lists them, changing nothing); a resolution keeping the value is refused; aborted, nothing changed
    String devHead = Api.head(repo, "dev");
    sql(pool, "update " + Api.view(repo, "main", "customers") + " set email = 'c@x' where id = 2");
    commitAll(repo, "main", "bob moves to c");
    json().body(Map.of("source", "main", "dry_run", true)).post("/api/v1/repositories/{r}/branches/dev/merge", repo)
        .then().statusCode(200).body("conflicts", equalTo(2))
        .body("conflict_details.key", equalTo(List.of(List.of(2), List.of(3))))
        .body("conflict_details.type", equalTo(List.of("constraint_violation", "constraint_violation")));
    assertThat(rows(pool, "select email from " + view + " where id = 2")).containsExactly("b@x");
    json().body(Map.of("source", "main")).post("/api/v1/repositories/{r}/branches/dev/merge", repo).then()
        .statusCode(409).body("error", equalTo("MergeConflict")).body("details.conflicts", equalTo(2))
        .body("details.first_conflicts.key", equalTo(List.of(List.of(2), List.of(3))))
        .body("details.first_conflicts[0].type", equalTo("constraint_violation"))
        .body("details.first_conflicts[0].constraint", equalTo("by_email"))
        .body("details.first_conflicts[0].fields[0].name", equalTo("email"));
    assertThat(rows(pool, "select email from " + view + " where id in (2, 3) order by id"))
        .containsExactly("c@x", "c@x");
    json().body(Map.of("table", "customers", "key", List.of(3), "take", "value", "value", Map.of("name", "carl")))
        .post("/api/v1/repositories/{r}/branches/dev/merge/resolutions", repo).then().statusCode(422)
        .body("message", containsString("by_email"));
    put(repo, "dev", 10, "c@x").statusCode(422).body("message", containsString("by_email"));
    json().body(Map.of()).post("/api/v1/repositories/{r}/branches/dev/merge/continue", repo).then()
        .statusCode(409).body("details.first_conflicts.key", equalTo(List.of(List.of(2), List.of(3))));
    json().body(Map.of()).post("/api/v1/repositories/{r}/branches/dev/merge/abort", repo).then().statusCode(204);
    assertThat(Api.head(repo, "dev")).isEqualTo(devHead);
    // the branch still reads bob's email as it was at its fork (from the pre-image log), and holds it
    put(repo, "dev", 9, "b@x").statusCode(422).body("message", containsString("by_email"));
    assertThat(rows(pool, "select email from " + view + " where id = 2")).containsExactly("b@x");

    // a branch created from it holds it too
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "child", "from", "dev")).statusCode(201);
    put(repo, "child", 8, "c@x").statusCode(422);

    // two transactions writing one value: the one that commits second is refused at its commit, whichever wrote
    // first; a REPEATABLE READ one whose snapshot is older than the other's commit fails to serialize
    String childView = Api.view(repo, "child", "customers");
    io.vertx.mutiny.sqlclient.SqlConnection first = pool.getConnection().await().atMost(java.time.Duration.ofSeconds(10));
    try {
      first.query("begin").execute().await().atMost(java.time.Duration.ofSeconds(10));
      first.query("insert into " + childView + " values (20, 'q@x', 'first')").execute().await()
          .atMost(java.time.Duration.ofSeconds(10));
      sql(pool, "insert into " + childView + " values (21, 'q@x', 'second')");
      assertThatThrownBy(() -> first.query("commit").execute().await().atMost(java.time.Duration.ofSeconds(10)))
          .hasMessageContaining("by_email");
      first.query("begin isolation level repeatable read").execute().await().atMost(java.time.Duration.ofSeconds(10));
      first.query("select count(*) from " + childView).execute().await().atMost(java.time.Duration.ofSeconds(10));
      sql(pool, "insert into " + childView + " values (22, 'r@x', 'second')");
      first.query("insert into " + childView + " values (23, 'r@x', 'first')").execute().await()
          .atMost(java.time.Duration.ofSeconds(10));
      assertThatThrownBy(() -> first.query("commit").execute().await().atMost(java.time.Duration.ofSeconds(10)))
          .hasMessageContaining("could not serialize");
    } finally {
      first.close().await().atMost(java.time.Duration.ofSeconds(10));
    }
    assertThat(rows(pool, "select id::text from " + childView + " where email in ('q@x', 'r@x') order by id"))
        .containsExactly("21", "22");

    // dropped, the values may be shared; a hard reset to the commit that held it holds them again
    change(repo, "dev", Map.of("op", "drop_constraint", "name", "by_email")).statusCode(200);
    put(repo, "dev", 8, "c@x").statusCode(200);
    json().body(Map.of("to", held, "mode", "hard")).post("/api/v1/repositories/{r}/branches/dev/reset", repo).then()
        .statusCode(200);
    put(repo, "dev", 8, "c@x").statusCode(422);

    // a branch deleted takes the objects that held it with it
    given().queryParam("force", true).delete("/api/v1/repositories/{r}/branches/child", repo).then().statusCode(204);
    given().queryParam("force", true).delete("/api/v1/repositories/{r}/branches/dev", repo).then().statusCode(204);
    String tid = "(select t.tid from strata.tracked_tables t where t.repository = '" + repo + "')";
    assertThat(rows(pool, "select count(*)::text from pg_proc where pronamespace = 'strata'::regnamespace"
        + " and starts_with(proname, " + tid + " || '__u_')")).containsExactly("0");
    assertThat(rows(pool, "select count(*)::text from strata.unique_rules where starts_with(overlay, 'strata.\"' || "
        + tid + ")")).containsExactly("0");
    assertThat(rows(pool, "select count(*)::text from strata.unique_guards where starts_with(overlay, 'strata.\"' || "
        + tid + ")")).containsExactly("0");
  }

  @Test
  void oddNamesAreQuotedTypesOfForeignEqualityAreRefusedAndAnOlderRepeatableReadSnapshotFailsToSerialize() {
    String repo = createRepository(uniqueName("branch-unique-odd"));
    String table = uniqueName("odd").replace('-', '_');
    String pair = table + "_pair";
    sql(pool, "create type public." + pair + " as (a int, b int)");
    sql(pool, "create table public." + table + " (\"strata_k1\" int primary key, \"e$strata_x$mail\" text, p public."
        + pair + ")");
    sql(pool, "create index on public." + table + " (\"e$strata_x$mail\")");
    sql(pool, "create index on public." + table + " (p)");
    sql(pool, "insert into public." + table + " values (1, 'a', row(1, 1)), (2, 'b', row(2, 2))");
    post("/api/v1/repositories/" + repo + "/tables", Map.of("name", "odd", "location",
        "postgresql://local/public." + table)).statusCode(201);
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "dev", "from", "main")).statusCode(201);
    ValidatableResponse refused = json().body(Map.of("operations", List.of(unique("by_p", List.of("p")))))
        .post("/api/v1/repositories/{r}/branches/dev/tables/odd/schema", repo).then();
    refused.statusCode(422).body("message", containsString("whose equality is not PostgreSQL's own"));

    // a REPEATABLE READ writer whose snapshot is older than the rule fails to serialize rather than go unchecked
    String view = Api.view(repo, "dev", "odd");
    io.vertx.mutiny.sqlclient.SqlConnection old = pool.getConnection().await().atMost(java.time.Duration.ofSeconds(10));
    try {
      old.query("begin isolation level repeatable read").execute().await().atMost(java.time.Duration.ofSeconds(10));
      old.query("select count(*) from " + view).execute().await().atMost(java.time.Duration.ofSeconds(10));
      json().body(Map.of("operations", List.of(unique("by_mail", List.of("e$strata_x$mail")))))
          .post("/api/v1/repositories/{r}/branches/dev/tables/odd/schema", repo).then().statusCode(200);
      old.query("insert into " + view + " values (3, 'a', null)").execute().await()
          .atMost(java.time.Duration.ofSeconds(10));
      assertThatThrownBy(() -> old.query("commit").execute().await().atMost(java.time.Duration.ofSeconds(10)))
          .hasMessageContaining("could not serialize");
    } finally {
      old.close().await().atMost(java.time.Duration.ofSeconds(10));
    }
    // the odd names are quoted everywhere: the rule holds
    assertThatThrownBy(() -> sql(pool, "insert into " + view + " values (3, 'b', null)")).hasMessageContaining("by_mail");
    sql(pool, "insert into " + view + " values (3, 'c', null)");
    assertThat(rows(pool, "select \"strata_k1\"::text from " + view + " order by 1")).containsExactly("1", "2", "3");
  }

  @Test
  void aSchemaChangeHeldUpByAnOpenTransactionThatWroteTheBranchGivesUpAndChangesNothing() {
    String repo = repository("branch-schema-held");
    String view = Api.view(repo, "dev", "customers");
    io.vertx.mutiny.sqlclient.SqlConnection open = pool.getConnection().await().atMost(java.time.Duration.ofSeconds(10));
    try {
      open.query("begin").execute().await().atMost(java.time.Duration.ofSeconds(10));
      open.query("insert into " + view + " values (3, 'c@x', 'cid')").execute().await()
          .atMost(java.time.Duration.ofSeconds(10));
      // the rule's index on the overlay waits for the open writer: at most the migration lock timeout, then 409
      long started = System.nanoTime();
      change(repo, "dev", unique("by_email", List.of("email"))).statusCode(409)
          .body("error", equalTo("ConcurrentWrite")).body("message", containsString("in use by a transaction"));
      assertThat(java.time.Duration.ofNanos(System.nanoTime() - started)).isLessThan(java.time.Duration.ofSeconds(30));
      assertThat(given().queryParam("ref", "dev").get("/api/v1/repositories/{r}/tables/customers/schema", repo).then()
          .statusCode(200).extract().jsonPath().getList("recorded.constraints.name")).doesNotContain("by_email");
      open.query("commit").execute().await().atMost(java.time.Duration.ofSeconds(10));
    } finally {
      open.close().await().atMost(java.time.Duration.ofSeconds(10));
    }
    change(repo, "dev", unique("by_email", List.of("email"))).statusCode(200);
    put(repo, "dev", 4, "c@x").statusCode(422);
  }

  @Test
  void aMergeIntoAnotherBranchCarriesAUniqueConstraintLookingAtTheTargetsRowsFirstAndTheMergedOnesAtItsEnd() {
    String repo = repository("branch-unique-carried");
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "side", "from", "main")).statusCode(201);
    change(repo, "dev", unique("by_email", List.of("email"))).statusCode(200);
    put(repo, "dev", 5, "z@x").statusCode(200);
    commitAll(repo, "dev", "emails unique, and z");
    put(repo, "side", 3, "a@x").statusCode(200);
    String sideHead = commitAll(repo, "side", "a second a");

    // the target's rows share a value: both are constraint_violation conflicts (a dry run lists them too), the
    // constraint held meanwhile; aborted, the constraint it carried goes with it
    json().body(Map.of("source", "dev", "dry_run", true)).post("/api/v1/repositories/{r}/branches/side/merge", repo)
        .then().statusCode(200).body("conflicts", equalTo(2))
        .body("conflict_details.key", equalTo(List.of(List.of(1), List.of(3))))
        .body("conflict_details.constraint", equalTo(List.of("by_email", "by_email")));
    json().body(Map.of("source", "dev")).post("/api/v1/repositories/{r}/branches/side/merge", repo).then()
        .statusCode(409).body("details.first_conflicts.key", equalTo(List.of(List.of(1), List.of(3))))
        .body("details.first_conflicts.type", equalTo(List.of("constraint_violation", "constraint_violation")));
    put(repo, "side", 7, "a@x").statusCode(422).body("message", containsString("by_email"));
    json().body(Map.of()).post("/api/v1/repositories/{r}/branches/side/merge/abort", repo).then().statusCode(204);
    assertThat(Api.head(repo, "side")).isEqualTo(sideHead);
    assertThat(given().queryParam("ref", "side").get("/api/v1/repositories/{r}/tables/customers/schema", repo).then()
        .statusCode(200).extract().jsonPath().getList("recorded.constraints.name")).doesNotContain("by_email");
    put(repo, "side", 7, "a@x").statusCode(200);
    given().delete("/api/v1/repositories/{r}/branches/side/tables/customers/rows/7", repo).then().statusCode(204);
    put(repo, "side", 3, "c@x").statusCode(200);
    put(repo, "side", 6, "z@x").statusCode(200);
    commitAll(repo, "side", "c, and z");
    // the merged row shares one with the target's: both are constraint_violation conflicts of the merge in progress,
    // the rule held meanwhile; a resolution giving one of them a new value settles the pair
    json().body(Map.of("source", "dev")).post("/api/v1/repositories/{r}/branches/side/merge", repo).then()
        .statusCode(409).body("details.first_conflicts.key", equalTo(List.of(List.of(5), List.of(6))))
        .body("details.first_conflicts.constraint", equalTo(List.of("by_email", "by_email")));
    put(repo, "side", 7, "z@x").statusCode(422).body("message", containsString("by_email"));
    given().get("/api/v1/repositories/{r}/branches/side/merge", repo).then().statusCode(200)
        .body("items.key", equalTo(List.of(List.of(5), List.of(6))));
    json().body(Map.of("table", "customers", "key", List.of(6), "take", "value", "value", Map.of("email", "y@x")))
        .post("/api/v1/repositories/{r}/branches/side/merge/resolutions", repo).then().statusCode(200)
        .body("resolved", equalTo(2)).body("remaining", equalTo(0));
    json().body(Map.of()).post("/api/v1/repositories/{r}/branches/side/merge/continue", repo).then()
        .statusCode(201);
    assertThat(rows(pool, "select id || ':' || email from " + Api.view(repo, "side", "customers")
        + " where id in (5, 6) order by id")).containsExactly("5:z@x", "6:y@x");
    assertThat(given().queryParam("ref", "side").get("/api/v1/repositories/{r}/tables/customers/schema", repo).then()
        .statusCode(200).extract().jsonPath().getList("recorded.constraints.name")).contains("by_email");
    put(repo, "side", 7, "y@x").statusCode(422).body("message", containsString("by_email"));
    // concluded, the constraint is the branch's own: another merge aborted leaves it
    put(repo, "dev", 8, "q@x").statusCode(200);
    commitAll(repo, "dev", "q");
    put(repo, "side", 8, "r@x").statusCode(200);
    commitAll(repo, "side", "r");
    json().body(Map.of("source", "dev")).post("/api/v1/repositories/{r}/branches/side/merge", repo).then()
        .statusCode(409).body("details.first_conflicts[0].type", equalTo("add_add"));
    json().body(Map.of()).post("/api/v1/repositories/{r}/branches/side/merge/abort", repo).then().statusCode(204);
    put(repo, "side", 9, "y@x").statusCode(422).body("message", containsString("by_email"));
  }

  @Test
  void aCarriedConstraintLeftPendingByARefusedMergeIsLookedAtAgainAndAFastForwardLooksAtWorkingChanges() {
    String repo = repository("branch-unique-pending");
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "side", "from", "main")).statusCode(201);
    change(repo, "dev", unique("by_email", List.of("email"))).statusCode(200);
    commitAll(repo, "dev", "emails unique");
    put(repo, "side", 3, "a@x").statusCode(200);
    commitAll(repo, "side", "a second a");
    // a working change of the table refuses the merge after the constraint was carried (pending on the target)
    put(repo, "side", 4, "d@x").statusCode(200);
    json().body(Map.of("source", "dev")).post("/api/v1/repositories/{r}/branches/side/merge", repo).then()
        .statusCode(409);
    commitAll(repo, "side", "d");
    // retried, the constraint is the branch's already, still pending: its rows that share values are conflicts
    json().body(Map.of("source", "dev")).post("/api/v1/repositories/{r}/branches/side/merge", repo).then()
        .statusCode(409).body("details.first_conflicts.key", equalTo(List.of(List.of(1), List.of(3))));
    json().body(Map.of("table", "customers", "key", List.of(3), "take", "value", "value", Map.of("email", "c@x")))
        .post("/api/v1/repositories/{r}/branches/side/merge/resolutions", repo).then().statusCode(200)
        .body("remaining", equalTo(0));
    json().body(Map.of()).post("/api/v1/repositories/{r}/branches/side/merge/continue", repo).then().statusCode(201);
    put(repo, "side", 5, "c@x").statusCode(422).body("message", containsString("by_email"));

    // a fast-forward brings the source's rows, but a working change of a table it did not change is looked at too
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "ahead", "from", "main")).statusCode(201);
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "behind", "from", "main")).statusCode(201);
    change(repo, "ahead", unique("by_email", List.of("email"))).statusCode(200);
    commitAll(repo, "ahead", "emails unique");
    put(repo, "behind", 6, "a@x").statusCode(200);
    json().body(Map.of("source", "ahead")).post("/api/v1/repositories/{r}/branches/behind/merge", repo).then()
        .statusCode(422).body("message", containsString("by_email"));
  }

  @Test
  void aRuleOfACompositeKeysColumnHoldsThroughKeyChangesLargeBatchesStashesAndCherryPicks() {
    String repo = createRepository(uniqueName("branch-unique-composite"));
    String table = uniqueName("parts").replace('-', '_');
    sql(pool, "create table public." + table + " (a int, b int, code text, primary key (a, b))");
    sql(pool, "create index on public." + table + " (code, a)");
    sql(pool, "insert into public." + table + " values (1, 1, 'x'), (2, 1, 'x')");
    post("/api/v1/repositories/" + repo + "/tables", Map.of("name", "parts", "location",
        "postgresql://local/public." + table)).statusCode(201);
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "dev", "from", "main")).statusCode(201);
    json().body(Map.of("operations", List.of(unique("by_a_code", List.of("a", "code")))))
        .post("/api/v1/repositories/{r}/branches/dev/tables/parts/schema", repo).then().statusCode(200);
    String view = Api.view(repo, "dev", "parts");
    // a key column among the rule's: (1, 'x') is taken, (3, 'x') is not
    assertThatThrownBy(() -> sql(pool, "insert into " + view + " values (1, 2, 'x')")).hasMessageContaining("by_a_code");
    sql(pool, "insert into " + view + " values (3, 2, 'x')");
    // a row whose key changes keeps its values: no other row has them
    sql(pool, "update " + view + " set b = 9 where a = 1 and b = 1");
    assertThatThrownBy(() -> sql(pool, "insert into " + view + " values (1, 3, 'x')")).hasMessageContaining("by_a_code");

    // a batch large enough to be truncated after its check, then one with a single shared value: refused whole
    sql(pool, "insert into " + view + " select 10, g, 'c' || g from generate_series(1, 6000) g");
    assertThatThrownBy(() -> sql(pool, "insert into " + view + " select 11, g, case g when 6000 then 'x' else 'c' || g"
        + " end from generate_series(1, 6000) g union all select 11, 6001, 'x'")).hasMessageContaining("by_a_code");
    assertThat(rows(pool, "select count(*)::text from " + view + " where a = 11")).containsExactly("0");
    sql(pool, "insert into " + view + " values (11, 1, 'q')");
    commitAll(repo, "dev", "parts");

    // a stash that would bring a shared value back is refused, and kept
    sql(pool, "insert into " + view + " values (4, 1, 's')");
    json().body(Map.of("message", "wip")).post("/api/v1/repositories/{r}/branches/dev/stash", repo).then()
        .statusCode(201);
    sql(pool, "insert into " + view + " values (4, 2, 's')");
    commitAll(repo, "dev", "an s");
    json().body(Map.of()).post("/api/v1/repositories/{r}/branches/dev/stash/0/pop", repo).then().statusCode(422)
        .body("message", containsString("by_a_code"));
    given().get("/api/v1/repositories/{r}/branches/dev/stash", repo).then().statusCode(200).body("items.size()",
        equalTo(1));

    // a cherry-pick of another branch's commit whose row would share them stops with both rows in conflict; the
    // branch's own given another value in SQL, the pair settles at the next resolution (the row as it is now)
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "other", "from", "dev")).statusCode(201);
    sql(pool, "insert into " + Api.view(repo, "other", "parts") + " values (5, 1, 'p')");
    String picked = commitAll(repo, "other", "a p");
    sql(pool, "insert into " + view + " values (5, 2, 'p')");
    String devHead = commitAll(repo, "dev", "another p");
    json().body(Map.of("commit", picked)).post("/api/v1/repositories/{r}/branches/dev/cherry-pick", repo).then()
        .statusCode(409).body("details.first_conflicts.key", equalTo(List.of(List.of(5, 1), List.of(5, 2))))
        .body("details.first_conflicts.constraint", equalTo(List.of("by_a_code", "by_a_code")));
    assertThat(Api.head(repo, "dev")).isEqualTo(devHead);
    assertThatThrownBy(() -> sql(pool, "update " + view + " set b = 3 where a = 5 and b = 2"))
        .hasMessageContaining("by_a_code");
    sql(pool, "update " + view + " set code = 'p2' where a = 5 and b = 2");
    json().body(Map.of()).post("/api/v1/repositories/{r}/branches/dev/merge/continue", repo).then().statusCode(409);
    json().body(Map.of("table", "parts", "key", List.of(5, 2), "take", "value", "value", Map.of()))
        .post("/api/v1/repositories/{r}/branches/dev/merge/resolutions", repo).then().statusCode(200)
        .body("resolved", equalTo(2)).body("remaining", equalTo(0));
    json().body(Map.of()).post("/api/v1/repositories/{r}/branches/dev/merge/continue", repo).then().statusCode(201);
    assertThat(rows(pool, "select b || ':' || code from " + view + " where a = 5 order by b"))
        .containsExactly("1:p", "2:p2");
  }

  @Test
  void aMergesRowsAreHeldToEveryUniqueConstraintOfTheBranchWhenItContinues() {
    String repo = createRepository(uniqueName("branch-unique-two"));
    String table = uniqueName("accounts").replace('-', '_');
    sql(pool, "create table public." + table + " (id int primary key, email text, code text)");
    sql(pool, "create index on public." + table + " (email)");
    sql(pool, "create index on public." + table + " (code)");
    post("/api/v1/repositories/" + repo + "/tables", Map.of("name", "accounts", "location",
        "postgresql://local/public." + table)).statusCode(201);
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "dev", "from", "main")).statusCode(201);
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "side", "from", "main")).statusCode(201);
    json().body(Map.of("operations", List.of(unique("a_email", List.of("email")), unique("b_code", List.of("code")))))
        .post("/api/v1/repositories/{r}/branches/side/tables/accounts/schema", repo).then().statusCode(200);
    String side = Api.view(repo, "side", "accounts");
    sql(pool, "insert into " + side + " values (10, 'e1', 'x'), (11, 'e2', 'y')");
    json().body(Map.of("message", "x and y", "all", true))
        .post("/api/v1/repositories/{r}/branches/side/commits", repo).then().statusCode(201);
    // two rows sharing a code among themselves, each an email with one of the side's
    sql(pool, "insert into " + Api.view(repo, "dev", "accounts") + " values (20, 'e1', 'c'), (21, 'e2', 'c')");
    json().body(Map.of("message", "k and r", "all", true))
        .post("/api/v1/repositories/{r}/branches/dev/commits", repo).then().statusCode(201);

    json().body(Map.of("source", "dev")).post("/api/v1/repositories/{r}/branches/side/merge", repo).then()
        .statusCode(409).body("details.first_conflicts.key",
            equalTo(List.of(List.of(10), List.of(11), List.of(20), List.of(21))));
    // the side's rows take new emails: the four settle, by the constraint each named
    for (int id : List.of(10, 11)) {
      json().body(Map.of("table", "accounts", "key", List.of(id), "take", "value", "value", Map.of("email", "n" + id)))
          .post("/api/v1/repositories/{r}/branches/side/merge/resolutions", repo).then().statusCode(200);
    }
    given().get("/api/v1/repositories/{r}/branches/side/merge", repo).then().statusCode(200)
        .body("items.size()", equalTo(0));
    // but the merged rows still share a code: the continue looks at every row the merge wrote again, by every
    // constraint, and is refused until one changes
    json().body(Map.of()).post("/api/v1/repositories/{r}/branches/side/merge/continue", repo).then()
        .statusCode(422).body("message", containsString("b_code"));
    sql(pool, "update " + side + " set code = 'd' where id = 21");
    json().body(Map.of()).post("/api/v1/repositories/{r}/branches/side/merge/continue", repo).then()
        .statusCode(201);
    assertThat(rows(pool, "select id || ':' || email || ':' || code from " + side + " order by id"))
        .containsExactly("10:n10:x", "11:n11:y", "20:e1:c", "21:e2:d");
  }

  @Test
  void aPromotionTakesAFittingUniqueIndexOfTheRulesNameAsItIsAndRefusesAnIndexThatDoesNotFit() {
    String repo = repository("branch-unique-fitting");
    String table = rows(pool, "select format('%I.%I', t.schema_name, t.table_name) from strata.tracked_tables t"
        + " where t.repository = '" + repo + "'").get(0);
    sql(pool, "create index on " + table + " (name)");
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "names", "from", "main")).statusCode(201);
    change(repo, "dev", unique("fit_email", List.of("email"))).statusCode(200);
    put(repo, "dev", 3, "c@x").statusCode(200);
    commitAll(repo, "dev", "emails unique");
    change(repo, "names", unique("odd_name", List.of("name"))).statusCode(200);
    put(repo, "names", 4, "d@x").statusCode(200);
    commitAll(repo, "names", "names unique");
    // then the application's own unique index under the one rule's name (as a crash between a promotion's build and
    // its constraint leaves it), and a plain index under the other's
    sql(pool, "create unique index fit_email on " + table + " (email)");
    sql(pool, "create index odd_name on " + table + " (name)");
    String built = rows(pool, "select 'public.fit_email'::regclass::oid::text").get(0);
    json().body(Map.of("source", "dev")).post("/api/v1/repositories/{r}/branches/main/merge", repo).then()
        .statusCode(200);
    // made the constraint as it is: the same index, not built again
    assertThat(rows(pool, "select conindid::text || ':' || pg_get_constraintdef(oid) from pg_constraint"
        + " where conrelid = '" + table + "'::regclass and conname = 'fit_email'"))
        .containsExactly(built + ":UNIQUE (email)");

    // an index of the rule's name that is not a unique one of its columns refuses the merge, and stays as it was
    String mainHead = Api.head(repo, "main");
    json().body(Map.of("source", "names")).post("/api/v1/repositories/{r}/branches/main/merge", repo).then()
        .statusCode(422).body("message", containsString("odd_name"));
    assertThat(Api.head(repo, "main")).isEqualTo(mainHead);
    assertThat(rows(pool, "select i.indisunique::text from pg_index i where i.indexrelid = 'public.odd_name'::regclass"))
        .containsExactly("false");
    assertThat(rows(pool, "select count(*)::text from pg_constraint where conrelid = '" + table + "'::regclass"
        + " and conname = 'odd_name'")).containsExactly("0");
  }

  @Test
  void aMergeIntoTheDefaultBranchMakesAUniqueConstraintTheTablesOwnUnlessTheTablesRowsShareItsValues() {
    String repo = repository("branch-unique-promoted");
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "older", "from", "main")).statusCode(201);
    change(repo, "dev", unique("by_email", List.of("email"))).statusCode(200);
    change(repo, "dev", Map.of("op", "add_column", "name", "tier", "type", "text")).statusCode(200);
    put(repo, "dev", 3, "c@x").statusCode(200);
    commitAll(repo, "dev", "emails unique, a tier, and c");
    String main = Api.view(repo, "main", "customers");
    String table = rows(pool, "select format('%I.%I', t.schema_name, t.table_name) from strata.tracked_tables t"
        + " where t.repository = '" + repo + "'").get(0);
    sql(pool, "insert into " + main + " values (4, 'a@x', 'amy')");
    commitAll(repo, "main", "a second a");

    // the table's rows share a value: refused before anything changes (a dry run says so too), naming two keys; no
    // column added, no index left behind
    json().body(Map.of("source", "dev", "dry_run", true)).post("/api/v1/repositories/{r}/branches/main/merge", repo)
        .then().statusCode(422).body("message", containsString("the table's rows of keys 1 and 4 share the values"));
    json().body(Map.of("source", "dev")).post("/api/v1/repositories/{r}/branches/main/merge", repo).then()
        .statusCode(422).body("message", containsString("the table's rows of keys 1 and 4 share the values"));
    assertThat(rows(pool, "select count(*)::text from pg_index i join pg_class c on c.oid = i.indexrelid"
        + " where i.indrelid = '" + table + "'::regclass and c.relname = 'by_email'")).containsExactly("0");
    assertThat(rows(pool, "select count(*)::text from pg_attribute where attrelid = '" + table + "'::regclass"
        + " and attname = 'tier'")).containsExactly("0");
    sql(pool, "delete from " + main + " where id = 4");
    commitAll(repo, "main", "one a");
    // (the column goes again: a branch forked before a column reached the table does not merge it yet)
    change(repo, "dev", Map.of("op", "drop_column", "name", "tier")).statusCode(200);
    commitAll(repo, "dev", "no tier");

    // made the table's own, before the merge's rows: the table holds them from then on
    json().body(Map.of("source", "dev")).post("/api/v1/repositories/{r}/branches/main/merge", repo).then()
        .statusCode(200);
    assertThat(rows(pool, "select pg_get_constraintdef(oid) from pg_constraint where conrelid = '" + table
        + "'::regclass and conname = 'by_email'")).containsExactly("UNIQUE (email)");
    assertThat(rows(pool, "select email from " + table + " order by id")).containsExactly("a@x", "b@x", "c@x");
    assertThatThrownBy(() -> sql(pool, "insert into " + table + " (id, email, name) values (5, 'c@x', 'cid')"))
        .hasMessageContaining("by_email");
    assertThat(given().queryParam("ref", "main").get("/api/v1/repositories/{r}/tables/customers/schema", repo).then()
        .statusCode(200).extract().jsonPath().getList("recorded.constraints.name")).contains("by_email");
    // a branch forked before takes it from the source as the table's own, and holds its rows to it
    json().body(Map.of("source", "dev")).post("/api/v1/repositories/{r}/branches/older/merge", repo).then()
        .statusCode(200);
    put(repo, "older", 6, "b@x").statusCode(422).body("message", containsString("by_email"));
  }

  @Test
  void aBranchHoldsTheTablesOwnUniqueConstraintsUntilItDropsTheirColumnsAndItsMergesListRowsThatShareValues() {
    String[] made = members("branch-unique-own", "id int primary key, email text constraint %s_email unique,"
        + " name text");
    String repo = made[0];
    String table = made[1];
    String view = Api.view(repo, "dev", "members");
    // as the table would: a second row of a value refused, through the view and the API; trading values is fine
    assertThatThrownBy(() -> sql(pool, "insert into " + view + " values (3, 'a@x', 'eve')"))
        .hasMessageContaining(table + "_email");
    json().body(Map.of("email", "b@x", "name", "ann"))
        .put("/api/v1/repositories/{r}/branches/dev/tables/members/rows/1", repo).then().statusCode(422)
        .body("message", containsString(table + "_email"));
    sql(pool, "update " + view + " set email = case id when 1 then 'b@x' else 'a@x' end");
    json().body(Map.of("message", "traded", "all", true))
        .post("/api/v1/repositories/{r}/branches/dev/commits", repo).then().statusCode(201);

    // a merge into a branch that holds it lists the rows sharing values as conflicts, settled by a resolution
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "other", "from", "main")).statusCode(201);
    sql(pool, "insert into " + Api.view(repo, "other", "members") + " values (3, 'c@x', 'cat')");
    json().body(Map.of("message", "cat", "all", true))
        .post("/api/v1/repositories/{r}/branches/other/commits", repo).then().statusCode(201);
    sql(pool, "insert into " + view + " values (4, 'c@x', 'cid')");
    json().body(Map.of("message", "cid", "all", true))
        .post("/api/v1/repositories/{r}/branches/dev/commits", repo).then().statusCode(201);
    json().body(Map.of("source", "other")).post("/api/v1/repositories/{r}/branches/dev/merge", repo).then()
        .statusCode(409).body("details.first_conflicts.key", equalTo(List.of(List.of(3), List.of(4))))
        .body("details.first_conflicts[0].constraint", equalTo(table + "_email"));
    json().body(Map.of("table", "members", "key", List.of(3), "take", "value", "value", Map.of("email", "d@x")))
        .post("/api/v1/repositories/{r}/branches/dev/merge/resolutions", repo).then().statusCode(200)
        .body("remaining", equalTo(0));
    json().body(Map.of()).post("/api/v1/repositories/{r}/branches/dev/merge/continue", repo).then().statusCode(201);
    assertThat(rows(pool, "select id || ':' || email from " + view + " order by id"))
        .containsExactly("1:b@x", "2:a@x", "3:d@x", "4:c@x");

    // a branch created from it holds it too; one that drops the column does not (and keeps writing)
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "child", "from", "dev")).statusCode(201);
    assertThatThrownBy(() -> sql(pool, "insert into " + Api.view(repo, "child", "members")
        + " values (5, 'a@x', 'eve')")).hasMessageContaining(table + "_email");
    json().body(Map.of("operations", List.of(Map.of("op", "drop_column", "name", "email"))))
        .post("/api/v1/repositories/{r}/branches/dev/tables/members/schema", repo).then().statusCode(200);
    sql(pool, "insert into " + view + " values (5, 'eve')");
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "grandchild", "from", "dev")).statusCode(201);
    sql(pool, "insert into " + Api.view(repo, "grandchild", "members") + " values (6, 'joe')");
    assertThat(rows(pool, "select count(*)::text from " + view)).containsExactly("5");
    // the table is not touched
    assertThat(rows(pool, "select email from public." + table + " order by id")).containsExactly("a@x", "b@x");
  }

  @Test
  void aBranchOfACommitOlderThanTheTablesUniqueConstraintWhoseRowsShareItsValuesDoesNotHoldIt() {
    String repo = createRepository(uniqueName("branch-unique-older"));
    String table = uniqueName("members").replace('-', '_');
    sql(pool, "create table public." + table + " (id int primary key, email text, name text)");
    sql(pool, "insert into public." + table + " values (1, 'a@x', 'ann'), (2, 'a@x', 'bob')");
    post("/api/v1/repositories/" + repo + "/tables", Map.of("name", "members", "location",
        "postgresql://local/public." + table)).statusCode(201);
    String shared = Api.head(repo, "main");
    sql(pool, "update public." + table + " set email = 'b@x' where id = 2");
    json().body(Map.of("message", "apart", "all", true))
        .post("/api/v1/repositories/{r}/branches/main/commits", repo).then().statusCode(201);
    sql(pool, "alter table public." + table + " add constraint " + table + "_email unique (email)");
    // from the head: held; from the older commit, whose rows share a value: not held, and the branch is made
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "now", "from", "main")).statusCode(201);
    assertThatThrownBy(() -> sql(pool, "insert into " + Api.view(repo, "now", "members") + " values (3, 'b@x', 'c')"))
        .hasMessageContaining(table + "_email");
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "then", "from", shared)).statusCode(201);
    String then = Api.view(repo, "then", "members");
    assertThat(rows(pool, "select id || ':' || email from " + then + " order by id")).containsExactly("1:a@x", "2:a@x");
    sql(pool, "update " + then + " set name = 'bo' where id = 2");
    assertThat(rows(pool, "select name from " + then + " where id = 2")).containsExactly("bo");
  }

  @Test
  void theTablesOwnConstraintOfAnyNameIsHeldBesideABranchRuleOfItsNameUntilDdlOrRecordedDriftDropsIt() {
    String[] made = members("branch-unique-odd", "id int primary key, email text, name text, constraint"
        + " \"uq-email X\" unique (email), constraint %s_name unique (name), unique (id, name)");
    String repo = made[0];
    String table = made[1];
    String view = Api.view(repo, "dev", "members");
    assertThatThrownBy(() -> sql(pool, "insert into " + view + " values (3, 'a@x', 'eve')"))
        .hasMessageContaining("uq-email X");
    // (the constraint holding the key with another column is the key's to hold: not looked up on every write)
    assertThat(rows(pool, "select rule from strata.unique_rules where own and tid = (select tid from"
        + " strata.tracked_tables where table_name = '" + table + "') order by rule"))
        .containsExactly("table:" + table + "_name", "table:uq-email X");

    // a rule of the branch's of the same name and columns is held beside it: dropped, the table's still holds
    json().body(Map.of("operations", List.of(unique(table + "_name", List.of("name")))))
        .post("/api/v1/repositories/{r}/branches/dev/tables/members/schema", repo).then().statusCode(200);
    json().body(Map.of("operations", List.of(Map.of("op", "drop_constraint", "name", table + "_name"))))
        .post("/api/v1/repositories/{r}/branches/dev/tables/members/schema", repo).then().statusCode(200);
    assertThatThrownBy(() -> sql(pool, "insert into " + view + " values (3, 'c@x', 'ann')"))
        .hasMessageContaining(table + "_name");

    // DDL on the default branch dropping one: the branch no longer holds it either
    sql(pool, "alter table public." + table + " drop constraint \"uq-email X\"");
    sql(pool, "insert into " + view + " values (3, 'a@x', 'eve')");
    assertThat(rows(pool, "select count(*)::text from " + view + " where email = 'a@x'")).containsExactly("2");
    assertThatThrownBy(() -> sql(pool, "insert into " + view + " values (4, 'd@x', 'ann')"))
        .hasMessageContaining(table + "_name");
    // one dropped past the guard: held until the drift is recorded
    Api.unguarded(pool, "alter table public." + table + " drop constraint " + table + "_name");
    assertThatThrownBy(() -> sql(pool, "insert into " + view + " values (4, 'd@x', 'ann')"))
        .hasMessageContaining(table + "_name");
    json().body(Map.of()).post("/api/v1/repositories/{r}/tables/members/schema/record", repo).then().statusCode(200);
    sql(pool, "insert into " + view + " values (4, 'd@x', 'ann')");
  }

  @Test
  void aUniqueConstraintTheTableGainsIsHeldOnBranchesMadeBeforeButWhereTheirRowsAlreadyShareItsValues() {
    String[] made = members("branch-unique-gained", "id int primary key, email text, name text");
    String repo = made[0];
    String table = made[1];
    String dev = Api.view(repo, "dev", "members");
    // another branch, made before too, whose rows share a value of the constraint to come
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "dup", "from", "main")).statusCode(201);
    String dup = Api.view(repo, "dup", "members");
    sql(pool, "insert into " + dup + " values (3, 'a@x', 'ann again')");
    sql(pool, "insert into " + dev + " values (3, 'c@x', 'cy')");

    // the table gains the constraint on the default branch: recorded, and held where the rows allow it
    sql(pool, "alter table public." + table + " add constraint " + table + "_email unique (email)");
    awaitRecorded(repo, "recorded.constraints.name", names -> ((List<?>) names).contains(table + "_email"));
    assertThatThrownBy(() -> sql(pool, "insert into " + dev + " values (4, 'a@x', 'eve')"))
        .hasMessageContaining(table + "_email");
    assertThatThrownBy(() -> sql(pool, "update " + dev + " set email = 'c@x' where id = 2"))
        .hasMessageContaining(table + "_email");
    sql(pool, "insert into " + dev + " values (4, 'd@x', 'eve')");
    // dup's rows shared a value already: not held there, its writes go on as before
    sql(pool, "insert into " + dup + " values (4, 'b@x', 'bob again')");
    assertThat(rows(pool, "select count(*)::text from " + dup + " where email in ('a@x', 'b@x')")).containsExactly("4");
    assertThat(rows(pool, "select rule from strata.unique_rules where own and tid = (select tid from"
        + " strata.tracked_tables where table_name = '" + table + "') order by rule"))
        .containsExactly("table:" + table + "_email");
  }

  @Test
  void aHardResetThatGivesADroppedColumnBackHoldsTheTablesUniqueConstraintsOnItAgain() {
    String[] made = members("branch-unique-reset", "id int primary key, email text constraint %s_email unique,"
        + " name text");
    String repo = made[0];
    String table = made[1];
    String view = Api.view(repo, "dev", "members");
    String before = given().get("/api/v1/repositories/{r}/branches/dev", repo).then().statusCode(200)
        .extract().path("head");
    json().body(Map.of("operations", List.of(Map.of("op", "drop_column", "name", "email"))))
        .post("/api/v1/repositories/{r}/branches/dev/tables/members/schema", repo).then().statusCode(200);
    sql(pool, "insert into " + view + " values (3, 'cy')");
    json().body(Map.of("message", "without email", "all", true))
        .post("/api/v1/repositories/{r}/branches/dev/commits", repo).then().statusCode(201);

    json().body(Map.of("to", before, "mode", "hard")).post("/api/v1/repositories/{r}/branches/dev/reset", repo)
        .then().statusCode(200);
    assertThatThrownBy(() -> sql(pool, "insert into " + view + " values (3, 'a@x', 'eve')"))
        .hasMessageContaining(table + "_email");
    sql(pool, "insert into " + view + " values (3, 'c@x', 'eve')");
  }

  @Test
  void aBranchReadingRowsTheDefaultBranchChangedSinceDoesNotHoldAConstraintTheyBreakAndOneRemadeIsHeldAgain() {
    String repo = createRepository(uniqueName("branch-unique-preimages"));
    String table = uniqueName("members").replace('-', '_');
    sql(pool, "create table public." + table + " (id int primary key, email text, name text)");
    sql(pool, "insert into public." + table + " values (1, 'a@x', 'ann'), (2, 'a@x', 'bob'), (3, 'c@x', 'cy')");
    post("/api/v1/repositories/" + repo + "/tables", Map.of("name", "members", "location",
        "postgresql://local/public." + table)).statusCode(201);
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "old", "from", "main")).statusCode(201);
    String old = Api.view(repo, "old", "members");
    // the default branch fixes the duplicate, then gains the constraint: branch old still reads bob's a@x
    sql(pool, "update public." + table + " set email = 'b@x' where id = 2");
    json().body(Map.of("message", "bob moves to b", "all", true))
        .post("/api/v1/repositories/{r}/branches/main/commits", repo).then().statusCode(201);
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "young", "from", "main")).statusCode(201);
    String young = Api.view(repo, "young", "members");
    sql(pool, "alter table public." + table + " add constraint " + table + "_email unique (email)");
    awaitRecorded(repo, "recorded.constraints.name", names -> ((List<?>) names).contains(table + "_email"));
    assertThat(rows(pool, "select email from " + old + " where id = 2")).containsExactly("a@x");
    sql(pool, "update " + old + " set name = 'ann2' where id = 1");
    sql(pool, "insert into " + old + " values (4, 'c@x', 'dup')");
    assertThatThrownBy(() -> sql(pool, "insert into " + young + " values (4, 'c@x', 'dup')"))
        .hasMessageContaining(table + "_email");

    // made again on other columns in one transaction: the branches stopped holding it, and hold it again
    sql(pool, "begin; alter table public." + table + " drop constraint " + table + "_email; alter table public."
        + table + " add constraint " + table + "_email unique (name); commit");
    awaitRecorded(repo, "recorded.constraints.find { it.name == '" + table + "_email' }.definition",
        definition -> String.valueOf(definition).contains("name"));
    sql(pool, "insert into " + young + " values (4, 'c@x', 'dup')");
    assertThatThrownBy(() -> sql(pool, "insert into " + young + " values (5, 'e@x', 'cy')"))
        .hasMessageContaining(table + "_email");
  }

  @Test
  void aHardResetOntoRowsOlderThanTheTablesConstraintThatShareItsValuesEndsItsHoldAsACreationThereWould() {
    String[] made = members("branch-unique-reset-older", "id int primary key, email text, name text");
    String repo = made[0];
    String table = made[1];
    String view = Api.view(repo, "dev", "members");
    sql(pool, "update " + view + " set email = 'a@x' where id = 2");
    String duplicated = json().body(Map.of("message", "bob shares ann's email", "all", true))
        .post("/api/v1/repositories/{r}/branches/dev/commits", repo).then().statusCode(201).extract().path("id");
    sql(pool, "update " + view + " set email = 'b@x' where id = 2");
    String fixed = json().body(Map.of("message", "bob's own again", "all", true))
        .post("/api/v1/repositories/{r}/branches/dev/commits", repo).then().statusCode(201).extract().path("id");
    sql(pool, "alter table public." + table + " add constraint " + table + "_email unique (email)");
    awaitRecorded(repo, "recorded.constraints.name", names -> ((List<?>) names).contains(table + "_email"));
    assertThatThrownBy(() -> sql(pool, "insert into " + view + " values (3, 'a@x', 'eve')"))
        .hasMessageContaining(table + "_email");

    // back to the commit older than the constraint: made, and the branch holds it no longer
    json().body(Map.of("to", duplicated, "mode", "hard")).post("/api/v1/repositories/{r}/branches/dev/reset", repo)
        .then().statusCode(200);
    assertThat(rows(pool, "select id || ':' || email from " + view + " order by id")).containsExactly("1:a@x", "2:a@x");
    sql(pool, "insert into " + view + " values (3, 'a@x', 'eve')");
    assertThat(rows(pool, "select count(*)::text from strata.unique_rules where own and tid = (select tid from"
        + " strata.tracked_tables where table_name = '" + table + "')")).containsExactly("0");

    // and forward again onto rows that keep to it (the working change dropped): owed, and held again once the move
    // committed, as a creation there would
    json().body(Map.of("to", fixed, "mode", "hard")).post("/api/v1/repositories/{r}/branches/dev/reset", repo)
        .then().statusCode(200);
    assertThat(rows(pool, "select id || ':' || email from " + view + " order by id")).containsExactly("1:a@x", "2:b@x");
    awaitRows("select count(*)::text from strata.unique_rules where own and tid = (select tid from"
        + " strata.tracked_tables where table_name = '" + table + "')", "1");
    assertThat(rows(pool, "select count(*)::text from strata.unique_holds_owed where tid = (select tid from"
        + " strata.tracked_tables where table_name = '" + table + "')")).containsExactly("0");
    assertThatThrownBy(() -> sql(pool, "insert into " + view + " values (3, 'a@x', 'eve')"))
        .hasMessageContaining(table + "_email");
  }

  @Test
  void aBranchPassedOverWhileTheTablesWritersHeldItOwesTheHoldAndHoldsTheConstraintWhenTriedAgain() {
    String[] made = members("branch-unique-owed", "id int primary key, email text, name text");
    String repo = made[0];
    String table = made[1];
    String dev = Api.view(repo, "dev", "members");
    String tid = "(select tid from strata.tracked_tables where table_name = '" + table + "')";
    io.vertx.mutiny.sqlclient.SqlConnection open = pool.getConnection().await().atMost(java.time.Duration.ofSeconds(10));
    try {
      // a writer of the default branch keeps the table's pre-image log locked past the migration lock timeout while
      // the constraint is recorded: dev is passed over, and owes the hold
      open.query("begin").execute().await().atMost(java.time.Duration.ofSeconds(10));
      open.query("lock table strata.\"" + rows(pool, "select tid from strata.tracked_tables where table_name = '"
          + table + "'").get(0) + "__p\" in row exclusive mode").execute().await().atMost(java.time.Duration.ofSeconds(10));
      sql(pool, "alter table public." + table + " add constraint " + table + "_email unique (email)");
      awaitRecorded(repo, "recorded.constraints.name", names -> ((List<?>) names).contains(table + "_email"));
      assertThat(rows(pool, "select branch || ':' || attempts from strata.unique_holds_owed where tid = " + tid))
          .containsExactly("dev:1");
      assertThat(rows(pool, "select rule from strata.unique_rules where own and tid = " + tid)).isEmpty();
      open.query("commit").execute().await().atMost(java.time.Duration.ofSeconds(10));
    } finally {
      open.close().await().atMost(java.time.Duration.ofSeconds(10));
    }

    // due now (not in 10 s): the server's next round holds it, and nothing is owed any more
    sql(pool, "update strata.unique_holds_owed set next_at = now() where tid = " + tid);
    awaitRows("select count(*)::text from strata.unique_holds_owed where tid = " + tid, "0");
    assertThat(rows(pool, "select rule from strata.unique_rules where own and tid = " + tid))
        .containsExactly("table:" + table + "_email");
    assertThatThrownBy(() -> sql(pool, "insert into " + dev + " values (3, 'a@x', 'eve')"))
        .hasMessageContaining(table + "_email");
    sql(pool, "insert into " + dev + " values (3, 'c@x', 'eve')");
  }
}
