package io.strata.server.api;

import static io.restassured.RestAssured.given;
import static io.strata.server.api.Api.createRepository;
import static io.strata.server.api.Api.post;
import static io.strata.server.api.Api.sql;
import static io.strata.server.api.Api.unguarded;
import static io.strata.server.api.Api.uniqueName;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.strata.server.TestDatabaseResource;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A ref's schema history exported as Flyway migrations: one file per commit that changed a tracked
 * table's shape, versioned by the commit's generation, named after its message; applied in order to
 * the table as it was tracked, they give it the shape recorded at the ref.
 */
@QuarkusTest
@WithTestResource(value = TestDatabaseResource.class, scope = TestResourceScope.GLOBAL)
class SchemaMigrationsTest {
  @Inject Pool pool;

  private static JsonPath migrations(String repo, String query) {
    return given().get("/api/v1/repositories/" + repo + "/migrations" + query).then().statusCode(200)
        .extract().jsonPath();
  }

  private static void commit(String repo, String message) {
    Api.json().body(Map.of("message", message)).post("/api/v1/repositories/{r}/branches/main/commits", repo)
        .then().statusCode(201);
  }

  @Test
  void theDefaultBranchsSchemaHistoryIsExportedAsMigrationsThatReplayIt() {
    String repo = createRepository(uniqueName("flyway"));
    String t = uniqueName("orders").replace("-", "_");
    sql(pool, "create table public." + t + " (id int primary key, status text, total int)");
    post("/api/v1/repositories/" + repo + "/tables", Map.of("name", "orders", "location", "postgresql://local/public." + t))
        .statusCode(201);
    JsonPath none = migrations(repo, "");
    assertThat(none.getList("migrations")).as("tracking is no migration").isEmpty();
    assertThat(none.getString("to")).isEqualTo("main");

    sql(pool, "create index " + t + "_status on public." + t + " (status)");
    commit(repo, "Index orders by status!");
    sql(pool, "update public." + t + " set total = 1 where id = 0");
    Api.json().body(Map.of("message", "no shape change", "allow_empty", true))
        .post("/api/v1/repositories/{r}/branches/main/commits", repo).then().statusCode(201);
    sql(pool, "alter table public." + t + " add constraint " + t + "_total check (total >= 0),"
        + " alter column status set default 'new'");
    commit(repo, "Totals are never negative ${x}\n\nand orders start as new");

    JsonPath all = migrations(repo, "");
    List<Map<String, Object>> files = all.getList("migrations");
    assertThat(files).extracting(m -> m.get("description"))
        .containsExactly("index_orders_by_status", "totals_are_never_negative_x");
    long first = ((Number) files.get(0).get("version")).longValue();
    long second = ((Number) files.get(1).get("version")).longValue();
    assertThat(second).as("the empty commit between keeps its generation").isEqualTo(first + 2);
    assertThat(files.get(0).get("file_name")).isEqualTo("V" + first + "__index_orders_by_status.sql");
    assertThat(files.get(0).get("tables")).isEqualTo(List.of("orders"));
    assertThat((String) files.get(0).get("sql")).contains("CREATE INDEX \"" + t + "_status\" ON \"public\".\"" + t + "\"")
        .startsWith("-- Strata repository " + repo + ", commit ");
    assertThat((String) files.get(1).get("sql")).contains("CHECK (total >= 0)").contains("SET DEFAULT 'new'")
        .doesNotContain("and orders start as new").as("no Flyway placeholder").doesNotContain("${")
        .contains("negative $ {x}");

    // from: only what came after it; the same versions
    String firstCommit = (String) files.get(0).get("commit");
    JsonPath later = migrations(repo, "?from=" + firstCommit);
    assertThat(later.getList("migrations.version", Long.class)).containsExactly(second);
    assertThat(later.getString("from_commit")).isEqualTo(firstCommit);
    assertThat(migrations(repo, "?to=main~1").getList("migrations.version", Long.class)).containsExactly(first);
    assertThat(migrations(repo, "?table=nope").getList("migrations")).isEmpty();

    // applied in order to the table as it was tracked, they give it the recorded shape back
    unguarded(pool, "drop index public." + t + "_status; alter table public." + t + " drop constraint " + t + "_total,"
        + " alter column status drop default");
    assertThat(given().get("/api/v1/repositories/{r}/drift", repo).then().statusCode(200).extract().jsonPath()
        .getBoolean("in_sync")).isFalse();
    for (Map<String, Object> m : files) {
      unguarded(pool, (String) m.get("sql"));
    }
    given().get("/api/v1/repositories/{r}/drift", repo).then().statusCode(200).body("in_sync", equalTo(true));
  }

