package io.strata.server.api;

import static io.restassured.RestAssured.given;
import static io.strata.server.api.Api.createRepository;
import static io.strata.server.api.Api.post;
import static io.strata.server.api.Api.sql;
import static io.strata.server.api.Api.uniqueName;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.strata.events.EventCodec;
import io.strata.server.TestDatabaseResource;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Reads at any ref return exactly the rows of that point in history, for every common column type. */
@QuarkusTest
@WithTestResource(value = TestDatabaseResource.class, scope = TestResourceScope.GLOBAL)
class TimeTravelTest {
  @Inject Pool pool;

  /** The table's rows now, as the API renders them (to_jsonb), in key order. */
  private List<JsonNode> snapshot(String t) throws Exception {
    List<JsonNode> rows = new ArrayList<>();
    for (Row r : pool.query("select to_jsonb(x)::text from public." + t + " x order by region, id").execute()
        .await().atMost(Duration.ofSeconds(10))) {
      rows.add(EventCodec.mapper().readTree(r.getString(0)));
    }
    return rows;
  }

  private List<JsonNode> read(String repo, Map<String, ?> query, int pageSize) throws Exception {
    List<JsonNode> rows = new ArrayList<>();
    String after = null;
    do {
      var request = given().queryParams(query).queryParam("limit", pageSize);
      if (after != null) {
        request.queryParam("after", after);
      }
      String body = request.get("/api/v1/repositories/{r}/tables/events/rows", repo).then().log().ifValidationFails().statusCode(200)
          .extract().asString();
      JsonNode page = EventCodec.mapper().readTree(body);
      page.get("items").forEach(rows::add);
      after = page.get("next").isNull() ? null : page.get("next").asText();
    } while (after != null);
    return rows;
  }

