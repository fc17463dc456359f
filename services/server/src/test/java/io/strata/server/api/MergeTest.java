package io.strata.server.api;

import static io.restassured.RestAssured.given;
import static io.strata.server.api.Api.createRepository;
import static io.strata.server.api.Api.head;
import static io.strata.server.api.Api.json;
import static io.strata.server.api.Api.post;
import static io.strata.server.api.Api.rows;
import static io.strata.server.api.Api.sql;
import static io.strata.server.api.Api.trackNew;
import static io.strata.server.api.Api.uniqueName;
import static io.strata.server.api.Api.view;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.nullValue;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.path.json.JsonPath;
import io.strata.server.TestDatabaseResource;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Three-way merges through the API: the field-level truth table, row-level conflicts, strategies, a
 * merge in progress (listing, resolutions, continue, abort), dry runs, fast-forwards and both directions.
 * ours = the target branch, theirs = the source.
 */
@QuarkusTest
@WithTestResource(value = TestDatabaseResource.class, scope = TestResourceScope.GLOBAL)
class MergeTest {
  @Inject Pool pool;

  static {
    RestAssured.enableLoggingOfRequestAndResponseIfValidationFails();
  }

  /** One row of the seed's truth table: the field at the base (A), on the source (S) and on the target (T). */
  record Case(int id, String a, String s, String t, String result, boolean conflict) {}

  /** Horizon Epoch's field-level truth table, one row per key; null is SQL NULL. */
  static final List<Case> TRUTH_TABLE = List.of(
      new Case(1, "a", "a", "a", "a", false),
      new Case(2, "a", "s", "a", "s", false),
      new Case(3, "a", "a", "t", "t", false),
      new Case(4, "a", "s", "s", "s", false),
      new Case(5, "a", "s", "t", null, true),
      new Case(6, null, "s", null, "s", false),
      new Case(7, null, null, "t", "t", false),
      new Case(8, null, "s", "t", null, true),
      new Case(9, "a", null, "a", null, false),
      new Case(10, "a", "a", null, null, false),
      new Case(11, "a", null, "t", null, true));

  private static String literal(String v) {
    return v == null ? "null" : "'" + v + "'";
  }

  private static String base(String repo, String branch) {
    return "/api/v1/repositories/" + repo + "/branches/" + branch.replace("/", "%2F");
  }

  private static JsonPath merge(String repo, String target, Map<String, Object> body, int status) {
    return given().urlEncodingEnabled(false).contentType("application/json").body(body)
        .post(base(repo, target) + "/merge").then().statusCode(status).extract().jsonPath();
  }

  private static void commitAll(String repo, String branch, String message) {
    given().urlEncodingEnabled(false).contentType("application/json")
        .body(Map.of("message", message, "all", true, "allow_empty", true))
        .post(base(repo, branch) + "/commits").then().statusCode(201);
  }

  /** Rows of a relation as "id:v:s_touch:t_touch", in key order. */
  private List<String> touched(String relation) {
    return rows(pool, "select id || ':' || coalesce(v, '∅') || ':' || s_touch || ':' || t_touch from " + relation
        + " order by id");
  }

