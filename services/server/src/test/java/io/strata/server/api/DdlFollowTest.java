package io.strata.server.api;

import static io.restassured.RestAssured.given;
import static io.strata.server.api.Api.createRepository;
import static io.strata.server.api.Api.post;
import static io.strata.server.api.Api.sql;
import static io.strata.server.api.Api.uniqueName;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.strata.server.TestDatabaseResource;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.pgclient.PgException;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * DDL an application makes on a tracked table with psql: what the overlay model follows (an index, a
 * constraint, a default, NOT NULL) goes through and is recorded as a {@code table.schema_changed} event
 * with its statements, and the recorded shape moves with it; what it does not follow yet (a column
 * added while a branch reads the table: see {@link ColumnAddedTest} for one added without) is refused in
 * the statement's own transaction, naming it, and Strata goes on working.
 */
@QuarkusTest
@WithTestResource(value = TestDatabaseResource.class, scope = TestResourceScope.GLOBAL)
class DdlFollowTest {
  private static final String CHANGED = "io.strata.table.schema_changed.v3";

  @Inject Pool pool;

  private static List<Map<String, Object>> schemaEvents(String repo) {
    return given().queryParam("types", CHANGED).get("/api/v1/repositories/{r}/events", repo).then().statusCode(200)
        .extract().jsonPath().getList("items");
  }

  private static JsonPath schema(String repo, String table) {
    return given().get("/api/v1/repositories/{r}/tables/{t}/schema", repo, table).then().statusCode(200)
        .extract().jsonPath();
  }