  @Test
  void readsAtAnyRefReturnThatPointInHistory() throws Exception {
    String repo = createRepository(uniqueName("travel"));
    String t = uniqueName("events").replace("-", "_");
    sql(pool, "create table public." + t + " (region varchar(8) not null, id bigint not null, n integer, amount numeric(14,4),"
        + " label text, ok boolean, day date, at timestamp, atz timestamptz, uid uuid, doc jsonb, raw bytea,"
        + " tags text[], nums int[], exact numeric, primary key (region, id))");
    sql(pool, "insert into public." + t + " select case when g % 3 = 0 then 'eu' else 'us' end, g, g, g * 1.0625,"
        + " case when g % 5 = 0 then null else 'l' || g end, g % 2 = 0, date '2026-01-01' + g,"
        + " timestamp '2026-01-01 10:00:00.123456' + g * interval '1 minute', timestamptz '2026-01-01 00:00:00+02' + g * interval '1 day',"
        + " md5(g::text)::uuid, jsonb_build_object('g', g, 'nested', jsonb_build_object('a', array[g, g + 1])),"
        + " decode(md5(g::text), 'hex'), array['x', null, 'z'], array[g, null],"
        + " 12345678901234567890.123456789 + g * 1.10 from generate_series(1, 40) g");
    post("/api/v1/repositories/" + repo + "/tables", Map.of("name", "events", "location", "postgresql://local/public." + t))
        .statusCode(201);
    String c0 = Api.head(repo, "main");
    List<JsonNode> atTrack = snapshot(t);
    // numerics keep every digit and their scale on the wire, whatever a client parses them into
    assertThat(given().urlEncodingEnabled(false).get("/api/v1/repositories/" + repo + "/tables/events/rows/us,1")
        .then().statusCode(200)
        .extract().asString()).contains("\"exact\":12345678901234567891.223456789");
    assertThat(Api.json().body(Map.of("sql", "select exact, amount from events where id = 2"))
        .post("/api/v1/repositories/{r}/query", repo).then().statusCode(200).extract().asString())
        .contains("[12345678901234567892.323456789,2.1250]");

    sql(pool, "update public." + t + " set amount = amount * 2, doc = doc || '{\"v\": 2}', tags = null where id <= 6");
    sql(pool, "delete from public." + t + " where id between 30 and 33");
    sql(pool, "insert into public." + t + " (region, id, label) values ('ap', 1, 'new'), ('ap', 2, null)");
    sql(pool, "update public." + t + " set id = 400 where region = 'us' and id = 7");
    String c1 = Api.json().body(Map.of("message", "one", "all", true)).post("/api/v1/repositories/{r}/branches/main/commits", repo)
        .then().statusCode(201).extract().path("id");
    List<JsonNode> atOne = snapshot(t);
    post("/api/v1/repositories/" + repo + "/tags", Map.of("name", "one", "ref", c1)).statusCode(201);
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "feature/x")).statusCode(201);
    Api.commit(repo, "feature/x", "an empty commit on the branch");
    Thread.sleep(20);
    Instant between = Instant.now();
    Thread.sleep(20);

    sql(pool, "update public." + t + " set label = 'two' where region = 'eu'");
    sql(pool, "delete from public." + t + " where region = 'ap' and id = 2");
    Api.json().body(Map.of("message", "two", "all", true)).post("/api/v1/repositories/{r}/branches/main/commits", repo)
        .then().statusCode(201);
    List<JsonNode> atTwo = snapshot(t);
    sql(pool, "update public." + t + " set n = -1 where id < 20");   // uncommitted
    sql(pool, "insert into public." + t + " (region, id) values ('zz', 9)");
    List<JsonNode> live = snapshot(t);

    assertThat(read(repo, Map.of("ref", c0), 7)).isEqualTo(atTrack);
    assertThat(read(repo, Map.of("ref", c0.substring(0, 10)), 100)).isEqualTo(atTrack);
    assertThat(read(repo, Map.of(), 9)).as("main = its last commit").isEqualTo(atTwo);
    assertThat(read(repo, Map.of("ref", "main", "working", "true"), 11)).isEqualTo(live);
    assertThat(read(repo, Map.of("ref", "main~1"), 1000)).isEqualTo(atOne);
    assertThat(read(repo, Map.of("ref", "one"), 13)).isEqualTo(atOne);
    assertThat(read(repo, Map.of("ref", "main@{" + between + "}"), 1000)).isEqualTo(atOne);
    assertThat(read(repo, Map.of("ref", "feature/x"), 5)).as("a branch forked at one").isEqualTo(atOne);
    assertThat(read(repo, Map.of("ref", "feature/x", "working", "true"), 5)).isEqualTo(atOne);

    // every type round-trips exactly through the branch's SQL view, REST writes and the diff
    String view = Api.view(repo, "feature/x", "events");
    List<JsonNode> viaView = new ArrayList<>();
    for (Row r : pool.query("select to_jsonb(x)::text from " + view + " x order by region, id").execute()
        .await().atMost(Duration.ofSeconds(10))) {
      viaView.add(EventCodec.mapper().readTree(r.getString(0)));
    }
    assertThat(viaView).isEqualTo(atOne);
    sql(pool, "update " + view + " set label = coalesce(label, '') || '!', tags = array_append(tags, 'x') where id < 10");
    var copy = (com.fasterxml.jackson.databind.node.ObjectNode) atOne.get(3).deepCopy();
    copy.put("region", "rt");
    Api.json().urlEncodingEnabled(false).body(copy.toString())
        .put("/api/v1/repositories/" + repo + "/branches/feature%2Fx/tables/events/rows/rt," + copy.get("id").asText())
        .then().statusCode(200);
    String branchCommit = Api.json().urlEncodingEnabled(false).body(Map.of("message", "types", "all", true))
        .post("/api/v1/repositories/" + repo + "/branches/feature%2Fx/commits").then().statusCode(201).extract().path("id");
    assertThat(EventCodec.mapper().readTree(given().urlEncodingEnabled(false)
        .get("/api/v1/repositories/" + repo + "/tables/events/rows/rt," + copy.get("id").asText() + "?ref=" + branchCommit)
        .then().statusCode(200).extract().asString())).isEqualTo(copy);
    JsonNode diff = EventCodec.mapper().readTree(given().queryParam("from", "one").queryParam("to", branchCommit)
        .queryParam("rows", true).get("/api/v1/repositories/{r}/diff", repo).then().statusCode(200).extract().asString());
    Map<String, JsonNode> oneByKey = new java.util.HashMap<>();
    atOne.forEach(row -> oneByKey.put(row.get("region").asText() + "," + row.get("id").asText(), row));
    int updated = 0;
    for (JsonNode change : diff.get("changes")) {
      String key = change.get("key").get(0).asText() + "," + change.get("key").get(1).asText();
      if (change.get("op").asText().equals("insert")) {
        assertThat(change.get("after")).isEqualTo(copy);
        continue;
      }
      updated++;
      assertThat(change.get("before")).as("before-image of " + key).isEqualTo(oneByKey.get(key));
      var expected = (com.fasterxml.jackson.databind.node.ObjectNode) oneByKey.get(key).deepCopy();
      expected.put("label", (oneByKey.get(key).get("label").isNull() ? "" : oneByKey.get(key).get("label").asText()) + "!");
      var tags = EventCodec.mapper().createArrayNode();
      if (!oneByKey.get(key).get("tags").isNull()) {
        tags.addAll((com.fasterxml.jackson.databind.node.ArrayNode) oneByKey.get(key).get("tags"));
      }
      tags.add("x");
      expected.set("tags", tags);
      assertThat(change.get("after")).as("after-image of " + key).isEqualTo(expected);
    }
    assertThat(updated).isEqualTo((int) atOne.stream().filter(row -> row.get("id").asLong() < 10).count());

    // filters compare as text; point reads by composite key
    assertThat(read(repo, Map.of("ref", c0, "region", "eu"), 4)).hasSize(13);
    String byKey = "/api/v1/repositories/" + repo + "/tables/events/rows/";
    given().urlEncodingEnabled(false).get(byKey + "us,31?ref=" + c0).then().statusCode(200).body("id", equalTo(31));
    given().urlEncodingEnabled(false).get(byKey + "us,31").then().statusCode(404).body("error", equalTo("RowNotFound"));
    given().urlEncodingEnabled(false).get(byKey + "zz,9?working=true").then().statusCode(200);

    // NDJSON streams the same rows, page after page
    for (String ref : List.of(c0, "main")) {
      String ndjson = given().accept("application/x-ndjson").queryParam("ref", ref)
          .get("/api/v1/repositories/{r}/tables/events/rows", repo).then().statusCode(200).extract().asString();
      List<JsonNode> streamed = new ArrayList<>();
      assertThat(ndjson).endsWith("\n").doesNotContain("\n\n");
      for (String line : ndjson.strip().split("\n")) {
        streamed.add(EventCodec.mapper().readTree(line));
      }
      assertThat(streamed).isEqualTo(ref.equals(c0) ? atTrack : atTwo);
    }
    given().accept("application/x-ndjson").get("/api/v1/repositories/{r}/tables/nope/rows", repo).then()
        .statusCode(404).body(org.hamcrest.Matchers.containsString("TableNotFound"));
    given().accept("application/x-ndjson").queryParam("id", "abc")
        .get("/api/v1/repositories/{r}/tables/events/rows", repo).then().statusCode(400)
        .body(org.hamcrest.Matchers.containsString("BadRequest"));

    String rows = "/api/v1/repositories/" + repo + "/tables/events/rows";
    given().get(rows + "?nope=1").then().statusCode(422).body("error", equalTo("ValidationError"));
    given().get(rows + "?after=garbage").then().statusCode(400);
    given().get(rows + "/us").then().statusCode(400);
    given().urlEncodingEnabled(false).get(rows + "/us,abc").then().statusCode(400);
    given().get(rows + "?ref=nope").then().statusCode(404);
    given().get(rows + "?limit=0").then().statusCode(422);
    given().get("/api/v1/repositories/{r}/tables/nope/rows", repo).then().statusCode(404).body("error", equalTo("TableNotFound"));
    given().get(rows + "?label=x'; drop table " + t + "; --").then().statusCode(200).body("items.size()", equalTo(0));
  }

  @io.quarkus.test.common.http.TestHTTPResource("/")
  java.net.URL server;

  /**
   * An NDJSON stream is one read in one snapshot: a commit landing while a slow client is still
   * reading does not change the rows it has yet to receive. Here the rows last in key order differ
   * between main's head before and after the commit; the stream, begun before, gives every one of them
   * as it was.
   */
  @Test
  void anNdjsonStreamReadsOneStateWhateverCommitsMeanwhile() throws Exception {
    String repo = createRepository(uniqueName("stream"));
    String t = Api.trackNew(pool, repo, "wide", "id int primary key, v int not null, pad text",
        "select g, 0, repeat('x', 200) from generate_series(1, 100000) g");
    sql(pool, "update public." + t + " set v = 1 where id > 99000"); // a working change: not at main's head yet

    var client = java.net.http.HttpClient.newHttpClient();
    var response = client.send(java.net.http.HttpRequest.newBuilder(server.toURI().resolve(
            "api/v1/repositories/" + repo + "/tables/wide/rows")).header("Accept", "application/x-ndjson").build(),
        java.net.http.HttpResponse.BodyHandlers.ofInputStream());
    assertThat(response.statusCode()).isEqualTo(200);
    try (var lines = new java.io.BufferedReader(new java.io.InputStreamReader(response.body(),
        java.nio.charset.StandardCharsets.UTF_8))) {
      assertThat(EventCodec.mapper().readTree(lines.readLine()).get("id").asInt()).isEqualTo(1);
      Api.json().body(Map.of("message", "v = 1 at the end", "all", true))
          .post("/api/v1/repositories/{r}/branches/main/commits", repo).then().statusCode(201);
      long read = 1;
      long changed = 0;
      for (String line = lines.readLine(); line != null; line = lines.readLine()) {
        read++;
        changed += EventCodec.mapper().readTree(line).get("v").asInt();
      }
      assertThat(read).isEqualTo(100000);
      assertThat(changed).as("rows read as the commit made them").isZero();
    }
    // a stream begun now reads the new head
    String after = given().accept("application/x-ndjson").queryParam("id", "100000")
        .get("/api/v1/repositories/{r}/tables/wide/rows", repo).then().statusCode(200).extract().asString();
    assertThat(EventCodec.mapper().readTree(after.strip()).get("v").asInt()).isEqualTo(1);
  }
}
