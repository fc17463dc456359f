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
import static org.hamcrest.Matchers.nullValue;

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
 * A tracked table's recorded shape against the table now: tracking records the full shape, DDL made
 * since shows as drift (each change with its statements, destructive ones flagged), and the revert
 * statements put the table back as recorded.
 */
@QuarkusTest
@WithTestResource(value = TestDatabaseResource.class, scope = TestResourceScope.GLOBAL)
class TableSchemaApiTest {
  @Inject Pool pool;

  private static JsonPath schema(String repo, String table) {
    return given().get("/api/v1/repositories/{r}/tables/{t}/schema", repo, table).then().statusCode(200)
        .extract().jsonPath();
  }

  @Test
  void ddlSinceTrackingShowsAsDriftAndItsRevertPutsTheTableBack() {
    String repo = createRepository(uniqueName("shape"));
    String t = uniqueName("orders").replace("-", "_");
    sql(pool, "create table public." + t + " (id int primary key, total numeric(10,2) not null default 0"
        + " check (total >= 0), code varchar(20) unique, note text)");
    sql(pool, "create index " + t + "_note on public." + t + " (note) where note is not null");
    post("/api/v1/repositories/" + repo + "/tables", Map.of("name", "orders", "location", "postgresql://local/public." + t))
        .statusCode(201);

    JsonPath tracked = schema(repo, "orders");
    assertThat(tracked.getBoolean("in_sync")).isTrue();
    assertThat(tracked.getBoolean("exists")).isTrue();
    assertThat(tracked.getBoolean("partial")).isFalse();
    assertThat(tracked.getString("live_hash")).isEqualTo(tracked.getString("recorded_hash")).hasSize(64);
    assertThat(tracked.getList("recorded.columns.name")).containsExactly("id", "total", "code", "note");
    assertThat(tracked.getString("recorded.columns[1].default_value")).isEqualTo("0");
    assertThat(tracked.getList("recorded.constraints.kind")).containsExactlyInAnyOrder("primary_key", "check", "unique");
    assertThat(tracked.getList("recorded.indexes.name")).containsExactly(t + "_note");
    assertThat(tracked.getList("changes")).isEmpty();
    assertThat(tracked.getList("revert_sql")).isEmpty();

    // DDL made past the DDL guard (which would refuse the columns' changes, and have the index recorded):
    // a column added, one dropped, a type widened, the unique key dropped, an index
    unguarded(pool, "alter table public." + t + " add column region text not null default 'eu', drop column note,"
        + " alter column code type text, drop constraint " + t + "_code_key");
    unguarded(pool, "create index " + t + "_region on public." + t + " (region)");
    unguarded(pool, "create index \"By \"\"odd\"\" name\" on public." + t + " (region, id)");
    JsonPath drift = schema(repo, "orders");
    assertThat(drift.getBoolean("in_sync")).isFalse();
    assertThat(drift.getString("live_hash")).isNotEqualTo(drift.getString("recorded_hash"));
    assertThat(drift.getString("recorded_hash")).isEqualTo(tracked.getString("recorded_hash"));
    List<Map<String, Object>> changes = drift.getList("changes");
    assertThat(changes).extracting(c -> c.get("change_type") + " " + c.get("object_type") + " " + c.get("object"))
        .containsExactlyInAnyOrder("modified column code", "removed column note", "added column region",
            "removed constraint " + t + "_code_key", "removed index " + t + "_note", "added index " + t + "_region",
            "added index By \"odd\" name");
    assertThat(changes).filteredOn(c -> (Boolean) c.get("destructive")).extracting(c -> c.get("object"))
        .as("the dropped column and unique key; a varchar widened to text is not")
        .containsExactlyInAnyOrder("note", t + "_code_key");
    assertThat(changes).filteredOn(c -> c.get("object").equals("region")).singleElement()
        .satisfies(c -> assertThat(c.get("sql")).isEqualTo(List.of("ALTER TABLE \"public\".\"" + t
            + "\" ADD COLUMN \"region\" text DEFAULT 'eu'::text NOT NULL")));

    // the revert, change by change: dropping the column added since loses its values, and text back to
    // varchar(20) may not hold every value
    List<Map<String, Object>> revert = drift.getList("revert");
    assertThat(revert).filteredOn(c -> (Boolean) c.get("destructive")).extracting(c -> c.get("object"))
        .containsExactlyInAnyOrder("region", "code");
    assertThat(revert).filteredOn(c -> c.get("object").equals("By \"odd\" name")).singleElement()
        .satisfies(c -> assertThat(c.get("sql")).isEqualTo(List.of("DROP INDEX \"public\".\"By \"\"odd\"\" name\"")));

    // the revert statements, run as given (one script: past the guard), put the table back in its recorded shape
    assertThat(drift.getList("revert_sql", String.class).get(0)).isEqualTo("SET LOCAL strata.ddl_check = 'off'");
    sql(pool, String.join(";\n", drift.getList("revert_sql", String.class)));
    JsonPath back = schema(repo, "orders");
    assertThat(back.getBoolean("in_sync")).as("%s", drift.getList("revert_sql")).isTrue();
    assertThat(back.getList("changes")).isEmpty();

    // a table dropped outside Strata (past the guard): it no longer exists, nothing to revert to
    unguarded(pool, "drop table public." + t);
    given().get("/api/v1/repositories/{r}/tables/orders/schema", repo).then().statusCode(200)
        .body("exists", equalTo(false)).body("in_sync", equalTo(false)).body("live", nullValue())
        .body("changes", hasSize(0));
  }

  @Test
  void anUntrackedTableOrUnknownRepositoryIsA404() {
    String repo = createRepository(uniqueName("shape"));
    given().get("/api/v1/repositories/{r}/tables/nope/schema", repo).then().statusCode(404)
        .body("error", equalTo("TableNotFound"));
    given().get("/api/v1/repositories/{r}/tables/nope/schema", uniqueName("none")).then().statusCode(404)
        .body("error", equalTo("RepositoryNotFound"));
  }
}
