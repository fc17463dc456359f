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

    // rows the branch reads that share a value refuse it, naming both; working changes refuse it too
    put(repo, "dev", 2, "a@x").statusCode(200);
    change(repo, "dev", unique("by_email", List.of("email"))).statusCode(409)
        .body("error", equalTo("WorkingChangesPresent"));
    commitAll(repo, "dev", "a shared email");
    change(repo, "dev", unique("by_email", List.of("email"))).statusCode(422)
        .body("message", containsString("the rows of keys 1 and 2 share the values"));
    put(repo, "dev", 2, "b@x").statusCode(200);
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

    // a row a merge brings that shares a value with the branch's is one the table refused: a conflict, which an
    // abort gives up
    String devHead = Api.head(repo, "dev");
    sql(pool, "update " + Api.view(repo, "main", "customers") + " set email = 'c@x' where id = 2");
    commitAll(repo, "main", "bob moves to c");
    json().body(Map.of("source", "main")).post("/api/v1/repositories/{r}/branches/dev/merge", repo).then()
        .statusCode(409).body("error", equalTo("MergeConflict"));
    json().body(Map.of()).post("/api/v1/repositories/{r}/branches/dev/merge/abort", repo).then().statusCode(204);
    assertThat(Api.head(repo, "dev")).isEqualTo(devHead);
    assertThat(rows(pool, "select email from " + view + " where id = 2")).containsExactly("b@x");

    // a branch created from it holds it too
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "child", "from", "dev")).statusCode(201);
    put(repo, "child", 8, "c@x").statusCode(422);

    // two transactions writing one value: the second waits for the first, then is refused
    String childView = Api.view(repo, "child", "customers");
    io.vertx.mutiny.sqlclient.SqlConnection first = pool.getConnection().await().atMost(java.time.Duration.ofSeconds(10));
    try {
      first.query("begin").execute().await().atMost(java.time.Duration.ofSeconds(10));
      first.query("insert into " + childView + " values (20, 'q@x', 'first')").execute().await()
          .atMost(java.time.Duration.ofSeconds(10));
      java.util.concurrent.CompletableFuture<Throwable> second = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
        try {
          sql(pool, "insert into " + childView + " values (21, 'q@x', 'second')");
          return null;
        } catch (Throwable t) {
          return t;
        }
      });
      assertThatThrownBy(() -> second.get(1, java.util.concurrent.TimeUnit.SECONDS))
          .isInstanceOf(java.util.concurrent.TimeoutException.class);
      first.query("commit").execute().await().atMost(java.time.Duration.ofSeconds(10));
      assertThat(second.join()).isNotNull().hasMessageContaining("by_email");
    } finally {
      first.close().await().atMost(java.time.Duration.ofSeconds(10));
    }
    assertThat(rows(pool, "select count(*)::text from " + childView + " where email = 'q@x'")).containsExactly("1");

    // a merge does not carry it yet
    json().body(Map.of("source", "dev")).post("/api/v1/repositories/{r}/branches/main/merge", repo).then()
        .statusCode(422).body("message", containsString("does not carry a branch's unique constraint yet"));

    // dropped, the values may be shared; a hard reset to the commit that held it holds them again
    change(repo, "dev", Map.of("op", "drop_constraint", "name", "by_email")).statusCode(200);
    put(repo, "dev", 8, "c@x").statusCode(200);
    json().body(Map.of("to", held, "mode", "hard")).post("/api/v1/repositories/{r}/branches/dev/reset", repo).then()
        .statusCode(200);
    put(repo, "dev", 8, "c@x").statusCode(422);

    // a branch deleted takes the objects that held it with it
    given().queryParam("force", true).delete("/api/v1/repositories/{r}/branches/child", repo).then().statusCode(204);
    given().queryParam("force", true).delete("/api/v1/repositories/{r}/branches/dev", repo).then().statusCode(204);
    assertThat(rows(pool, "select count(*)::text from pg_proc where pronamespace = 'strata'::regnamespace"
        + " and proname ~ '__u_' and not exists (select 1 from pg_trigger t where t.tgfoid = pg_proc.oid)"))
        .containsExactly("0");
  }
}
