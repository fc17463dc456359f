package io.strata.server.api;

import static io.restassured.RestAssured.given;
import static io.strata.server.api.Api.createRepository;
import static io.strata.server.api.Api.json;
import static io.strata.server.api.Api.post;
import static io.strata.server.api.Api.sql;
import static io.strata.server.api.Api.trackNew;
import static io.strata.server.api.Api.uniqueName;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.ValidatableResponse;
import io.strata.server.TestDatabaseResource;
import io.strata.server.application.RepositoryStateLoader;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Conversions of a column's values on a branch ({@code alter_column} with {@code using}): built for a column the
 * branch added since its head, so that no commit, change set or stash holds a value of it in the old
 * representation. The expression is vetted before anything changes (one expression of the column alone, of
 * PostgreSQL's own immutable functions), converts every value the branch holds and the constant default its other
 * rows read (zero-copy still), and every refusal changes nothing.
 */
@QuarkusTest
@WithTestResource(value = TestDatabaseResource.class, scope = TestResourceScope.GLOBAL)
class BranchColumnConversionTest {
  @Inject Pool pool;
  @Inject RepositoryStateLoader loader;

  private static ValidatableResponse change(String repo, String branch, Map<String, Object> operation) {
    return json().body(Map.of("operations", List.of(operation)))
        .post("/api/v1/repositories/{r}/branches/{b}/tables/orders/schema", repo, branch).then();
  }

  private static Map<String, Object> converting(String name, String type, String using) {
    Map<String, Object> op = new HashMap<>();
    op.put("op", "alter_column");
    op.put("name", name);
    if (type != null) {
      op.put("type", type);
    }
    op.put("using", using);
    return op;
  }

  private static Map<String, Object> added(String name, String type, Object dflt) {
    Map<String, Object> op = new HashMap<>(Map.of("op", "add_column", "name", name, "type", type));
    if (dflt != null) {
      op.put("default", dflt);
    }
    return op;
  }

  private static int eventCount(String repo) {
    return given().queryParam("limit", 1000).get("/api/v1/repositories/{r}/events", repo).then().statusCode(200)
        .extract().jsonPath().getList("items").size();
  }

  private List<String> values(String view, String column) {
    return Api.rows(pool, "select string_agg(id || ':' || coalesce(" + column + "::text, '-'), ',' order by id) from "
        + view);
  }

  private String typeIn(String view, String column) {
    return Api.rows(pool, "select format_type(atttypid, atttypmod) from pg_attribute where attrelid = '" + view
        + "'::regclass and attname = '" + column + "'").get(0);
  }

  @Test
  void aColumnAddedSinceTheHeadIsConvertedWithAnExpressionAndEveryRefusalChangesNothing() {
    String repo = createRepository(uniqueName("branch-convert"));
    String t = trackNew(pool, repo, "orders", "id int primary key, status text not null",
        "values (1, 'new'), (2, 'new'), (3, 'new')");
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "dev", "from", "main")).statusCode(201);
    change(repo, "dev", added("priority", "text", " 5")).statusCode(200);
    change(repo, "dev", added("code", "text", "abc")).statusCode(200);
    String view = Api.view(repo, "dev", "orders");
    sql(pool, "update " + view + " set priority = ' 12' where id = 1");
    sql(pool, "update " + view + " set priority = 'x' where id = 2");
    int events = eventCount(repo);

    // refused before anything changes: no type; another operation's; another column, a volatile function, a
    // subquery, a statement or a comment smuggled in; a value the branch wrote, or a default, that does not
    // convert; the table's own column; a column the branch shows renamed
    change(repo, "dev", converting("priority", null, "trim(priority)::integer")).statusCode(422)
        .body("details.field", equalTo("operations[0].using"));
    Map<String, Object> addWithUsing = added("other", "integer", null);
    addWithUsing.put("using", "1");
    change(repo, "dev", addWithUsing).statusCode(422).body("details.field", equalTo("operations[0].using"));
    change(repo, "dev", converting("priority", "integer", "length(status || priority)")).statusCode(422)
        .body("message", containsString("status"));
    change(repo, "dev", converting("priority", "integer", "(random() * 10)::integer")).statusCode(422)
        .body("message", containsString("not immutable"));
    change(repo, "dev", converting("priority", "integer", "(select count(*) from pg_class)::integer"))
        .statusCode(422);
    change(repo, "dev", converting("priority", "integer", "priority)::integer; drop table " + t + "; select (1"))
        .statusCode(422).body("message", containsString("a parenthesis closes one the conversion did not open"));
    change(repo, "dev", converting("priority", "integer", "length(priority); drop table " + t)).statusCode(422)
        .body("message", containsString("a conversion is one expression: no semicolon"));
    change(repo, "dev", converting("priority", "integer", "length(priority) -- ")).statusCode(422)
        .body("message", containsString("comment"));
    change(repo, "dev", converting("priority", "integer", "trim(priority)::integer")).statusCode(422)
        .body("message", containsString("do not take the change"));
    change(repo, "dev", converting("code", "integer", "code::integer")).statusCode(422)
        .body("message", containsString("code"));
    change(repo, "dev", converting("status", "integer", "length(status)")).statusCode(422)
        .body("message", containsString("added since its head"));
    assertThat(eventCount(repo)).isEqualTo(events);
    assertThat(typeIn(view, "priority")).isEqualTo("text");
    assertThat(values(view, "priority")).containsExactly("1: 12,2:x,3: 5");
    assertThat(Api.rows(pool, "select (to_regclass('public." + t + "') is not null)::text")).containsExactly("true");

    // converted: the branch's rows by the expression, the rows it did not write read the converted default, a row
    // inserted without it takes it; the table is not touched
    sql(pool, "update " + view + " set priority = '3' where id = 2");
    change(repo, "dev", converting("priority", "integer", "trim(priority)::integer")).statusCode(200)
        .body("altered[0].type", equalTo("integer"))
        .body("columns.find { it.name == 'priority' }.type", equalTo("integer"));
    assertThat(eventCount(repo)).isEqualTo(events + 1);
    assertThat(typeIn(view, "priority")).isEqualTo("integer");
    assertThat(values(view, "priority")).containsExactly("1:12,2:3,3:5");
    sql(pool, "insert into " + view + " (id, status) values (4, 'new')");
    assertThat(values(view, "priority")).containsExactly("1:12,2:3,3:5,4:5");
    assertThat(Api.rows(pool, "select string_agg(attname, ',' order by attnum) from pg_attribute where attrelid = 'public."
        + t + "'::regclass and attnum > 0 and not attisdropped")).containsExactly("id,status");
    List<Map<String, Object>> recorded = given().queryParam("types", "io.strata.table.branch_schema_changed.v6")
        .queryParam("limit", 100).get("/api/v1/repositories/{r}/events", repo).then().statusCode(200).extract()
        .jsonPath().getList("items.findAll { it.data.operations[0].using != null }.data.operations[0]");
    assertThat(recorded).singleElement().satisfies(op -> {
      assertThat(op.get("using")).isEqualTo("trim(priority)::integer");
      assertThat(((Map<?, ?>) op.get("column")).get("type")).isEqualTo("integer");
      assertThat(((Map<?, ?>) op.get("column")).get("default_value")).isEqualTo("5");
    });

    // a conversion to the same type, and a null default converted to a value
    change(repo, "dev", converting("priority", "integer", "priority * 100")).statusCode(200);
    assertThat(values(view, "priority")).containsExactly("1:1200,2:300,3:500,4:500");
    change(repo, "dev", added("tier", "integer", null)).statusCode(200);
    sql(pool, "update " + view + " set tier = 2 where id = 1");
    change(repo, "dev", converting("tier", "text", "coalesce(tier, 0)::text || '*'")).statusCode(200);
    assertThat(values(view, "tier")).containsExactly("1:2*,2:0*,3:0*,4:0*");
    assertThat(loader.load(repo).await().atMost(Duration.ofSeconds(10)).addedOn("orders", "dev"))
        .isEqualTo(loader.fold(repo).await().atMost(Duration.ofSeconds(10)).addedOn("orders", "dev"));

    // a column shown under another name: refused until it is shown as added
    json().body(Map.of("operations", List.of(Map.of("op", "rename_column", "name", "code", "new_name", "label"))))
        .post("/api/v1/repositories/{r}/branches/dev/tables/orders/schema", repo).then().statusCode(200);
    change(repo, "dev", converting("label", "integer", "length(label)")).statusCode(422)
        .body("message", containsString("rename it back"));

    // committed, the column is in the head: converting it again is refused (a merge or a reset would meet values of
    // it in the old representation); the commit reads as converted
    String converted = json().body(Map.of("message", "priorities", "all", true))
        .post("/api/v1/repositories/{r}/branches/dev/commits", repo).then().statusCode(201).extract().path("id");
    int committed = eventCount(repo);
    change(repo, "dev", converting("priority", "bigint", "priority / 100")).statusCode(422)
        .body("message", containsString("head"));
    assertThat(eventCount(repo)).isEqualTo(committed);
    assertThat(given().queryParam("ref", converted).get("/api/v1/repositories/{r}/tables/orders/rows", repo).then()
        .statusCode(200).extract().jsonPath().getList("items.priority", Integer.class))
        .containsExactly(1200, 300, 500, 500);
    assertThat(Api.count(pool, "select count(*) from public." + t)).isEqualTo(3);

    // a soft reset past the commit leaves the column on the branch, uncommitted again; the commit still holds its
    // values, which a cherry-pick could bring back: refused too
    String before = given().get("/api/v1/repositories/{r}/commits/{c}", repo, converted).then().statusCode(200)
        .extract().path("parents[0]");
    json().body(Map.of("to", before, "mode", "soft")).post("/api/v1/repositories/{r}/branches/dev/reset", repo).then()
        .statusCode(200);
    change(repo, "dev", converting("priority", "bigint", "priority / 100")).statusCode(422)
        .body("message", containsString("a commit made on it"));
  }

  @Test
  void theWorkingLogsImagesAreConvertedTooSoADiscardOrAStashGivesBackConvertedValues() {
    String repo = createRepository(uniqueName("branch-convert-log"));
    trackNew(pool, repo, "orders", "id int primary key, status text not null",
        "values (1, 'new'), (2, 'new'), (3, 'new')");
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "w", "from", "main")).statusCode(201);
    change(repo, "w", added("p", "text", "7")).statusCode(200);
    String view = Api.view(repo, "w", "orders");
    sql(pool, "update " + view + " set p = '8' where id = 1");
    sql(pool, "update " + view + " set status = 'shipped' where id = 2");
    // one conversion a request
    json().body(Map.of("operations", List.of(converting("p", "integer", "p::integer"), converting("p", "integer",
            "p::integer")))).post("/api/v1/repositories/{r}/branches/w/tables/orders/schema", repo).then()
        .statusCode(422).body("message", containsString("one operation a request"));
    change(repo, "w", converting("p", "integer", "p::integer * 2")).statusCode(200);
    assertThat(values(view, "p")).containsExactly("1:16,2:14,3:14");
    // to a type without an equality operator
    change(repo, "w", added("j", "integer", 1)).statusCode(200);
    change(repo, "w", converting("j", "json", "('{\"n\": ' || j || '}')::json")).statusCode(200);
    assertThat(typeIn(view, "j")).isEqualTo("json");
    assertThat(values(view, "j")).containsExactly("1:{\"n\": 1},2:{\"n\": 1},3:{\"n\": 1}");

    // stashed (the shape change with the rows) and given back in the converted type
    json().body(Map.of("message", "wip")).post("/api/v1/repositories/{r}/branches/w/stash", repo).then()
        .statusCode(201).body("schema_tables", org.hamcrest.Matchers.hasItem("orders"));
    assertThat(Api.rows(pool, "select count(*)::text from pg_attribute where attrelid = '" + view
        + "'::regclass and attname = 'p' and not attisdropped")).containsExactly("0");
    json().body(Map.of()).post("/api/v1/repositories/{r}/branches/w/stash/0/pop", repo).then().statusCode(200);
    assertThat(typeIn(view, "p")).isEqualTo("integer");
    assertThat(values(view, "p")).containsExactly("1:16,2:14,3:14");

    // discarded: the rows go back to the head's, the column stays with its converted default
    given().delete("/api/v1/repositories/{r}/branches/w/working", repo).then().statusCode(204);
    assertThat(values(view, "p")).containsExactly("1:14,2:14,3:14");
    assertThat(Api.rows(pool, "select string_agg(status, ',' order by id) from " + view))
        .containsExactly("new,new,new");
  }

  @Test
  void theExpressionRunsAsItWasVettedNotThroughAFunctionAClientPutCloserOnThePath() {
    String repo = createRepository(uniqueName("branch-convert-path"));
    trackNew(pool, repo, "orders", "id int primary key, status text not null", "values (1, 'new'), (2, 'new')");
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "w", "from", "main")).statusCode(201);
    change(repo, "w", added("v", "character varying(10)", " a ")).statusCode(200);
    String view = Api.view(repo, "w", "orders");
    sql(pool, "update " + view + " set v = ' b ' where id = 1");
    // a closer match than pg_catalog.btrim(text) for a varchar, on the server's default search path
    sql(pool, "create function public.btrim(character varying) returns text language plpgsql immutable as"
        + " $f$ begin raise exception 'hijacked'; end $f$");
    try {
      change(repo, "w", converting("v", "text", "btrim(v)")).statusCode(200);
      assertThat(values(view, "v")).containsExactly("1:b,2:a");
    } finally {
      sql(pool, "drop function public.btrim(character varying)");
    }
  }
}