  @Test
  void everyRowOfTheTruthTableMergesAsTheSeedSaysAndConflictsKeepOurs() {
    String repo = createRepository(uniqueName("truth"));
    StringBuilder values = new StringBuilder();
    for (Case c : TRUTH_TABLE) {
      values.append(values.isEmpty() ? "" : ", ").append("(").append(c.id()).append(", ").append(literal(c.a()))
          .append(", 0, 0)");
    }
    String t = trackNew(pool, repo, "cases", "id int primary key, v text, s_touch int not null, t_touch int not null",
        "values " + values);
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "feature")).statusCode(201);
    String feature = view(repo, "feature", "cases");
    for (Case c : TRUTH_TABLE) { // both sides change every row (another column each), so the fields are compared
      sql(pool, "update " + feature + " set v = " + literal(c.s()) + ", s_touch = 1 where id = " + c.id());
      sql(pool, "update public." + t + " set v = " + literal(c.t()) + ", t_touch = 1 where id = " + c.id());
    }
    commitAll(repo, "feature", "source side");
    commitAll(repo, "main", "target side");
    String ours = head(repo, "main");
    String theirs = head(repo, "feature");

    JsonPath refused = merge(repo, "main", Map.of("source", "feature"), 409);
    assertThat(refused.getString("error")).isEqualTo("MergeConflict");
    assertThat(refused.getInt("details.conflicts")).isEqualTo(3);
    // a conflict's key is the key's values as JSON (an array), not a string holding JSON
    assertThat(refused.getList("details.first_conflicts.key")).containsExactly(List.of(5), List.of(8), List.of(11));
    assertThat(refused.getBoolean("details.merge.merge_in_progress")).isTrue();
    assertThat(refused.getString("details.merge.strategy")).isEqualTo("three_way");
    assertThat(refused.getString("details.merge.merge_base")).isNotNull();
    // during the merge, the table shows the merged rows, ours in the conflicting fields
    List<String> expected = new ArrayList<>();
    for (Case c : TRUTH_TABLE) {
      expected.add(c.id() + ":" + (c.conflict() ? (c.t() == null ? "∅" : c.t()) : c.result() == null ? "∅" : c.result())
          + ":1:1");
    }
    assertThat(touched("public." + t)).containsExactlyElementsOf(expected);
    given().get(base(repo, "main") + "/status").then().statusCode(200)
        .body("merge_in_progress", equalTo(true)).body("merge.conflicts", equalTo(3));

    JsonPath listed = given().get(base(repo, "main") + "/merge").then().statusCode(200).extract().jsonPath();
    assertThat(listed.getInt("total")).isEqualTo(3);
    assertThat(listed.getList("items.type")).containsOnly("modify_modify");
    assertThat(listed.getList("items[0].fields.name")).containsExactly("v");
    assertThat(listed.getBoolean("merge_in_progress")).isTrue();
    assertThat(listed.getString("strategy")).isEqualTo("three_way");
    assertThat(listed.getList("items.key")).containsExactly(List.of(5), List.of(8), List.of(11));
    // field values are JSON values, not JSON text in strings
    assertThat(listed.getString("items[0].fields[0].base")).isEqualTo("a");
    assertThat(listed.getString("items[0].fields[0].ours")).isEqualTo("t");
    assertThat(listed.getString("items[0].fields[0].theirs")).isEqualTo("s");
    assertThat(listed.getString("items[1].fields[0].base")).as("SQL NULL at the base").isNull();
    assertThat(listed.getMap("$")).doesNotContainKey("conflicts").containsKey("total");
    // the conflicts, to any SQL tool
    assertThat(rows(pool, "select id || ':' || coalesce(base_v, '∅') || ':' || coalesce(ours_v, '∅') || ':'"
        + " || coalesce(theirs_v, '∅') from strata_main." + t + "__conflicts order by id"))
        .containsExactly("5:a:t:s", "8:∅:t:s", "11:a:t:∅");

    // replaying the log rebuilds the merge in progress as the projections hold it
    Map<String, String> live = Api.digest();
    given().post("/api/v1/admin/projections/rebuild").then().statusCode(200);
    assertThat(Api.digest()).isEqualTo(live);

    // other commands that would move main wait for the merge
    json().body(Map.of("message", "x", "allow_empty", true)).post(base(repo, "main") + "/commits").then()
        .statusCode(409).body("error", equalTo("MergeInProgress"));
    json().post(base(repo, "main") + "/merge/continue").then().statusCode(409).body("error", equalTo("MergeConflict"))
        .body("details.conflicts", equalTo(3));

    json().body(Map.of("key", List.of(5), "take", "theirs")).post(base(repo, "main") + "/merge/resolutions").then()
        .statusCode(422); // a key names a row of a table
    json().body(Map.of("table", "cases", "key", List.of(5), "take", "theirs"))
        .post(base(repo, "main") + "/merge/resolutions").then()
        .statusCode(200).body("resolved", equalTo(1)).body("remaining", equalTo(2));
    json().body(Map.of("table", "cases", "key", 8, "field", "v", "take", "ours"))
        .post(base(repo, "main") + "/merge/resolutions").then().statusCode(200).body("remaining", equalTo(1));
    json().body(Map.of("table", "cases", "key", List.of(7), "take", "ours"))
        .post(base(repo, "main") + "/merge/resolutions").then().statusCode(422);
    json().body(Map.of("table", "nope", "take", "ours")).post(base(repo, "main") + "/merge/resolutions").then()
        .statusCode(422);
    json().body(Map.of("table", "cases", "take", "value", "value", "z")).post(base(repo, "main") + "/merge/resolutions")
        .then().statusCode(200).body("remaining", equalTo(0));
    assertThat(rows(pool, "select count(*)::text from strata_main." + t + "__conflicts")).containsExactly("0");

    JsonPath merged = json().body(Map.of()).post(base(repo, "main") + "/merge/continue").then().statusCode(201)
        .extract().jsonPath();
    assertThat(merged.getList("parents")).containsExactly(ours, theirs);
    assertThat(merged.getString("message")).isEqualTo("Merge feature into main");
    assertThat(touched("public." + t)).contains("5:s:1:1", "8:t:1:1", "11:z:1:1");
    given().get(base(repo, "main") + "/status").then().statusCode(200).body("merge_in_progress", equalTo(false))
        .body("clean", equalTo(true));
    // the view stays for the next merge, empty: ending a merge takes no lock a reader of it holds up
    assertThat(rows(pool, "select count(*)::text from strata_main." + t + "__conflicts")).containsExactly("0");

    // history walks through either parent: the source's rows read at its commit from main, the diffs agree
    String id = merged.getString("id");
    JsonPath atSource = given().get("/api/v1/repositories/" + repo + "/tables/cases/rows?ref=" + theirs + "&limit=100")
        .then().statusCode(200).extract().jsonPath();
    for (Case c : TRUTH_TABLE) {
      assertThat((String) atSource.get("items.find { it.id == " + c.id() + " }.v")).isEqualTo(c.s());
    }
    given().get("/api/v1/repositories/" + repo + "/diff?from=" + theirs + "&to=" + id).then().statusCode(200)
        .body("tables[0].updated", equalTo(TRUTH_TABLE.size()));
    given().get("/api/v1/repositories/" + repo + "/diff?from=" + ours + "&to=" + id).then().statusCode(200)
        .body("tables[0].updated", equalTo(TRUTH_TABLE.size())); // every row took the source's s_touch
  }

  @Test
  void rowLevelConflictsAndAutomaticMerges() {
    String repo = createRepository(uniqueName("rows"));
    String t = trackNew(pool, repo, "items", "id int primary key, name text, qty int, doc jsonb",
        "select g, 'n' || g, g, jsonb_build_object('a', 1, 'b', 1) from generate_series(1, 10) g");
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "dev")).statusCode(201);
    String dev = view(repo, "dev", "items");
    // theirs (dev)
    sql(pool, "delete from " + dev + " where id = 1");                         // delete vs modify
    sql(pool, "update " + dev + " set qty = 200 where id = 2");                // modify vs delete
    sql(pool, "insert into " + dev + " values (20, 'same', 1, null)");         // identical add
    sql(pool, "insert into " + dev + " values (21, 'dev', 1, null)");          // add vs add
    sql(pool, "delete from " + dev + " where id = 3");                         // both delete
    sql(pool, "update " + dev + " set name = 'dev4' where id = 4");            // different fields
    sql(pool, "update " + dev + " set doc = doc || '{\"a\": 2}' where id = 5"); // jsonb: different keys
    sql(pool, "update " + dev + " set doc = doc || '{\"a\": 2}' where id = 6"); // jsonb: same key, differently
    sql(pool, "update " + dev + " set qty = null where id = 7");               // NULL against a value
    sql(pool, "update " + dev + " set qty = 80 where id = 8");                 // one side only
    commitAll(repo, "dev", "dev");
    // ours (main)
    sql(pool, "update public." + t + " set qty = 100 where id = 1");
    sql(pool, "delete from public." + t + " where id in (2, 3)");
    sql(pool, "insert into public." + t + " values (20, 'same', 1, null), (21, 'main', 1, null)");
    sql(pool, "update public." + t + " set qty = 40 where id = 4");
    sql(pool, "update public." + t + " set doc = doc || '{\"b\": 3}' where id = 5");
    sql(pool, "update public." + t + " set doc = doc || '{\"a\": 3}' where id = 6");
    sql(pool, "update public." + t + " set qty = 70 where id = 7");
    commitAll(repo, "main", "main");

    JsonPath dry = merge(repo, "main", Map.of("source", "dev", "dry_run", true), 200);
    assertThat(dry.getBoolean("dry_run")).isTrue();
    assertThat(dry.getInt("conflicts")).isEqualTo(5);
    assertThat(dry.getBoolean("merge_in_progress")).as("a dry run keeps nothing in progress").isFalse();
    assertThat(dry.getString("commit")).isNull();
    assertThat(dry.getMap("$")).doesNotContainKeys("conflict_count", "has_conflicts", "result_commit_id",
        "is_fast_forward");
    Map<String, String> kinds = new HashMap<>();
    for (Map<String, Object> c : dry.<Map<String, Object>>getList("conflict_details")) {
      assertThat(c.get("key")).isInstanceOf(List.class);
      kinds.put(String.valueOf(c.get("key")), (String) c.get("type"));
    }
    assertThat(kinds).containsExactlyInAnyOrderEntriesOf(Map.of("[1]", "delete_modify", "[2]", "modify_delete",
        "[21]", "add_add", "[6]", "modify_modify", "[7]", "modify_modify"));
    // nothing open: 200 with merge_in_progress false, as GET …/rebase answers with no rebase
    given().get(base(repo, "main") + "/merge").then().statusCode(200).body("merge_in_progress", equalTo(false))
        .body("source", nullValue()).body("items", hasSize(0)).body("total", equalTo(0));
    given().get(base(repo, "main") + "/rebase").then().statusCode(200).body("rebase_in_progress", equalTo(false));
    given().accept("application/x-ndjson").get(base(repo, "main") + "/merge").then().statusCode(200)
        .body(equalTo(""));

    JsonPath theirs = merge(repo, "main", Map.of("source", "dev", "strategy", "theirs"), 200);
    assertThat(theirs.getInt("conflicts")).isEqualTo(5);
    assertThat(theirs.getBoolean("merge_in_progress")).isFalse();
    assertThat(theirs.getString("commit")).isNotNull();
    assertThat(rows(pool, "select id || ':' || coalesce(name, '∅') || ':' || coalesce(qty::text, '∅') || ':'"
        + " || coalesce(doc::text, '∅') from public." + t + " order by id")).containsExactly(
        "2:n2:200:{\"a\": 1, \"b\": 1}",             // theirs' row against our delete
        "4:dev4:40:{\"a\": 1, \"b\": 1}",            // different fields of one row merge
        "5:n5:5:{\"a\": 2, \"b\": 3}",               // different keys of one JSON object merge
        "6:n6:6:{\"a\": 2, \"b\": 1}",               // the same key: theirs
        "7:n7:∅:{\"a\": 1, \"b\": 1}",               // NULL is a value
        "8:n8:80:{\"a\": 1, \"b\": 1}",
        "9:n9:9:{\"a\": 1, \"b\": 1}", "10:n10:10:{\"a\": 1, \"b\": 1}",
        "20:same:1:∅", "21:dev:1:∅");                // 1 deleted (theirs), 3 deleted on both
  }

  /**
   * Every column type of TimeTravelTest under a composite key: each side changes different columns of
   * the same rows, and a merge into a branch (its overlay) keeps every value exactly as each side wrote
   * it — the merged row equals, column by column, the row a hand-made merge of the two gives.
   */
  @Test
  void everyColumnTypeMergesFieldByFieldUnderACompositeKey() {
    String repo = createRepository(uniqueName("types"));
    String t = trackNew(pool, repo, "events", "region varchar(8) not null, id bigint not null, n integer,"
        + " amount numeric(14,4), label text, ok boolean, day date, at timestamp, atz timestamptz, uid uuid, doc jsonb,"
        + " raw bytea, tags text[], nums int[], exact numeric, primary key (region, id)",
        "select case when g % 3 = 0 then 'eu' else 'us' end, g, g, g * 1.0625,"
        + " case when g % 5 = 0 then null else 'l' || g end, g % 2 = 0, date '2026-01-01' + g,"
        + " timestamp '2026-01-01 10:00:00.123456' + g * interval '1 minute', timestamptz '2026-01-01 00:00:00+02' + g * interval '1 day',"
        + " md5(g::text)::uuid, jsonb_build_object('g', g), decode(md5(g::text), 'hex'), array['x', null, 'z'], array[g, null],"
        + " 12345678901234567890.123456789 + g * 1.10 from generate_series(1, 30) g");
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "left")).statusCode(201);
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "right")).statusCode(201);
    String left = view(repo, "left", "events");
    String right = view(repo, "right", "events");
    String[] leftSets = {"n = -n", "label = null", "day = day + 1", "atz = atz + interval '1 second'", "raw = '\\x00ff'",
        "nums = array[null, 7]", "exact = exact * 3"};
    String[] rightSets = {"amount = amount / 3", "ok = not ok", "at = at - interval '1 day'", "uid = gen_random_uuid()",
        "doc = doc || '{\"r\": [1, null]}'", "tags = array[]::text[]"};
    sql(pool, "update " + left + " set " + String.join(", ", leftSets) + " where id % 2 = 0");
    sql(pool, "update " + right + " set " + String.join(", ", rightSets) + " where id % 3 <> 1");
    sql(pool, "insert into " + right + " (region, id, label) values ('ap', 1, 'new')");
    commitAll(repo, "right", "right");
    commitAll(repo, "left", "left");
    // the expected merge, written by hand: the left's columns from left, the right's from right
    StringBuilder columns = new StringBuilder("r.region, r.id");
    for (String c : List.of("n", "amount", "label", "ok", "day", "at", "atz", "uid", "doc", "raw", "tags", "nums", "exact")) {
      boolean fromLeft = List.of("n", "label", "day", "atz", "raw", "nums", "exact").contains(c);
      columns.append(", ").append(fromLeft ? "case when l.id is null then r." + c + " else l." + c + " end" : "r." + c)
          .append(" as ").append(c);
    }
    List<String> expected = rows(pool, "select to_jsonb(x)::text from (select " + columns + " from " + right
        + " r left join " + left + " l using (region, id)) x order by region, id");
    JsonPath merged = merge(repo, "left", Map.of("source", "right"), 200);
    assertThat(merged.getInt("conflicts")).isZero();
    assertThat(merged.getInt("stats.inserted")).isEqualTo(1);
    assertThat(rows(pool, "select to_jsonb(x)::text from (select * from " + left + ") x order by region, id"))
        .isEqualTo(expected);
    // the merge commit reads the same at its id, and the source side is undisturbed
    String id = merged.getString("commit");
    JsonPath atCommit = given().get("/api/v1/repositories/" + repo + "/tables/events/rows?ref=" + id + "&limit=100")
        .then().statusCode(200).extract().jsonPath();
    assertThat(atCommit.getList("items")).hasSize(31);
  }

  /**
   * After criss-cross merges two branches have two lowest common ancestors: the merge base is the one
   * of the highest generation, then the newest, then the smallest id — the same answer every time, and
   * the one compare gives.
   */
  @Test
  void crissCrossMergesChooseTheirMergeBaseDeterministically() {
    String repo = createRepository(uniqueName("crisscross"));
    trackNew(pool, repo, "kv", "id int primary key, v int", "select g, g from generate_series(1, 10) g");
    for (String b : List.of("a", "b")) {
      post("/api/v1/repositories/" + repo + "/branches", Map.of("name", b)).statusCode(201);
    }
    sql(pool, "update " + view(repo, "a", "kv") + " set v = 100 where id = 1");
    commitAll(repo, "a", "a1");
    String a1 = head(repo, "a");
    sql(pool, "update " + view(repo, "b", "kv") + " set v = 200 where id = 2");
    commitAll(repo, "b", "b1");
    String b1 = head(repo, "b");
    // each merges the other's first commit: a1 and b1 are both lowest common ancestors of a and b
    merge(repo, "a", Map.of("source", b1), 200);
    merge(repo, "b", Map.of("source", a1), 200);
    String newest = given().get("/api/v1/repositories/" + repo + "/commits/" + a1).then().extract().path("created_at")
        .toString().compareTo(given().get("/api/v1/repositories/" + repo + "/commits/" + b1).then().extract()
            .path("created_at").toString()) > 0 ? a1 : b1;
    JsonPath dry = merge(repo, "a", Map.of("source", "b", "dry_run", true), 200);
    assertThat(dry.getString("merge_base")).isIn(a1, b1).isEqualTo(newest);
    for (int i = 0; i < 3; i++) {
      assertThat(merge(repo, "a", Map.of("source", "b", "dry_run", true), 200).getString("merge_base")).isEqualTo(newest);
    }
    given().get("/api/v1/repositories/" + repo + "/compare?base=a&head=b").then().statusCode(200)
        .body("merge_base", equalTo(newest));
    // the merge itself takes both sides' rows
    merge(repo, "a", Map.of("source", "b"), 200);
    assertThat(rows(pool, "select id || ':' || v from " + view(repo, "a", "kv") + " where id <= 2 order by id"))
        .containsExactly("1:100", "2:200");
  }

  /**
   * A stored generated column computed from fields each side changed: the table computes it anew on the
   * default branch, the merge does on a branch's overlay, and the merge commit records the rows as they
   * are stored (read back at the commit).
   */
  @Test
  void generatedColumnsOfMergedRowsAreComputedAndRecordedAsStored() {
    String repo = createRepository(uniqueName("generated"));
    String t = trackNew(pool, repo, "lines", "id int primary key, qty int, price int,"
        + " total int generated always as (qty * price) stored", "select g, 1, 10 from generate_series(1, 4) g");
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "f")).statusCode(201);
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "g")).statusCode(201);
    sql(pool, "update " + view(repo, "f", "lines") + " set qty = 3 where id <= 2");
    commitAll(repo, "f", "f");
    sql(pool, "update public." + t + " set price = 7 where id in (1, 3)");
    commitAll(repo, "main", "main");
    String intoMain = merge(repo, "main", Map.of("source", "f"), 200).getString("commit");
    assertThat(rows(pool, "select id || ':' || total from public." + t + " order by id"))
        .containsExactly("1:21", "2:30", "3:7", "4:10");
    JsonPath atCommit = given().get("/api/v1/repositories/" + repo + "/tables/lines/rows?ref=" + intoMain).then()
        .statusCode(200).extract().jsonPath();
    assertThat(atCommit.getList("items.total")).containsExactly(21, 30, 7, 10);
    // read from main back through the merge's second parent, the source's rows are as the source had them
    String source = head(repo, "f");
    assertThat(given().get("/api/v1/repositories/" + repo + "/tables/lines/rows?ref=" + source).then().statusCode(200)
        .extract().jsonPath().getList("items.total")).containsExactly(30, 30, 10, 10);
    // into a branch: its overlay gets the generated values the table would compute
    sql(pool, "update " + view(repo, "g", "lines") + " set qty = 5 where id = 3");
    commitAll(repo, "g", "g");
    merge(repo, "g", Map.of("source", "main"), 200);
    assertThat(rows(pool, "select id || ':' || total from " + view(repo, "g", "lines") + " order by id"))
        .containsExactly("1:21", "2:30", "3:35", "4:10");
  }

  /** A merge's delete that cascades to another tracked table: the cascaded delete is a working change, not lost. */
  @Test
  void rowsAMergeChangesThroughACascadeAreRecorded() {
    String repo = createRepository(uniqueName("cascade"));
    String parent = trackNew(pool, repo, "customers", "id int primary key, name text",
        "select g, 'c' || g from generate_series(1, 3) g");
    String child = trackNew(pool, repo, "orders", "id int primary key, customer int references public."
        + parent.replace("\"", "") + "(id) on delete cascade", "select g, g from generate_series(1, 3) g");
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "f")).statusCode(201);
    sql(pool, "delete from " + view(repo, "f", "customers") + " where id = 3");
    commitAll(repo, "f", "f");
    sql(pool, "update public." + parent + " set name = 'x' where id = 1");
    commitAll(repo, "main", "main");
    merge(repo, "main", Map.of("source", "f"), 200);
    assertThat(rows(pool, "select count(*)::text from public." + child)).containsExactly("2");
    JsonPath status = given().get(base(repo, "main") + "/status").then().statusCode(200).extract().jsonPath();
    int staged = status.getInt("tables.find { it.table == 'orders' }.staged.deleted");
    int unstaged = status.getInt("tables.find { it.table == 'orders' }.unstaged.deleted");
    assertThat(staged + unstaged).as("the cascaded delete, a working change of orders").isEqualTo(1);
  }

  @Test
  void fastForwardUpToDateAndTheFastForwardModes() {
    String repo = createRepository(uniqueName("ff"));
    String t = trackNew(pool, repo, "kv", "id int primary key, v int", "select g, g from generate_series(1, 5) g");
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "f")).statusCode(201);
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "other")).statusCode(201);
    sql(pool, "update " + view(repo, "f", "kv") + " set v = 50 where id = 5");
    commitAll(repo, "f", "f");
    String f = head(repo, "f");

    merge(repo, "f", Map.of("source", "main"), 200).getBoolean("up_to_date");
    assertThat(merge(repo, "f", Map.of("source", "main"), 200).getBoolean("up_to_date")).isTrue();
    JsonPath ff = merge(repo, "main", Map.of("source", "f", "fast_forward", "only"), 200);
    assertThat(ff.getBoolean("fast_forward")).isTrue();
    assertThat(ff.getString("strategy")).as("a fast-forward says so").isEqualTo("fast_forward");
    assertThat(ff.getString("commit")).isEqualTo(f);
    assertThat(ff.getBoolean("merge_in_progress")).isFalse();
    assertThat(head(repo, "main")).isEqualTo(f);
    assertThat(rows(pool, "select v::text from public." + t + " where id = 5")).containsExactly("50");
    given().get(base(repo, "main") + "/status").then().body("clean", equalTo(true));
    // the other branch keeps its snapshot
    assertThat(rows(pool, "select v::text from " + view(repo, "other", "kv") + " where id = 5")).containsExactly("5");
    // a commit after the fast-forward records main's content at its new head
    sql(pool, "update public." + t + " set v = 1 where id = 1");
    commitAll(repo, "main", "after ff");
    given().get("/api/v1/repositories/" + repo + "/tables/kv").then().statusCode(200).body("row_count", equalTo(5));

    sql(pool, "update " + view(repo, "other", "kv") + " set v = 0 where id = 2");
    commitAll(repo, "other", "other");
    merge(repo, "other", Map.of("source", "main", "fast_forward", "only"), 409);
    String before = head(repo, "f");
    JsonPath never = merge(repo, "f", Map.of("source", before + "", "fast_forward", "never"), 200);
    assertThat(never.getBoolean("up_to_date")).isTrue();
    // main into other: writes the overlay, a merge commit with two parents
    JsonPath intoBranch = merge(repo, "other", Map.of("source", "main"), 200);
    assertThat(intoBranch.getString("commit")).isNotNull();
    assertThat(rows(pool, "select id || ':' || v from " + view(repo, "other", "kv") + " order by id"))
        .containsExactly("1:1", "2:0", "3:3", "4:4", "5:50");
    assertThat(rows(pool, "select id || ':' || v from public." + t + " order by id"))
        .containsExactly("1:1", "2:2", "3:3", "4:4", "5:50");
  }

  @Test
  void abortRestoresExactlyAndFailOnConflictLeavesNothing() {
    String repo = createRepository(uniqueName("abort"));
    String t = trackNew(pool, repo, "kv", "id int primary key, v int", "select g, g from generate_series(1, 5) g");
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "f")).statusCode(201);
    sql(pool, "update " + view(repo, "f", "kv") + " set v = 10 + id where id <= 3");
    commitAll(repo, "f", "f");
    sql(pool, "update public." + t + " set v = 100 where id = 1");
    commitAll(repo, "main", "main");
    String mainHead = head(repo, "main");
    Map<String, String> digest = Api.digest();
    List<String> before = rows(pool, "select id || ':' || v from public." + t + " order by id");

    JsonPath failed = merge(repo, "main", Map.of("source", "f", "strategy", "fail_on_conflict"), 409);
    assertThat(failed.getString("error")).isEqualTo("MergeConflict");
    JsonPath dry = merge(repo, "main", Map.of("source", "f", "dry_run", true), 200);
    assertThat(dry.getInt("stats.updated")).isEqualTo(2);
    assertThat(Api.digest()).isEqualTo(digest);
    assertThat(rows(pool, "select id || ':' || v from public." + t + " order by id")).isEqualTo(before);

    merge(repo, "main", Map.of("source", "f"), 409);
    assertThat(rows(pool, "select id || ':' || v from public." + t + " order by id"))
        .containsExactly("1:100", "2:12", "3:13", "4:4", "5:5");
    json().post(base(repo, "main") + "/merge/abort").then().statusCode(204);
    assertThat(rows(pool, "select id || ':' || v from public." + t + " order by id")).isEqualTo(before);
    given().get(base(repo, "main") + "/status").then().body("clean", equalTo(true))
        .body("merge_in_progress", equalTo(false)).body("merge", nullValue());
    assertThat(head(repo, "main")).isEqualTo(mainHead);
    json().post(base(repo, "main") + "/merge/abort").then().statusCode(409).body("error", equalTo("NoMergeInProgress"));
    json().post(base(repo, "main") + "/merge/continue").then().statusCode(409);

    // working changes in a table the merge writes refuse it, and nothing changes
    sql(pool, "update public." + t + " set v = -1 where id = 5");
    merge(repo, "main", Map.of("source", "f", "strategy", "ours"), 409);
    given().get(base(repo, "main") + "/status").then().body("merge_in_progress", equalTo(false))
        .body("tables[0].unstaged.updated", equalTo(1));

    // no_commit: the merge lands staged, and the next commit has both parents
    json().body(Map.of("tables", List.of("kv"))).delete(base(repo, "main") + "/working").then().statusCode(204);
    JsonPath staged = merge(repo, "main", Map.of("source", "f", "strategy", "ours", "no_commit", true), 200);
    assertThat(staged.getBoolean("merge_in_progress")).isTrue();
    assertThat(staged.getString("commit")).isNull();
    String id = json().body(Map.of("message", "by hand")).post(base(repo, "main") + "/commits").then().statusCode(201)
        .extract().path("id");
    assertThat(given().get("/api/v1/repositories/" + repo + "/commits/" + id).then().extract().jsonPath()
        .getList("parents")).containsExactly(mainHead, head(repo, "f"));
    assertThat(rows(pool, "select id || ':' || v from public." + t + " order by id"))
        .containsExactly("1:100", "2:12", "3:13", "4:4", "5:5");
  }

  @Test
  void aMergedRowTheTableRefusesIsAConstraintConflictNeverA500() {
    String repo = createRepository(uniqueName("constraint"));
    String parent = uniqueName("parent").replace("-", "_");
    sql(pool, "create table public." + parent + " (id int primary key)");
    sql(pool, "insert into public." + parent + " values (1), (2)");
    String t = trackNew(pool, repo, "acct", "id int primary key, email text, credit int, debit int,"
        + " check (credit >= debit), parent int references public." + parent + "(id)",
        "select g, 'e' || g, 10, 0, 1 from generate_series(1, 6) g");
    sql(pool, "alter table public." + t + " add constraint " + t + "_email unique (email)");
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "f")).statusCode(201);
    // each change is fine on its side; merged, three rows break the table's rules
    String f = view(repo, "f", "acct");
    sql(pool, "update " + f + " set debit = 8 where id = 1");       // CHECK, with main's lower credit
    sql(pool, "update " + f + " set email = 'taken' where id = 2");  // UNIQUE, with main's new row
    sql(pool, "update " + f + " set parent = 2 where id = 3");       // FOREIGN KEY, main deletes parent 2
    sql(pool, "update " + f + " set email = 'fine' where id = 4");
    commitAll(repo, "f", "f");
    sql(pool, "update public." + t + " set credit = 5 where id = 1");
    sql(pool, "insert into public." + t + " values (7, 'taken', 1, 0, 1)");
    sql(pool, "delete from public." + parent + " where id = 2");
    commitAll(repo, "main", "main");

    JsonPath dry = merge(repo, "main", Map.of("source", "f", "dry_run", true), 200);
    assertThat(dry.getInt("conflicts")).isEqualTo(3);
    JsonPath stopped = merge(repo, "main", Map.of("source", "f"), 409);
    assertThat(stopped.getList("details.first_conflicts.type")).containsOnly("constraint");
    assertThat(stopped.getList("details.first_conflicts.key")).containsExactly(List.of(1), List.of(2), List.of(3));
    assertThat(stopped.getString("details.first_conflicts[0].constraint")).contains("check");
    assertThat(stopped.getList("details.first_conflicts[0].fields.name")).containsExactly("credit", "debit");
    assertThat(stopped.getList("details.first_conflicts[2].fields.name")).containsExactly("parent");
    assertThat(stopped.getString("details.first_conflicts[1].constraint")).contains(t + "_email");
    assertThat(rows(pool, "select id || ':' || email || ':' || credit || ':' || debit || ':' || parent from public."
        + t + " order by id")).containsExactly("1:e1:5:0:1", "2:e2:10:0:1", "3:e3:10:0:1", "4:fine:10:0:1",
        "5:e5:10:0:1", "6:e6:10:0:1", "7:taken:1:0:1");
    json().body(Map.of("take", "ours")).post(base(repo, "main") + "/merge/resolutions").then().statusCode(200)
        .body("remaining", equalTo(0));
    json().body(Map.of()).post(base(repo, "main") + "/merge/continue").then().statusCode(201);
  }

  @Test
  void writesMadeDuringAMergeInProgressAreNeverLostByAResolutionOrAnAbort() {
    String repo = createRepository(uniqueName("during"));
    String t = trackNew(pool, repo, "kv", "id int primary key, v int, w int", "select g, g, 0 from generate_series(1, 6) g");
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "f")).statusCode(201);
    sql(pool, "update " + view(repo, "f", "kv") + " set v = 100 + id where id <= 4");
    commitAll(repo, "f", "f");
    sql(pool, "update public." + t + " set v = 200 + id where id in (1, 2)");
    commitAll(repo, "main", "main");
    merge(repo, "main", Map.of("source", "f"), 409); // 1 and 2 conflict; 3 and 4 merge
    // meanwhile an application writes the table: a conflicting row's other column, a merged row, a new row
    sql(pool, "update public." + t + " set w = 7 where id = 1");
    sql(pool, "update public." + t + " set v = 999 where id = 3");
    sql(pool, "insert into public." + t + " values (9, 9, 9)");
    // discarding would wipe the merge's rows: refused; so is a commit of another table only
    json().body(Map.of()).delete(base(repo, "main") + "/working").then().statusCode(409)
        .body("error", equalTo("MergeInProgress"));
    // a resolution writes the chosen column into the row as it is now (w = 7 stays), and keeps the key
    json().body(Map.of("table", "kv", "key", List.of(1), "field", "v", "take", "theirs"))
        .post(base(repo, "main") + "/merge/resolutions").then().statusCode(200).body("remaining", equalTo(1));
    assertThat(rows(pool, "select id || ':' || v || ':' || w from public." + t + " where id = 1")).containsExactly("1:101:7");
    json().body(Map.of("table", "kv", "key", List.of(2), "take", "value", "value", Map.of("id", 5, "v", 55)))
        .post(base(repo, "main") + "/merge/resolutions").then().statusCode(200).body("remaining", equalTo(0));
    assertThat(rows(pool, "select id || ':' || v from public." + t + " where id in (2, 5) order by id"))
        .containsExactly("2:55", "5:5");
    // abort: the merge's and the resolutions' rows go back, the application's writes stay
    json().post(base(repo, "main") + "/merge/abort").then().statusCode(204);
    assertThat(rows(pool, "select id || ':' || v || ':' || w from public." + t + " order by id"))
        .containsExactly("1:201:0", "2:202:0", "3:999:0", "4:4:0", "5:5:0", "6:6:0", "9:9:9");
    // ... and are the branch's working changes
    given().get(base(repo, "main") + "/status").then().body("tables[0].unstaged.updated", equalTo(1))
        .body("tables[0].unstaged.inserted", equalTo(1)).body("tables[0].staged.updated", equalTo(0));
  }

  @Test
  void aRowTheTableRefusesStopsEvenAStrategyThatSettlesConflicts() {
    String repo = createRepository(uniqueName("settle"));
    String t = trackNew(pool, repo, "acct", "id int primary key, credit int, debit int, check (credit >= debit)",
        "select g, 10, 0 from generate_series(1, 3) g");
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "f")).statusCode(201);
    sql(pool, "update " + view(repo, "f", "acct") + " set debit = 8 where id = 1");
    commitAll(repo, "f", "f");
    sql(pool, "update public." + t + " set credit = 5 where id = 1");
    commitAll(repo, "main", "main");
    JsonPath stopped = merge(repo, "main", Map.of("source", "f", "strategy", "theirs"), 409);
    assertThat(stopped.getList("details.first_conflicts.type")).containsExactly("constraint");
    // a field of a refused row is not resolved alone; the row takes one side whole
    json().body(Map.of("table", "acct", "key", List.of(1), "field", "debit", "take", "theirs"))
        .post(base(repo, "main") + "/merge/resolutions").then().statusCode(422);
    // a resolution the table refuses too is a 422 naming it, and changes nothing
    json().body(Map.of("table", "acct", "key", List.of(1), "take", "value", "value", Map.of("credit", 1, "debit", 5)))
        .post(base(repo, "main") + "/merge/resolutions").then().statusCode(422);
    json().body(Map.of("table", "acct", "key", List.of(1), "take", "theirs"))
        .post(base(repo, "main") + "/merge/resolutions").then().statusCode(200).body("remaining", equalTo(0));
    json().body(Map.of()).post(base(repo, "main") + "/merge/continue").then().statusCode(201);
    assertThat(rows(pool, "select id || ':' || credit || ':' || debit from public." + t + " where id = 1"))
        .containsExactly("1:10:8");
  }

  @Test
  void badInputIsRefusedAndChangesNothing() {
    String repo = createRepository(uniqueName("bad"));
    trackNew(pool, repo, "kv", "id int primary key, v int", "select g, g from generate_series(1, 3) g");
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "f")).statusCode(201);
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "safe", "protected", true)).statusCode(201);
    Map<String, String> digest = Api.digest();
    merge(repo, "main", Map.of("source", "main"), 422);
    merge(repo, "main", Map.of("source", "nope"), 404);
    merge(repo, "nope", Map.of("source", "f"), 404);
    merge(repo, "main", Map.of("source", "f", "strategy", "thrree_way"), 422);
    merge(repo, "main", Map.of("source", "f", "fast_forward", "sometimes"), 422);
    merge(repo, "main", Map.of(), 422);
    merge(repo, "main", Map.of("source", "f", "stratgy", "ours"), 400);
    merge(repo, "main", Map.of("source", "f", "expected_head", "not-hex"), 422);
    json().body(Map.of("take", "mine")).post(base(repo, "main") + "/merge/resolutions").then().statusCode(422);
    json().body(Map.of("take", "ours")).post(base(repo, "main") + "/merge/resolutions").then().statusCode(409);
    assertThat(Api.digest()).isEqualTo(digest);
    // a protected branch takes merges (protection guards deletion)
    sql(pool, "update " + view(repo, "f", "kv") + " set v = 9 where id = 1");
    commitAll(repo, "f", "f");
    merge(repo, "safe", Map.of("source", "f", "expected_head", "0000000"), 409);
    merge(repo, "safe", Map.of("source", "f"), 200);
  }
}
