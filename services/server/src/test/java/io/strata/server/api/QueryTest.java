package io.strata.server.api;

import static io.strata.server.api.Api.count;
import static io.strata.server.api.Api.createRepository;
import static io.strata.server.api.Api.post;
import static io.strata.server.api.Api.sql;
import static io.strata.server.api.Api.uniqueName;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.ValidatableResponse;
import io.strata.projections.overlay.PgQueryAccess;
import io.strata.projections.rowdata.TrackedTable;
import io.strata.server.TestDatabaseResource;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Read-only SQL over any ref: tables resolve to that ref's state; no way to write or to read beyond the repository. */
@QuarkusTest
@WithTestResource(value = TestDatabaseResource.class, scope = TestResourceScope.GLOBAL)
class QueryTest {
  @Inject Pool pool;


  private ValidatableResponse query(String repo, String statement, Object... more) {
    Map<String, Object> body = new HashMap<>(Map.of("sql", statement));
    for (int i = 0; i < more.length; i += 2) {
      body.put((String) more[i], more[i + 1]);
    }
    return Api.json().body(body).post("/api/v1/repositories/{r}/query", repo).then().log().ifValidationFails();
  }

  @Test
  void queriesReadTheTablesAtTheRef() {
    String repo = createRepository(uniqueName("query"));
    String items = uniqueName("items").replace("-", "_");
    String owners = uniqueName("owners").replace("-", "_");
    sql(pool, "create table public." + items + " (id int primary key, owner int not null, qty int)");
    sql(pool, "insert into public." + items + " select g, g % 3, g from generate_series(1, 30) g");
    sql(pool, "create table public." + owners + " (id int primary key, name text)");
    sql(pool, "insert into public." + owners + " values (0, 'zero'), (1, 'one'), (2, 'two')");
    post("/api/v1/repositories/" + repo + "/tables", Map.of("name", "items", "location", "postgresql://local/public." + items))
        .statusCode(201);
    post("/api/v1/repositories/" + repo + "/tables", Map.of("name", "owners", "location", "postgresql://local/public." + owners))
        .statusCode(201);
    String tracked = Api.head(repo, "main");
    sql(pool, "update public." + items + " set qty = 0 where id <= 10");
    Api.json().body(Map.of("message", "zero ten", "all", true)).post("/api/v1/repositories/{r}/branches/main/commits", repo)
        .then().statusCode(201);
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "dev")).statusCode(201);
    String devItems = Api.view(repo, "dev", "items");
    sql(pool, "delete from " + devItems + " where id > 20");
    sql(pool, "update public." + items + " set qty = 1000 where id = 30"); // main's working state only

    String total = "select count(*) as n, sum(qty) as total from items";
    query(repo, total).statusCode(200).body("columns", equalTo(List.of("n", "total")))
        .body("rows[0][0]", equalTo(30)).body("rows[0][1]", equalTo(410)).body("truncated", equalTo(false));
    query(repo, total, "ref", tracked).statusCode(200).body("rows[0][1]", equalTo(465));
    query(repo, total, "ref", "main~1").statusCode(200).body("rows[0][1]", equalTo(465));
    query(repo, total, "ref", "main", "working", true).statusCode(200).body("rows[0][1]", equalTo(1380));
    query(repo, total, "ref", "dev").statusCode(200).body("rows[0][0]", equalTo(30));
    query(repo, total + ";", "ref", "dev", "working", true).statusCode(200).body("rows[0][0]", equalTo(20))
        .body("rows[0][1]", equalTo(155));
    query(repo, "with o as (select * from owners) select o.name, count(*) from items i join o on o.id = i.owner"
        + " group by o.name order by o.name -- a comment at the end").statusCode(200)
        .body("rows", equalTo(List.of(List.of("one", 10), List.of("two", 10), List.of("zero", 10))));
    query(repo, "select id from items order by id", "limit", 5).statusCode(200).body("rows", hasSize(5))
        .body("truncated", equalTo(true));

    query(repo, "select current_user, null::int as nothing, 1 as a, 2 as a").statusCode(200)
        .body("rows[0][0]", org.hamcrest.Matchers.startsWith("strata_query_")).body("rows[0][1]", org.hamcrest.Matchers.nullValue())
        .body("columns", equalTo(List.of("current_user", "nothing", "a", "a"))).body("rows[0][3]", equalTo(2));

    // no way to write, nor to read past the repository's tables at the ref
    String tid = TrackedTable.idOf(repo, "items");
    for (String hostile : List.of(
        "delete from items returning *",
        "with d as (delete from items returning *) select * from d",
        "insert into public." + items + " values (99, 0, 0) returning *",
        "select * from public." + items,
        "select * from " + devItems,
        "select * from strata.\"" + tid + "__w_0\"",
        "select * from strata.\"" + tid + "__changes\"",
        "select * from strata_meta.events",
        "select set_config('role', 'postgres', false), (select count(*) from public." + items + ")",
        "select 1; drop table public." + items,
        "select set_config('role', 'postgres', false)",
        "select set_config('session_authorization', 'postgres', false)",
        "select pg_read_file('/etc/passwd')",
        "select lo_import('/etc/passwd')",
        "select * from nope",
        "not sql at all")) {
      query(repo, hostile).statusCode(422).body("error", equalTo("ValidationError"));
    }
    String other = createRepository(uniqueName("other"));
    query(other, "select * from strata.\"" + tid + "__at\"(null, array[]::text[], array[]::text[], false)")
        .statusCode(422);
    query(other, "select * from strata.\"" + tid + "__q_head\"").statusCode(422);
    query(other, "select * from strata.\"" + tid + "__q_work\"").statusCode(422);
    String devId = TrackedTable.branchIdOf(repo, "dev");
    query(other, "select * from strata.\"" + tid + "__q_head_" + devId + "\"").statusCode(422);
    query(other, "select * from strata.\"" + tid + "__q_work_" + devId + "\"").statusCode(422);

    // a branch made after the repository's first query reads at its head and working state too
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "later", "from", "dev")).statusCode(201);
    sql(pool, "update " + Api.view(repo, "later", "items") + " set qty = qty + 1 where id <= 5");
    query(repo, total, "ref", "later").statusCode(200).body("rows[0][0]", equalTo(30)).body("rows[0][1]", equalTo(410));
    query(repo, total, "ref", "later", "working", true).statusCode(200).body("rows[0][1]", equalTo(415));
    query(repo, "select qty from items where id = 3", "ref", "later", "working", true).statusCode(200)
        .body("rows", equalTo(List.of(List.of(1))));
    String laterId = TrackedTable.branchIdOf(repo, "later");
    Api.json().delete("/api/v1/repositories/{r}/branches/later?force=true", repo).then().statusCode(204);
    assertThat(count(pool, "select count(*) from pg_class where relname like '%\\_" + laterId + "'")).isZero();
    query(repo, "").statusCode(422);
    query(repo, "select 1", "limit", 0).statusCode(422);
    query(repo, "select 1", "ref", "nope").statusCode(404);
    assertThat(count(pool, "select count(*) from public." + items)).isEqualTo(30);

    // a deleted repository's query role goes with it
    String role = new PgQueryAccess().role(repo);
    assertThat(count(pool, "select count(*) from pg_roles where rolname = '" + role + "'")).isOne();
    Api.json().delete("/api/v1/repositories/{r}?force=true", repo).then().statusCode(204);
    assertThat(count(pool, "select count(*) from pg_roles where rolname = '" + role + "'")).isZero();
    assertThat(count(pool, "select count(*) from public." + items)).isEqualTo(30);
  }
}
