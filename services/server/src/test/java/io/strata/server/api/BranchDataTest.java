package io.strata.server.api;

import static io.restassured.RestAssured.given;
import static io.strata.server.api.Api.count;
import static io.strata.server.api.Api.createRepository;
import static io.strata.server.api.Api.rows;
import static io.strata.server.api.Api.post;
import static io.strata.server.api.Api.sql;
import static io.strata.server.api.Api.uniqueName;
import static io.strata.server.api.Api.unguarded;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import io.strata.events.EventCodec;
import io.strata.projections.rowdata.TrackedTable;
import io.strata.server.TestDatabaseResource;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Branches over data: overlays, views and working logs per branch. Every branch reads its own
 * snapshot whoever writes to the table; SQL through a branch's view, stage, commit, discard, reads at
 * old commits and branches of branches all see exactly that branch's rows.
 */
@QuarkusTest
@WithTestResource(value = TestDatabaseResource.class, scope = TestResourceScope.GLOBAL)
class BranchDataTest {
  @Inject Pool pool;



  /** The rows a ref reads through the API, as JSON text in key order. */
  private List<String> read(String repo, String ref, boolean working) throws Exception {
    List<String> rows = new ArrayList<>();
    String after = null;
    do {
      var request = given().queryParam("ref", ref).queryParam("working", working).queryParam("limit", 7);
      if (after != null) {
        request.queryParam("after", after);
      }
      JsonNode page = EventCodec.mapper().readTree(request.get("/api/v1/repositories/{r}/tables/items/rows", repo)
          .then().log().ifValidationFails().statusCode(200).extract().asString());
      for (JsonNode row : page.get("items")) {
        rows.add(EventCodec.mapper().readTree(row.toString()).toString());
      }
      after = page.get("next").isNull() ? null : page.get("next").asText();
    } while (after != null);
    return rows;
  }

  /** The same rows as PostgreSQL renders them from a relation, normalised through Jackson. */
  private List<String> rowsIn(String relation) throws Exception {
    List<String> out = new ArrayList<>();
    for (String text : rows(pool, "select row_to_json(x)::text from " + relation + " x order by id")) {
      out.add(EventCodec.mapper().readTree(text).toString());
    }
    return out;
  }

  private String head(String repo, String branch) {
    return Api.head(repo, branch);
  }

