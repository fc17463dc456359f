package io.strata.server.api;

import static io.restassured.RestAssured.given;
import static io.strata.server.api.Api.createRepository;
import static io.strata.server.api.Api.post;
import static io.strata.server.api.Api.sql;
import static io.strata.server.api.Api.unguarded;
import static io.strata.server.api.Api.uniqueName;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;

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
 * Drift: DDL that got past the DDL guard (a session that turned it off; a database where it could not be
 * installed) leaves a tracked table's live shape other than the default branch's recorded one. The
 * repository's report lists such tables with their changes and the statements that make and revert
 * them; a drift whose columns are unchanged is recorded through the API as a schema change (compared
 * and set against the shape the caller saw), one that changed columns is refused and changes nothing.
 */
@QuarkusTest
@WithTestResource(value = TestDatabaseResource.class, scope = TestResourceScope.GLOBAL)
class SchemaDriftTest {
  private static final String CHANGED = "io.strata.table.schema_changed.v3";

  @Inject Pool pool;

  private static JsonPath drift(String repo) {
    return given().get("/api/v1/repositories/{r}/drift", repo).then().statusCode(200).extract().jsonPath();
  }

  private static List<Map<String, Object>> schemaEvents(String repo) {
    return given().queryParam("types", CHANGED).get("/api/v1/repositories/{r}/events", repo).then().statusCode(200)
        .extract().jsonPath().getList("items");
  }

  private static String recordPath(String repo, String table) {
    return "/api/v1/repositories/" + repo + "/tables/" + table + "/schema/record";
  }

  private String track(String repo, String name) {
    String t = uniqueName(name).replace("-", "_");
    sql(pool, "create table public." + t + " (id int primary key, status text, total int)");
    sql(pool, "insert into public." + t + " values (1, 'new', 10)");
    post("/api/v1/repositories/" + repo + "/tables", Map.of("name", name, "location", "postgresql://local/public." + t))
        .statusCode(201);
    return t;
  }

