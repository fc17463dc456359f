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
 * Columns named like the aliases Strata's SQL uses for whole rows (t, s, w, o, p, x, d), a mixed-case
 * key and types without an equality operator (json, point, xml): every operation still reads whole
 * rows as rows, never a column that happens to share an alias's name.
 */
@QuarkusTest
@WithTestResource(value = TestDatabaseResource.class, scope = TestResourceScope.GLOBAL)
class UnusualColumnsTest {
  @Inject Pool pool;

  @Test
  void columnsNamedLikeAliasesAndTypesWithoutEqualityWork() {
    String repo = createRepository(uniqueName("unusual"));
    String t = Api.trackNew(pool, repo, "odd",
        "\"Id\" int primary key, t text, s text, w int, o int, p point, x xml, d json",
        "select g, 't' || g, 's' || g, g, g, point(g, g), ('<a>' || g || '</a>')::xml, json_build_object('g', g)"
            + " from generate_series(1, 5) g");
    String all = "select (o.*)::text from public." + t + " o order by \"Id\"";
    List<String> tracked = rows(pool, all);
    String start = Api.head(repo, "main");

    Api.post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "dev")).statusCode(201);
    String dev = Api.view(repo, "dev", "odd");
    sql(pool, "update public." + t + " set t = 'main', p = point(9, 9) where \"Id\" = 1");
    sql(pool, "update " + dev + " set s = 'dev', x = '<b/>' where \"Id\" = 2");
    sql(pool, "delete from " + dev + " where \"Id\" = 3");
    given().get("/api/v1/repositories/{r}/branches/dev/status", repo).then().statusCode(200)
        .body("tables[0].unstaged.updated", equalTo(1)).body("tables[0].unstaged.deleted", equalTo(1));
    given().get("/api/v1/repositories/{r}/branches/main/status", repo).then().statusCode(200)
        .body("tables[0].unstaged.updated", equalTo(1));

    // discard restores main exactly
    Api.json().body(Map.of()).delete("/api/v1/repositories/{r}/branches/main/working", repo).then().statusCode(204);
    assertThat(rows(pool, all)).isEqualTo(tracked);

    // commit on dev, then diff, time travel and a query see rows as rows
    Api.json().body(Map.of("message", "dev", "all", true)).post("/api/v1/repositories/{r}/branches/dev/commits", repo)
        .then().statusCode(201).body("stats.updated", equalTo(1)).body("stats.deleted", equalTo(1));
    given().queryParam("from", "main").queryParam("to", "dev").queryParam("rows", "true")
        .get("/api/v1/repositories/{r}/diff", repo).then().statusCode(200)
        .body("tables[0].updated", equalTo(1)).body("changes[0].after.s", equalTo("dev"))
        .body("changes[0].fields", equalTo(List.of("s", "x")));
    given().get("/api/v1/repositories/{r}/tables/odd/rows/2?ref=" + start, repo).then().statusCode(200)
        .body("s", equalTo("s2")).body("w", equalTo(2));
    Api.json().body(Map.of("sql", "select \"Id\", t, s, w from odd where o = 2", "ref", "dev"))
        .post("/api/v1/repositories/{r}/query", repo).then().statusCode(200)
        .body("rows[0]", equalTo(List.of(2, "t2", "dev", 2)));
  }
}