  @Test
  void branchesReadTheirOwnSnapshotsAndWriteThroughTheirViews() throws Exception {
    String repo = createRepository(uniqueName("branchdata"));
    String t = uniqueName("items").replace("-", "_");
    sql(pool, "create table public." + t + " (id int primary key, name text not null, qty int, tags text[], doc jsonb)");
    sql(pool, "insert into public." + t + " select g, 'n' || g, g * 2, array['a' || g], jsonb_build_object('g', g)"
        + " from generate_series(1, 40) g");
    post("/api/v1/repositories/" + repo + "/tables", Map.of("name", "items", "location", "postgresql://local/public." + t))
        .statusCode(201);
    List<String> tracked = rowsIn("public." + t);
    String tid = TrackedTable.idOf(repo, "items");

    // a branch of a clean main copies nothing
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "dev", "from", "main")).statusCode(201);
    String devOverlay = "strata.\"" + tid + "__v_" + TrackedTable.branchIdOf(repo, "dev") + "\"";
    assertThat(count(pool, "select count(*) from " + devOverlay)).isZero();
    assertThat(read(repo, "dev", true)).isEqualTo(tracked);
    String devView = Api.view(repo, "dev", "items");

    // an application writes straight to the table: main's working state changes, dev's does not
    sql(pool, "update public." + t + " set qty = -1 where id <= 3");
    sql(pool, "delete from public." + t + " where id in (10, 11)");
    sql(pool, "insert into public." + t + " values (100, 'app', 1, null, null)");
    sql(pool, "update public." + t + " set id = 200 where id = 20"); // key change
    assertThat(read(repo, "main", true)).isEqualTo(rowsIn("public." + t));
    assertThat(read(repo, "main", false)).isEqualTo(tracked);
    assertThat(read(repo, "dev", true)).isEqualTo(tracked);
    assertThat(rowsIn(devView)).isEqualTo(tracked);

    // SQL through dev's view: multi-row statements, a key change, inserts and deletes
    sql(pool, "update " + devView + " set qty = qty + 1000 where id between 1 and 5");
    sql(pool, "insert into " + devView + " values (300, 'dev', 3, array['x', null], '{\"deep\": [1, {\"a\": null}]}'),"
        + " (301, 'dev2', null, null, null)");
    sql(pool, "delete from " + devView + " where id in (6, 100)"); // 100 exists on main only: nothing on dev
    sql(pool, "update " + devView + " set id = 500 where id = 7");
    List<String> devWorking = rowsIn(devView);
    assertThat(devWorking).hasSize(40 + 2 - 1);
    assertThat(read(repo, "dev", true)).isEqualTo(devWorking);
    assertThat(read(repo, "dev", false)).isEqualTo(tracked);
    assertThat(count(pool, "select count(*) from public." + t + " where qty >= 1000 or id in (300, 301, 500)")).isZero();
    given().get("/api/v1/repositories/{r}/branches/dev/status", repo).then().statusCode(200)
        .body("tables[0].unstaged.inserted", equalTo(3)).body("tables[0].unstaged.updated", equalTo(5))
        .body("tables[0].unstaged.deleted", equalTo(2));
    // a duplicate key through the view is refused, and changes nothing
    given().contentType("application/json").get("/api/v1/repositories/{r}", repo).then().statusCode(200);
    assertThat(pool.query("insert into " + devView + " values (300, 'again', 0, null, null)").execute()
        .onFailure().recoverWithNull().await().atMost(Duration.ofSeconds(10))).isNull();
    assertThat(rowsIn(devView)).isEqualTo(devWorking);

    // commit on dev: its head reads its working state; main is untouched
    String beforeCommit = head(repo, "dev");
    Api.json().body(Map.of("message", "dev work", "all", true))
        .post("/api/v1/repositories/{r}/branches/dev/commits", repo).then().log().ifValidationFails().statusCode(201)
        .body("stats.inserted", equalTo(3)).body("stats.updated", equalTo(5)).body("stats.deleted", equalTo(2));
    assertThat(read(repo, "dev", false)).isEqualTo(devWorking);
    assertThat(read(repo, beforeCommit, false)).isEqualTo(tracked);
    assertThat(read(repo, "dev~1", false)).isEqualTo(tracked);
    assertThat(read(repo, "main", false)).isEqualTo(tracked);
    given().queryParam("from", "main").queryParam("to", "dev")
        .get("/api/v1/repositories/{r}/diff", repo).then().statusCode(200)
        .body("tables[0].inserted", equalTo(3)).body("tables[0].updated", equalTo(5))
        .body("tables[0].deleted", equalTo(2));

    // a branch of a branch starts at dev's head, with one overlay level
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "feature/x", "from", "dev")).statusCode(201);
    assertThat(read(repo, "feature/x", true)).isEqualTo(devWorking);
    String featureView = Api.view(repo, "feature/x", "items");
    sql(pool, "update " + featureView + " set name = 'feature' where id = 300");
    assertThat(read(repo, "dev", true)).isEqualTo(devWorking);
    assertThat(read(repo, "feature/x", true)).isNotEqualTo(devWorking);

    // main commits its application writes; dev and feature still read their own
    Api.json().body(Map.of("message", "app writes", "all", true))
        .post("/api/v1/repositories/{r}/branches/main/commits", repo).then().statusCode(201);
    List<String> mainNow = rowsIn("public." + t);
    assertThat(read(repo, "main", false)).isEqualTo(mainNow);
    assertThat(read(repo, "dev", false)).isEqualTo(devWorking);
    assertThat(read(repo, "main~1", false)).isEqualTo(tracked);

    // a branch from an old commit holds the rows that changed since, nothing more
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "old", "from", "main~1")).statusCode(201);
    assertThat(read(repo, "old", true)).isEqualTo(tracked);
    assertThat(count(pool, "select count(*) from strata.\"" + tid + "__v_" + TrackedTable.branchIdOf(repo, "old") + "\""))
        .isLessThanOrEqualTo(8);
    // ... and a branch from dev's old commit: changes on both paths
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "olddev", "from", beforeCommit)).statusCode(201);
    assertThat(read(repo, "olddev", true)).isEqualTo(tracked);

    // discard on a branch restores its last commit exactly
    sql(pool, "delete from " + featureView + " where id < 30");
    sql(pool, "insert into " + featureView + " values (999, 'tmp', 0, null, null)");
    Api.json().urlEncodingEnabled(false).body(Map.of()).delete("/api/v1/repositories/" + repo + "/branches/feature%2Fx/working").then()
        .statusCode(204);
    assertThat(read(repo, "feature/x", true)).isEqualTo(devWorking);

    // deleting a branch removes its overlay, working log and view
    given().urlEncodingEnabled(false).queryParam("force", true).delete("/api/v1/repositories/" + repo + "/branches/feature%2Fx")
        .then().statusCode(204);
    assertThat(count(pool, "select count(*) from pg_class where relname like '" + tid + "%"
        + TrackedTable.branchIdOf(repo, "feature/x") + "'")).isZero();
    String featureSchema = featureView.substring(0, featureView.indexOf("\".")).replace("\"", "");
    assertThat(featureSchema).startsWith("strata_feature_x_");
    assertThat(count(pool, "select count(*) from pg_namespace where nspname = '" + featureSchema + "'")).isZero();
    assertThat(read(repo, "dev", true)).isEqualTo(devWorking);
  }

  @Test
  void aTableTrackedAfterBranchingIsVisibleOnEveryBranch() throws Exception {
    String repo = createRepository(uniqueName("latetrack"));
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "exp", "from", "main")).statusCode(201);
    String t = uniqueName("items").replace("-", "_");
    sql(pool, "create table public." + t + " (id int primary key, name text)");
    sql(pool, "insert into public." + t + " select g, 'n' || g from generate_series(1, 5) g");
    post("/api/v1/repositories/" + repo + "/tables", Map.of("name", "items", "location", "postgresql://local/public." + t))
        .statusCode(201);
    sql(pool, "update " + Api.view(repo, "exp", "items") + " set name = 'exp' where id = 1");
    assertThat(rows(pool, "select name from public." + t + " where id = 1")).containsExactly("n1");
    assertThat(read(repo, "exp", true).get(0)).contains("\"exp\"");
    // a query at the branch's previous commit reads the row as it was (the query role's state functions)
    Api.json().body(Map.of("message", "exp", "all", true)).post("/api/v1/repositories/{r}/branches/exp/commits", repo)
        .then().statusCode(201);
    Api.json().body(Map.of("sql", "select name from items where id = 1", "ref", "exp~1")).post("/api/v1/repositories/{r}/query", repo)
        .then().statusCode(200).body("rows[0][0]", org.hamcrest.Matchers.equalTo("n1"));
    // untracking removes the branch objects too, and the query role's functions
    given().delete("/api/v1/repositories/{r}/tables/items", repo).then().statusCode(204);
    assertThat(count(pool, "select count(*) from pg_class where relname like '" + TrackedTable.idOf(repo, "items") + "%'"))
        .isZero();
    assertThat(count(pool, "select count(*) from pg_proc where proname like '" + TrackedTable.idOf(repo, "items") + "%'"))
        .isZero();
  }

  @Test
  void ddlOnATrackedTableIsReportedClearly() {
    String repo = createRepository(uniqueName("ddl"));
    String t = uniqueName("shape").replace("-", "_");
    sql(pool, "create table public." + t + " (id int primary key, name text)");
    sql(pool, "insert into public." + t + " values (1, 'a')");
    post("/api/v1/repositories/" + repo + "/tables", Map.of("name", t, "location", "postgresql://local/public." + t))
        .statusCode(201);
    // the DDL guard refuses a new column (below); made past it, Strata's commands refuse the table
    unguarded(pool, "alter table public." + t + " add column extra int");
    sql(pool, "update public." + t + " set extra = 1");
    String head = Api.head(repo, "main");
    Api.json().body(Map.of("message", "after ddl", "all", true))
        .post("/api/v1/repositories/{r}/branches/main/commits", repo).then().statusCode(422)
        .body("error", equalTo("ValidationError")).body("message", org.hamcrest.Matchers.containsString("changed its columns"));
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "after")).statusCode(422);
    Api.json().body(Map.of("name", "x")).put("/api/v1/repositories/{r}/branches/main/tables/{t}/rows/2", repo, t)
        .then().statusCode(422);
    Api.json().body(Map.of("sql", "select 1")).post("/api/v1/repositories/{r}/query", repo).then().statusCode(422);
    assertThat(Api.head(repo, "main")).isEqualTo(head);
    // reverting the DDL makes the table usable again
    unguarded(pool, "alter table public." + t + " drop column extra");
    Api.json().body(Map.of("message", "after revert", "all", true, "allow_empty", true))
        .post("/api/v1/repositories/{r}/branches/main/commits", repo).then().statusCode(201);

    // a tracked table dropped by its owner: reads and status say so (and untracking still works)
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "kept")).statusCode(201);
    unguarded(pool, "drop table public." + t + " cascade");
    for (String path : List.of("/branches/main/status", "/branches/kept/status", "/tables/" + t + "/rows",
        "/tables/" + t + "/rows?ref=kept&working=true", "/tables/" + t + "/rows/1?ref=" + head)) {
      given().get("/api/v1/repositories/" + repo + path).then().statusCode(422).body("error", equalTo("ValidationError"))
          .body("message", org.hamcrest.Matchers.containsString("no longer exists"));
    }
    given().delete("/api/v1/repositories/{r}/tables/{t}", repo, t).then().statusCode(204);
  }

  /**
   * DDL made with psql (a column added or dropped): every row read (at main, at an older commit,
   * on a branch forked before, one row, NDJSON) and every status answers the 422 commits give, never a
   * 500 "cannot cast type record to …" (SQLSTATE 42846).
   */
  @Test
  void readsAndStatusAfterDdlAnswerTheDocumented422() {
    // (a column of the branches' views is dropped or retyped only with cascade, which drops the views too)
    for (String ddl : List.of("add column extra int", "drop column name cascade")) {
      String repo = createRepository(uniqueName("ddl-read"));
      String t = uniqueName("reshaped").replace("-", "_");
      sql(pool, "create table public." + t + " (id int primary key, name text)");
      sql(pool, "insert into public." + t + " values (1, 'a'), (2, 'b')");
      post("/api/v1/repositories/" + repo + "/tables", Map.of("name", t, "location", "postgresql://local/public." + t))
          .statusCode(201);
      String older = Api.head(repo, "main");
      post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "before")).statusCode(201);
      sql(pool, "update " + Api.view(repo, "before", t) + " set name = 'x' where id = 2");
      sql(pool, "update public." + t + " set name = 'c' where id = 1");
      Api.json().body(Map.of("message", "one more", "all", true))
          .post("/api/v1/repositories/{r}/branches/main/commits", repo).then().statusCode(201);
      unguarded(pool, "alter table public." + t + " " + ddl);
      // committed states are read through the row type recorded when the table was tracked: refused
      for (String path : List.of("/tables/" + t + "/rows", "/tables/" + t + "/rows?ref=" + older,
          "/tables/" + t + "/rows?ref=before", "/tables/" + t + "/rows/1", "/tables/" + t + "/rows/2?ref=before")) {
        given().get("/api/v1/repositories/" + repo + path).then().log().ifValidationFails()
            .statusCode(422).body("error", equalTo("ValidationError"))
            .body("message", org.hamcrest.Matchers.containsString("changed its columns"));
      }
      // a working state or a status the DDL does not get in the way of still answers; one it does is the 422
      for (String path : List.of("/tables/" + t + "/rows?working=true", "/tables/" + t + "/rows?ref=before&working=true",
          "/branches/main/status", "/branches/before/status")) {
        Response r = given().get("/api/v1/repositories/" + repo + path);
        assertThat(r.statusCode()).as(ddl + ": " + path + " " + r.asString()).isIn(200, 422);
        if (r.statusCode() == 422) {
          assertThat(r.jsonPath().getString("message")).as(ddl + ": " + path).contains("changed its columns");
        }
      }
      given().accept("application/x-ndjson").get("/api/v1/repositories/{r}/tables/{t}/rows?ref=" + older, repo, t)
          .then().statusCode(org.hamcrest.Matchers.lessThan(500));
    }
  }
}