  private String trackOrders(String repo) {
    String t = uniqueName("orders").replace("-", "_");
    sql(pool, "create table public." + t + " (id int primary key, status text, total int)");
    sql(pool, "insert into public." + t + " values (1, 'new', 10)");
    post("/api/v1/repositories/" + repo + "/tables", Map.of("name", "orders", "location", "postgresql://local/public." + t))
        .statusCode(201);
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "dev")).statusCode(201);
    return t;
  }

  @Test
  void followedDdlIsRecordedAsASchemaChangeWithItsStatements() {
    String repo = createRepository(uniqueName("ddl-follow"));
    String t = trackOrders(repo);
    String recordedBefore = schema(repo, "orders").getString("recorded_hash");

    String index = "create index " + t + "_status on public." + t + " (status)";
    String check = "alter table public." + t + " add constraint " + t + "_total check (total >= 0),"
        + " alter column status set default 'new', alter column status set not null";
    sql(pool, index);
    sql(pool, check);

    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250))
        .until(() -> schema(repo, "orders").getBoolean("in_sync")
            && !schema(repo, "orders").getString("recorded_hash").equals(recordedBefore));
    JsonPath now = schema(repo, "orders");
    assertThat(now.getList("recorded.indexes.name")).containsExactly(t + "_status");
    assertThat(now.getList("recorded.constraints.name")).contains(t + "_total");
    assertThat(now.getString("recorded.columns[1].default_value")).isEqualTo("'new'::text");
    assertThat(now.getBoolean("recorded.columns[1].nullable")).isFalse();

    List<Map<String, Object>> events = schemaEvents(repo);
    assertThat(events).isNotEmpty();
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> statements = events.stream()
        .flatMap(e -> ((List<Map<String, Object>>) ((Map<String, Object>) e.get("data")).get("statements")).stream())
        .toList();
    assertThat(statements).extracting(s -> s.get("command")).containsExactly("CREATE INDEX", "ALTER TABLE");
    assertThat(statements).extracting(s -> s.get("object")).containsExactly("public." + t + "_status", "public." + t);
    assertThat(statements).allSatisfy(s -> assertThat((String) s.get("user")).isNotBlank());
    Map<String, Object> last = events.get(events.size() - 1);
    @SuppressWarnings("unchecked")
    Map<String, Object> data = (Map<String, Object>) last.get("data");
    assertThat(data.get("branch")).isEqualTo("main");
    assertThat(events.toString()).as("never the statement's text").doesNotContain("create index", "check (total");
    // but the migration Strata writes for the change: what a subscriber replays elsewhere
    // (the two statements run one after the other: the follower records them in one event, or in two when it
    // catches the index alone; each event's migration is in the order a migration runs)
    @SuppressWarnings("unchecked")
    List<List<String>> migrations = events.stream()
        .map(e -> (List<String>) ((Map<String, Object>) e.get("data")).get("migration")).toList();
    String table = "\"public\".\"" + t + "\"";
    List<String> alters = List.of("ALTER TABLE " + table + " ALTER COLUMN \"status\" SET DEFAULT 'new'::text",
        "ALTER TABLE " + table + " ALTER COLUMN \"status\" SET NOT NULL",
        "ALTER TABLE " + table + " ADD CONSTRAINT \"" + t + "_total\" CHECK (total >= 0)");
    String createIndex = "CREATE INDEX \"" + t + "_status\" ON " + table + " USING btree (status)";
    if (migrations.size() == 1) {
      List<String> all = new java.util.ArrayList<>(alters);
      all.add(createIndex);
      assertThat(migrations.get(0)).containsExactlyElementsOf(all);
    } else {
      assertThat(migrations).containsExactly(List.of(createIndex), alters);
    }
    assertThat(((Number) data.get("ddl_through")).longValue()).isPositive();
    assertThat(data.get("name")).isEqualTo("orders");
    assertThat(data.get("shape_hash")).isEqualTo(now.getString("recorded_hash"));
    assertThat(events.get(0)).extracting(e -> ((Map<?, ?>) e.get("data")).get("previous_shape_hash"))
        .isEqualTo(recordedBefore);
    assertThat(last.get("subject")).isEqualTo("tables/orders");

    // the table's answer follows: status is NOT NULL now; main's status shows a schema change to commit
    given().get("/api/v1/repositories/{r}/tables/orders", repo).then().statusCode(200)
        .body("columns[1].nullable", equalTo(false));
    given().get("/api/v1/repositories/{r}/branches/main/status", repo).then().statusCode(200)
        .body("clean", equalTo(false)).body("tables[0].schema_changed", equalTo(true));
    given().get("/api/v1/repositories/{r}/branches/dev/status", repo).then().statusCode(200)
        .body("clean", equalTo(true)).body("tables[0].schema_changed", equalTo(false));
    sql(pool, "update public." + t + " set total = 11 where id = 1");
    Api.json().body(Map.of("message", "after ddl", "all", true))
        .post("/api/v1/repositories/{r}/branches/main/commits", repo).then().statusCode(201);
    given().get("/api/v1/repositories/{r}/branches/main/status", repo).then().statusCode(200)
        .body("clean", equalTo(true)).body("tables[0].schema_changed", equalTo(false));
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "after")).statusCode(201);

    // a statement that changes nothing Strata records (a comment) is no event
    int before = schemaEvents(repo).size();
    // (in one transaction, so that no round of the follower comes between them)
    sql(pool, "comment on table public." + t + " is 'orders of the day'; create index " + t + "_total on public." + t
        + " (total)");
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250))
        .until(() -> schemaEvents(repo).size() > before);
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> lastStatements = (List<Map<String, Object>>) ((Map<String, Object>)
        schemaEvents(repo).get(before).get("data")).get("statements");
    assertThat(lastStatements).extracting(s -> s.get("command")).as("the comment rides along with the next change")
        .containsExactly("COMMENT", "CREATE INDEX");

    // a schema change is something to commit on its own; once committed, nothing is left
    Api.json().body(Map.of("message", "index on total"))
        .post("/api/v1/repositories/{r}/branches/main/commits", repo).then().statusCode(201);
    Api.json().body(Map.of("message", "nothing"))
        .post("/api/v1/repositories/{r}/branches/main/commits", repo).then().statusCode(422)
        .body("details.field", equalTo("allow_empty"));
  }

  @Test
  void ddlNotFollowedYetIsRefusedNamingTheStatementAndStrataGoesOn() {
    String repo = createRepository(uniqueName("ddl-refuse"));
    String t = trackOrders(repo);
    String recorded = schema(repo, "orders").getString("recorded_hash");
    String statement = "alter table public." + t + " rename column status to state";
    assertThatThrownBy(() -> sql(pool, statement)).isInstanceOfSatisfying(PgException.class, e -> {
      assertThat(e.getSqlState()).isEqualTo("0A000");
      assertThat(e.getErrorMessage()).contains("ALTER TABLE on public." + t, "table \"orders\" of repository \""
          + repo + "\"", "changes its columns", "does not follow yet");
      assertThat(e.getDetail()).isEqualTo("statement: " + statement);
    });
    JsonPath now = schema(repo, "orders");
    assertThat(now.getBoolean("in_sync")).isTrue();
    assertThat(now.getString("recorded_hash")).isEqualTo(recorded);
    sql(pool, "update public." + t + " set total = 12 where id = 1");
    Api.json().body(Map.of("message", "after a refused ddl", "all", true))
        .post("/api/v1/repositories/{r}/branches/main/commits", repo).then().statusCode(201);
    given().get("/api/v1/repositories/{r}/tables/orders/rows?ref=dev", repo).then().statusCode(200);
    assertThatThrownBy(() -> sql(pool, "drop table public." + t + " cascade")).isInstanceOfSatisfying(PgException.class,
        e -> assertThat(e.getErrorMessage()).contains("DROP TABLE on public." + t, "drops the table"));
    assertThat(schemaEvents(repo)).isEmpty();
  }

  @Test
  void shapesAreReadAtAnyRefAndDiffedBetweenRefsWithTheirMigrationBothWays() {
    String repo = createRepository(uniqueName("ddl-diff"));
    String t = trackOrders(repo); // and branch dev, forked before any DDL
    String tracked = Api.head(repo, "main");
    String index = "create index " + t + "_status on public." + t + " (status) where status <> 'done'";
    sql(pool, index + "; alter table public." + t + " add constraint " + t + "_total check (total >= 0)");
    sql(pool, "update public." + t + " set total = 20 where id = 1");
    // the commit records the DDL made before it (it does not wait for the follower's next round)
    Api.json().body(Map.of("message", "an index and a check", "all", true))
        .post("/api/v1/repositories/{r}/branches/main/commits", repo).then().statusCode(201);

    JsonPath diff = given().queryParam("from", "dev").queryParam("to", "main")
        .get("/api/v1/repositories/{r}/diff/schema", repo).then().statusCode(200).extract().jsonPath();
    assertThat(diff.getString("from_commit")).isEqualTo(tracked);
    assertThat(diff.getString("to_commit")).isEqualTo(Api.head(repo, "main"));
    assertThat(diff.getList("tables.table")).containsExactly("orders");
    assertThat(diff.getString("tables[0].change_type")).isEqualTo("modified");
    assertThat(diff.getBoolean("tables[0].destructive")).isFalse();
    assertThat(diff.getList("tables[0].changes", Map.class))
        .extracting(c -> c.get("change_type") + " " + c.get("object_type") + " " + c.get("object"))
        .containsExactlyInAnyOrder("added index " + t + "_status", "added constraint " + t + "_total");
    assertThat(diff.getList("tables[0].up", String.class)).containsExactly(
        "ALTER TABLE \"public\".\"" + t + "\" ADD CONSTRAINT \"" + t + "_total\" CHECK (total >= 0)",
        "CREATE INDEX \"" + t + "_status\" ON \"public\".\"" + t + "\" USING btree (status) WHERE (status <> 'done'::text)");
    assertThat(diff.getList("tables[0].down", String.class)).containsExactly(
        "ALTER TABLE \"public\".\"" + t + "\" DROP CONSTRAINT \"" + t + "_total\"",
        "DROP INDEX \"public\".\"" + t + "_status\"");

    JsonPath back = given().queryParam("from", "main").queryParam("to", tracked)
        .get("/api/v1/repositories/{r}/diff/schema", repo).then().statusCode(200).extract().jsonPath();
    assertThat(back.getList("tables[0].up", String.class)).isEqualTo(diff.getList("tables[0].down", String.class));
    assertThat(back.getBoolean("tables[0].destructive")).as("dropping a check lets in rows it kept out").isFalse();
    given().queryParam("from", "main~1").queryParam("to", "dev").get("/api/v1/repositories/{r}/diff/schema", repo)
        .then().statusCode(200).body("tables", org.hamcrest.Matchers.hasSize(0));

    // the shape at a ref against the table now: dev forked before the DDL, main has it
    JsonPath atDev = given().queryParam("ref", "dev").get("/api/v1/repositories/{r}/tables/orders/schema", repo)
        .then().statusCode(200).extract().jsonPath();
    assertThat(atDev.getBoolean("in_sync")).isFalse();
    assertThat(atDev.getList("recorded.indexes")).isEmpty();
    assertThat(atDev.getList("revert_sql", String.class)).contains("DROP INDEX \"public\".\"" + t + "_status\"");
    given().queryParam("ref", "main").get("/api/v1/repositories/{r}/tables/orders/schema", repo).then().statusCode(200)
        .body("in_sync", equalTo(true));

    // a commit on dev after main's DDL keeps the shapes dev forked with
    Api.json().body(Map.of("message", "on dev", "allow_empty", true))
        .post("/api/v1/repositories/{r}/branches/dev/commits", repo).then().statusCode(201);
    given().queryParam("from", tracked).queryParam("to", "dev").get("/api/v1/repositories/{r}/diff/schema", repo)
        .then().statusCode(200).body("tables", org.hamcrest.Matchers.hasSize(0));

    // dev brings main's shape in with main's commits (a merge commit on dev)
    Api.json().body(Map.of("source", "main")).post("/api/v1/repositories/{r}/branches/dev/merge", repo)
        .then().statusCode(org.hamcrest.Matchers.oneOf(200, 201));
    given().queryParam("from", "dev").queryParam("to", "main").get("/api/v1/repositories/{r}/diff/schema", repo)
        .then().statusCode(200).body("tables", org.hamcrest.Matchers.hasSize(0));
    // and main fast-forwarded to it (its head now a commit of dev) keeps its shapes
    Api.json().body(Map.of("source", "dev")).post("/api/v1/repositories/{r}/branches/main/merge", repo)
        .then().statusCode(200).body("fast_forward", equalTo(true));
    given().queryParam("ref", "main").get("/api/v1/repositories/{r}/tables/orders/schema", repo).then().statusCode(200)
        .body("in_sync", equalTo(true));
    given().queryParam("from", tracked).queryParam("to", "main").get("/api/v1/repositories/{r}/diff/schema", repo)
        .then().statusCode(200).body("tables[0].changes", org.hamcrest.Matchers.hasSize(2));

    given().queryParam("from", "nope").queryParam("to", "main").get("/api/v1/repositories/{r}/diff/schema", repo)
        .then().statusCode(404);
    given().queryParam("to", "main").get("/api/v1/repositories/{r}/diff/schema", repo).then().statusCode(400);
    given().queryParam("ref", "nope").get("/api/v1/repositories/{r}/tables/orders/schema", repo).then().statusCode(404);
  }
}