  @Test
  void driftPastTheGuardIsReportedAndRecordedAsTheDefaultBranchsShape() {
    String repo = createRepository(uniqueName("drift"));
    String t = track(repo, "orders");
    String other = track(repo, "audit");
    JsonPath clean = drift(repo);
    assertThat(clean.getBoolean("in_sync")).isTrue();
    assertThat(clean.getList("tables")).isEmpty();

    // an index and a default made past the guard: nobody filed them, so only the report can tell
    unguarded(pool, "create index " + t + "_status on public." + t + " (status); alter table public." + t
        + " alter column status set default 'new'");
    JsonPath found = drift(repo);
    assertThat(found.getBoolean("in_sync")).isFalse();
    assertThat(found.getList("tables.table")).containsExactly("orders");
    assertThat(found.getString("tables[0].location")).isEqualTo("local/public." + t);
    assertThat(found.getBoolean("tables[0].recordable")).isTrue();
    assertThat(found.getString("tables[0].why")).isNull();
    assertThat(found.getBoolean("tables[0].destructive")).isFalse();
    assertThat(found.getList("tables[0].changes.object")).containsExactlyInAnyOrder(t + "_status", "status");
    assertThat(found.getList("tables[0].migration_sql", String.class))
        .anySatisfy(s -> assertThat(s).startsWith("CREATE INDEX").contains(t + "_status"))
        .anySatisfy(s -> assertThat(s).contains("SET DEFAULT 'new'"));
    assertThat(found.getList("tables[0].revert_sql", String.class))
        .anySatisfy(s -> assertThat(s).startsWith("DROP INDEX"));
    String recorded = found.getString("tables[0].recorded_hash");
    String live = found.getString("tables[0].live_hash");
    int eventsBefore = schemaEvents(repo).size();

    // compared and set: a caller that saw another recorded shape is refused, and nothing is recorded
    Api.json().body(Map.of("expected_hash", "0".repeat(64))).post(recordPath(repo, "orders")).then().statusCode(409)
        .body("error", equalTo("SchemaMoved")).body("details.recorded_hash", equalTo(recorded));
    Api.json().body(Map.of("expected_hash", "not-a-hash")).post(recordPath(repo, "orders")).then().statusCode(422)
        .body("error", equalTo("ValidationError"));
    assertThat(schemaEvents(repo)).hasSize(eventsBefore);
    assertThat(drift(repo).getList("tables")).hasSize(1);

    Api.json().body(Map.of("expected_hash", recorded, "author", Map.of("name", "Ada", "email", "ada@example.com")))
        .post(recordPath(repo, "orders")).then().statusCode(200)
        .body("table", equalTo("orders")).body("recorded", equalTo(true))
        .body("shape_hash", equalTo(live)).body("previous_shape_hash", equalTo(recorded));
    assertThat(drift(repo).getBoolean("in_sync")).isTrue();
    given().get("/api/v1/repositories/{r}/tables/orders/schema", repo).then().statusCode(200)
        .body("in_sync", equalTo(true)).body("recorded_hash", equalTo(live));
    List<Map<String, Object>> events = schemaEvents(repo);
    assertThat(events).hasSize(eventsBefore + 1);
    @SuppressWarnings("unchecked")
    Map<String, Object> data = (Map<String, Object>) events.get(events.size() - 1).get("data");
    assertThat(data.get("shape_hash")).isEqualTo(live);
    assertThat(data.get("statements").toString()).contains("command=RECORD DRIFT", "object=public." + t, "user=Ada");

    // recorded like followed DDL: main has a schema change to commit
    given().get("/api/v1/repositories/{r}/branches/main/status", repo).then().statusCode(200)
        .body("clean", equalTo(false));
    Api.json().body(Map.of("message", "record the drift")).post("/api/v1/repositories/{r}/branches/main/commits", repo)
        .then().statusCode(201);

    // recording again records nothing, and says so
    Api.json().body(Map.of()).post(recordPath(repo, "orders")).then().statusCode(200)
        .body("recorded", equalTo(false)).body("shape_hash", equalTo(live)).body("previous_shape_hash", equalTo(live));
    assertThat(schemaEvents(repo)).hasSize(eventsBefore + 1);

    // a column changed past the guard: reported, not recordable, refused with nothing changed
    unguarded(pool, "alter table public." + other + " add column note text");
    JsonPath columns = drift(repo);
    assertThat(columns.getList("tables.table")).containsExactly("audit");
    assertThat(columns.getBoolean("tables[0].recordable")).isFalse();
    assertThat(columns.getString("tables[0].why")).contains("columns");
    assertThat(columns.getList("tables[0].revert_sql", String.class)).last().asString().contains("DROP COLUMN");
    Api.json().body(Map.of()).post(recordPath(repo, "audit")).then().statusCode(422)
        .body("error", equalTo("ValidationError")).body("message", org.hamcrest.Matchers.containsString("columns"));
    assertThat(schemaEvents(repo)).hasSize(eventsBefore + 1);
    // its revert, run as given, ends the drift
    sql(pool, String.join(";\n", columns.getList("tables[0].revert_sql", String.class)));
    assertThat(drift(repo).getBoolean("in_sync")).isTrue();

    // the key broken past the guard (its primary key dropped): reported, not recordable, refused
    unguarded(pool, "alter table public." + t + " drop constraint " + t + "_pkey");
    JsonPath keyless = drift(repo);
    assertThat(keyless.getList("tables.table")).containsExactly("orders");
    assertThat(keyless.getBoolean("tables[0].recordable")).isFalse();
    assertThat(keyless.getString("tables[0].why")).contains("key (id)");
    assertThat(keyless.getBoolean("tables[0].destructive")).as("duplicates may come in").isTrue();
    Api.json().body(Map.of()).post(recordPath(repo, "orders")).then().statusCode(422)
        .body("error", equalTo("ValidationError")).body("message", org.hamcrest.Matchers.containsString("key (id)"));
    sql(pool, String.join(";\n", keyless.getList("tables[0].revert_sql", String.class)));
    assertThat(drift(repo).getList("tables.table")).doesNotContain("orders");

    // a table gone: reported, nothing to record
    unguarded(pool, "drop table public." + other);
    given().get("/api/v1/repositories/{r}/drift", repo).then().statusCode(200)
        .body("tables", hasSize(1)).body("tables[0].exists", equalTo(false)).body("tables[0].recordable", equalTo(false));
    Api.json().body(Map.of()).post(recordPath(repo, "audit")).then().statusCode(422)
        .body("error", equalTo("ValidationError"));
  }

  @Test
  void guardedDdlIsNoDriftAndUnknownNamesAre404() {
    String repo = createRepository(uniqueName("drift"));
    String t = track(repo, "orders");
    // filed by the guard: the report records it first, so it is no drift
    sql(pool, "create index " + t + "_total on public." + t + " (total)");
    JsonPath report = drift(repo);
    assertThat(report.getBoolean("in_sync")).as("%s", report.prettify()).isTrue();
    given().get("/api/v1/repositories/{r}/tables/orders/schema", repo).then().statusCode(200)
        .body("in_sync", equalTo(true));

    Api.json().body(Map.of()).post(recordPath(repo, "nope")).then().statusCode(404).body("error", equalTo("TableNotFound"));
    given().get("/api/v1/repositories/{r}/drift", uniqueName("none")).then().statusCode(404)
        .body("error", equalTo("RepositoryNotFound"));
    Api.json().body(Map.of("expected_hash", 5)).post(recordPath(repo, "orders")).then().statusCode(400);
  }
}
