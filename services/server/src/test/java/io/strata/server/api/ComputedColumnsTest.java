package io.strata.server.api;

import static io.restassured.RestAssured.given;
import static io.strata.server.api.Api.createRepository;
import static io.strata.server.api.Api.rows;
import static io.strata.server.api.Api.sql;
import static io.strata.server.api.Api.uniqueName;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.strata.server.TestDatabaseResource;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Columns the table computes itself — an identity key GENERATED ALWAYS, a stored generated column, a
 * default — stay the table's to compute: Strata's own writes to the table (discard, REST rows) leave
 * them to it, and an INSERT through a branch's view gets them as an INSERT into the table would. The
 * table's CHECK constraints hold on branches too.
 */
@QuarkusTest
@WithTestResource(value = TestDatabaseResource.class, scope = TestResourceScope.GLOBAL)
class ComputedColumnsTest {
  @Inject Pool pool;

  @Test
  void tablesKeepComputingTheirOwnColumns() {
    String repo = createRepository(uniqueName("computed"));
    String t = Api.trackNew(pool, repo, "items",
        "id int generated always as identity primary key, a int not null check (a > 0),"
            + " twice int generated always as (a * 2) stored,"
            + " note text not null default 'none'",
        "(a) select a from generate_series(1, 6) a");
    String all = "select t::text from public." + t + " t order by id";
    List<String> committed = rows(pool, all);
    assertThat(committed).first().isEqualTo("(1,1,2,none)");

    // discarding application writes restores the rows exactly; the table recomputes what it computes
    sql(pool, "update public." + t + " set a = a + 10, note = 'x' where id <= 3");
    sql(pool, "delete from public." + t + " where id = 6");
    sql(pool, "insert into public." + t + " (a) values (50)");
    Api.json().body(Map.of()).delete("/api/v1/repositories/{r}/branches/main/working", repo).then().statusCode(204);
    assertThat(rows(pool, all)).isEqualTo(committed);

    // REST rows on the default branch: the generated column is the table's to compute
    Api.json().body(Map.of("a", 21, "note", "put")).put("/api/v1/repositories/{r}/branches/main/tables/items/rows/2", repo)
        .then().statusCode(200).body("twice", equalTo(42));
    Api.json().body("[{\"op\":\"upsert\",\"row\":{\"id\":40,\"a\":4,\"note\":\"new\"}}]")
        .post("/api/v1/repositories/{r}/branches/main/tables/items/rows:batch", repo).then().statusCode(200);
    assertThat(rows(pool, "select t::text from public." + t + " t where id in (2, 40) order by id"))
        .containsExactly("(2,21,42,put)", "(40,4,8,new)");

    // an INSERT through a branch's view: identity from the table's sequence, the default, the generated value
    Api.post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "dev")).statusCode(201);
    String dev = Api.view(repo, "dev", "items");
    sql(pool, "insert into " + dev + " (a) values (7)");
    List<String> added = rows(pool, "select t::text from " + dev + " t where a = 7");
    assertThat(added).hasSize(1);
    assertThat(added.get(0)).matches("\\(\\d+,7,14,none\\)").isNotEqualTo("(7,7,14,none)");
    sql(pool, "update " + dev + " set a = 8 where a = 7");
    assertThat(rows(pool, "select twice::text from " + dev + " t where a = 8")).containsExactly("16");
    given().get("/api/v1/repositories/{r}/tables/items/rows?ref=dev&working=true&a=8", repo).then().statusCode(200)
        .body("items[0].twice", equalTo(16)).body("items[0].note", equalTo("none"));
    // and a REST row on the branch
    Api.json().body(Map.of("a", 9, "note", "rest")).put("/api/v1/repositories/{r}/branches/dev/tables/items/rows/41", repo)
        .then().statusCode(200).body("twice", equalTo(18));

    // a column a REST row leaves out takes its default, as in an INSERT; one given as null stays null
    // (here refused: the column is NOT NULL); a delete in the same batch still just deletes
    for (String branch : List.of("main", "dev")) {
      Api.json().body(Map.of("a", 3)).put("/api/v1/repositories/{r}/branches/" + branch + "/tables/items/rows/60", repo)
          .then().statusCode(200).body("note", equalTo("none")).body("twice", equalTo(6));
      Api.json().body("[{\"op\":\"upsert\",\"row\":{\"id\":61,\"a\":5}},{\"op\":\"delete\",\"key\":{\"id\":60}}]")
          .post("/api/v1/repositories/{r}/branches/" + branch + "/tables/items/rows:batch", repo).then().statusCode(200);
      given().get("/api/v1/repositories/{r}/tables/items/rows/61?ref=" + branch + "&working=true", repo).then()
          .statusCode(200).body("note", equalTo("none"));
      given().get("/api/v1/repositories/{r}/tables/items/rows/60?ref=" + branch + "&working=true", repo).then()
          .statusCode(404);
      Api.json().body("{\"a\": 3, \"note\": null}").put("/api/v1/repositories/{r}/branches/" + branch
          + "/tables/items/rows/62", repo).then().statusCode(422);
    }

    // the table's CHECK constraints hold on the branch too, through SQL and REST; deleting stays possible
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> sql(pool, "update " + dev + " set a = -1 where a = 8"))
        .hasMessageContaining("check constraint");
    Api.json().body(Map.of("a", -9, "note", "rest")).put("/api/v1/repositories/{r}/branches/dev/tables/items/rows/42", repo)
        .then().statusCode(422);
    sql(pool, "delete from " + dev + " where a = 8");
    assertThat(rows(pool, "select count(*)::text from " + dev + " t where a <= 0 or a = 8")).containsExactly("0");
  }
}