  @Test
  void eachMigrationIsTheSchemaDiffOfItsCommitFromItsParentThroughTrackingAndUntracking() {
    String repo = createRepository(uniqueName("flyway"));
    String a = uniqueName("a").replace("-", "_");
    String b = uniqueName("b").replace("-", "_");
    sql(pool, "create table public." + a + " (id int primary key, v text); create table public." + b
        + " (id int primary key, v text)");
    post("/api/v1/repositories/" + repo + "/tables", Map.of("name", "a", "location", "postgresql://local/public." + a))
        .statusCode(201);
    sql(pool, "create index " + a + "_v on public." + a + " (v)");
    commit(repo, "index a");
    post("/api/v1/repositories/" + repo + "/tables", Map.of("name", "b", "location", "postgresql://local/public." + b))
        .statusCode(201);
    sql(pool, "create index " + b + "_v on public." + b + " (v); alter table public." + a + " alter column v set default 'x'");
    commit(repo, "index b, default a");
    given().delete("/api/v1/repositories/{r}/tables/b", repo).then().statusCode(204);
    sql(pool, "alter table public." + a + " add constraint " + a + "_v check (v <> '')");
    commit(repo, "check a");

    List<Map<String, Object>> files = migrations(repo, "").getList("migrations");
    assertThat(files).extracting(m -> m.get("description") + " " + m.get("tables"))
        .containsExactly("index_a [a]", "index_b_default_a [a, b]", "check_a [a]");
    // the same as the shapes diff between each commit and its first parent, read one commit at a time
    for (Map<String, Object> m : files) {
      String commit = (String) m.get("commit");
      JsonPath diff = given().queryParam("from", commit + "~1").queryParam("to", commit)
          .get("/api/v1/repositories/{r}/diff/schema", repo).then().statusCode(200).extract().jsonPath();
      assertThat(diff.getList("tables.findAll { it.change_type == 'modified' }.table")).as("%s", m.get("message"))
          .isEqualTo(m.get("tables"));
      assertThat(String.join("", diff.getList("tables.findAll { it.change_type == 'modified' }.up.flatten()",
          String.class).stream().map(x -> x + ";\n").toList()))
          .isEqualTo(((String) m.get("sql")).substring(((String) m.get("sql")).indexOf('\n') + 1)
              .replaceAll("(?m)^-- .*\n", ""));
    }
    // b, untracked since, keeps its migration but without statements
    assertThat(files.get(1).get("untracked")).isEqualTo(List.of("b"));
  }

  @Test
  void aFromOutsideTheHistoryOrAnUnknownRefIsRefused() {
    String repo = createRepository(uniqueName("flyway"));
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "dev")).statusCode(201);
    Api.json().body(Map.of("message", "on dev", "allow_empty", true))
        .post("/api/v1/repositories/{r}/branches/dev/commits", repo).then().statusCode(201);
    given().get("/api/v1/repositories/{r}/migrations?from=dev", repo).then().statusCode(422)
        .body("error", equalTo("ValidationError")).body("details.field", equalTo("from"));
    given().get("/api/v1/repositories/{r}/migrations?to=nope", repo).then().statusCode(404);
    given().get("/api/v1/repositories/{r}/migrations", uniqueName("none")).then().statusCode(404)
        .body("error", equalTo("RepositoryNotFound"));
  }
}
