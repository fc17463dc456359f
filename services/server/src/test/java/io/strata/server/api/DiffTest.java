package io.strata.server.api;

import static io.restassured.RestAssured.given;
import static io.strata.server.api.Api.createRepository;
import static io.strata.server.api.Api.post;
import static io.strata.server.api.Api.sql;
import static io.strata.server.api.Api.uniqueName;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.nullValue;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.strata.server.TestDatabaseResource;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Diffs between refs: per-table counts and the net change of every row, in either direction. */
@QuarkusTest
@WithTestResource(value = TestDatabaseResource.class, scope = TestResourceScope.GLOBAL)
class DiffTest {
  @Inject Pool pool;

  private String commit(String repo, String message) {
    return Api.json().body(Map.of("message", message, "all", true))
        .post("/api/v1/repositories/{r}/branches/main/commits", repo).then().statusCode(201).extract().path("id");
  }

  @Test
  void diffShowsTheNetChangeOfEveryRowBetweenTwoRefs() {
    String repo = createRepository(uniqueName("diff"));
    String t = uniqueName("prices").replace("-", "_");
    sql(pool, "create table public." + t + " (sku text primary key, price numeric(8,2), name text)");
    sql(pool, "insert into public." + t + " select 's' || g, g, 'n' || g from generate_series(1, 10) g");
    post("/api/v1/repositories/" + repo + "/tables", Map.of("name", "prices", "location", "postgresql://local/public." + t))
        .statusCode(201);
    String c0 = Api.head(repo, "main");
    sql(pool, "update public." + t + " set price = 100 where sku in ('s1', 's2')");
    sql(pool, "insert into public." + t + " values ('s99', 9.99, 'tmp')");
    String c1 = commit(repo, "one");
    sql(pool, "update public." + t + " set price = 1 where sku = 's1'");        // back to where it was at c0
    sql(pool, "update public." + t + " set name = 'renamed' where sku = 's2'");
    sql(pool, "delete from public." + t + " where sku in ('s3', 's99')");       // s99 was born after c0: nothing
    String c2 = commit(repo, "two");

    String diff = "/api/v1/repositories/" + repo + "/diff";
    given().queryParam("from", c0).queryParam("to", c2).get(diff).then().statusCode(200)
        .body("tables[0].table", equalTo("prices")).body("tables[0].inserted", equalTo(0))
        .body("tables[0].updated", equalTo(1)).body("tables[0].deleted", equalTo(1))
        .body("changes", nullValue());
    given().queryParam("from", c0).queryParam("to", "main").queryParam("rows", "true").get(diff).then().statusCode(200)
        .body("changes", hasSize(2))
        .body("changes[0].key", equalTo(List.of("s2"))).body("changes[0].op", equalTo("update"))
        .body("changes[0].fields", equalTo(List.of("name", "price")))
        .body("changes[0].before.price", equalTo(2.0f)).body("changes[0].after.name", equalTo("renamed"))
        .body("changes[1].key", equalTo(List.of("s3"))).body("changes[1].op", equalTo("delete"))
        .body("changes[1].after", nullValue());
    // the same changes as NDJSON, one per line
    String ndjson = given().accept("application/x-ndjson").queryParam("from", c0).queryParam("to", "main").get(diff)
        .then().statusCode(200).extract().asString();
    List<String> lines = List.of(ndjson.strip().split("\n"));
    assertThat(lines).hasSize(2);
    assertThat(lines.get(0)).contains("\"op\":\"update\"").contains("\"table\":\"prices\"");
    assertThat(lines.get(1)).contains("\"op\":\"delete\"");
    // the other way round, inserts and deletes swap
    given().queryParam("from", "main").queryParam("to", c0).queryParam("rows", "true").get(diff).then()
        .body("changes[1].op", equalTo("insert")).body("changes[1].after.sku", equalTo("s3"));
    given().queryParam("from", c0).queryParam("to", c1).get(diff).then()
        .body("tables[0].inserted", equalTo(1)).body("tables[0].updated", equalTo(2));
    given().queryParam("from", "main").queryParam("to", "main").get(diff).then()
        .body("tables[0].updated", equalTo(0));
    given().queryParam("from", c0).get(diff).then().statusCode(400);
    given().queryParam("from", c0).queryParam("to", "nope").get(diff).then().statusCode(404);
    given().queryParam("from", c0).queryParam("to", c2).queryParam("table", "nope").get(diff).then().statusCode(404);
  }

  /**
   * A large diff streams as NDJSON through a cursor per table, table after table, each in key order,
   * and agrees with the per-table counts.
   */
  @Test
  void aLargeDiffStreamsEveryChangeTableAfterTableInKeyOrder() throws Exception {
    String repo = createRepository(uniqueName("bigdiff"));
    for (String name : List.of("alpha", "beta")) {
      String t = Api.trackNew(pool, repo, name, "id int primary key, v int not null",
          "select g, 0 from generate_series(1, 12000) g");
      sql(pool, "update public." + t + " set v = 1 where id % 2 = 0");
      sql(pool, "delete from public." + t + " where id % 5 = 1");
    }
    String before = Api.head(repo, "main");
    String after = commit(repo, "many");
    String ndjson = given().accept("application/x-ndjson").queryParam("from", before).queryParam("to", after)
        .get("/api/v1/repositories/{r}/diff", repo).then().statusCode(200).extract().asString();
    List<String> lines = List.of(ndjson.strip().split("\n"));
    // per table: 6 000 even ids updated, of which 1 200 (id % 10 = 6) deleted after; 2 400 ids deleted
    assertThat(lines).hasSize(2 * (4800 + 2400));
    String previous = null;
    int updates = 0;
    for (String line : lines) {
      var change = io.strata.events.EventCodec.mapper().readTree(line);
      String at = change.get("table").asText() + String.format("%06d", change.get("key").get(0).asInt());
      assertThat(previous == null ? "" : previous).as("order").isLessThan(at);
      previous = at;
      updates += change.get("op").asText().equals("update") ? 1 : 0;
    }
    assertThat(updates).isEqualTo(2 * 4800);
    given().queryParam("from", before).queryParam("to", after).get("/api/v1/repositories/{r}/diff", repo).then()
        .body("tables[0].updated", equalTo(4800)).body("tables[1].deleted", equalTo(2400));
    // as JSON, streamed too: the summary, then the same changes in the same order
    var json = io.strata.events.EventCodec.mapper().readTree(given().queryParam("from", before).queryParam("to", after)
        .queryParam("rows", "true").get("/api/v1/repositories/{r}/diff", repo).then().statusCode(200)
        .contentType(io.restassured.http.ContentType.JSON).extract().asString());
    assertThat(json.get("from_commit").asText()).isEqualTo(before);
    assertThat(json.get("tables").get(1).get("updated").asInt()).isEqualTo(4800);
    assertThat(json.get("changes")).hasSize(lines.size());
    for (int i = 0; i < lines.size(); i += 997) {
      assertThat(json.get("changes").get(i)).isEqualTo(io.strata.events.EventCodec.mapper().readTree(lines.get(i)));
    }
  }
}
