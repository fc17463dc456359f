package io.strata.server.api;

import static io.restassured.RestAssured.given;
import static io.strata.server.api.Api.commit;
import static io.strata.server.api.Api.createRepository;
import static io.strata.server.api.Api.uniqueName;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import io.strata.server.TestDatabaseResource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import io.strata.events.Author;
import io.strata.events.CommitCreated;
import io.strata.events.CommitIds;
import io.strata.events.CommitStats;
import io.strata.projections.log.EventLog;
import io.strata.projections.log.NewEvent;
import io.strata.projections.runtime.ProjectionRuntime;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Hostile and broken input: every case answers its documented status with the error JSON, never a
 * 500 or a stack trace, and the projections (hence the log) are exactly as before.
 */
@QuarkusTest
@WithTestResource(value = TestDatabaseResource.class, scope = TestResourceScope.GLOBAL)
class BadInputTest {
  private static final String LONG = "a".repeat(10_000);
  private static final List<String> HOSTILE_NAMES = List.of(
      "../x", "a;drop table x", "x'; delete from strata_meta.events; --", "a b", "-x", "x..y", "x.lock",
      "x/", "/x", "x//y", "x@{1}", "x~1", "x^", "x:y", "x?", "x*", "x[", "x\\y", "\u0000", "ab\u0007c",
      "ab\u202Ecod", "zero\u200Bwidth", "tab\tname", "new\nline", "@", LONG, "");

  @Inject EventLog log;
  @Inject ProjectionRuntime projections;

  private String repo;
  private String head;

  @BeforeEach
  void fixture() {
    repo = createRepository(uniqueName("bad"));
    head = commit(repo, "main", "fixture");
    given().contentType("application/json").body(Map.of("name", "dev")).post(path("/branches")).then().statusCode(201);
  }

  private String path(String suffix) {
    return "/api/v1/repositories/" + repo + suffix;
  }

  private record Case(String name, int status, String error, Function<RequestSpecification, Response> call) {}

  private static Function<RequestSpecification, Response> postRaw(String path, String body) {
    return r -> r.contentType("application/json").body(body).post(path);
  }

  private static Function<RequestSpecification, Response> postJson(String path, Object body) {
    return r -> r.contentType("application/json").body(body).post(path);
  }

  @Test
  void badInputIsRefusedClearlyAndChangesNothing() {
    List<Case> cases = new ArrayList<>();
    String repos = "/api/v1/repositories";
    // malformed JSON and wrong types
    cases.add(new Case("truncated json", 400, "BadRequest", postRaw(repos, "{\"name\":")));
    cases.add(new Case("trailing garbage", 400, "BadRequest", postRaw(repos, "{\"name\":\"zz1\"} x")));
    cases.add(new Case("duplicate key", 400, "BadRequest", postRaw(repos, "{\"name\":\"zz4\",\"name\":\"zz5\"}")));
    cases.add(new Case("array body", 400, "BadRequest", postRaw(repos, "[1,2]")));
    cases.add(new Case("string body", 400, "BadRequest", postRaw(repos, "\"zz2\"")));
    cases.add(new Case("empty body", 400, "BadRequest", postRaw(repos, "")));
    cases.add(new Case("number as name", 400, "BadRequest", postRaw(repos, "{\"name\":5}")));
    cases.add(new Case("object as description", 400, "BadRequest",
        postRaw(repos, "{\"name\":\"zz3\",\"description\":{\"a\":1}}")));
    cases.add(new Case("string as boolean", 400, "BadRequest",
        postRaw(path("/branches/main/commits"), "{\"message\":\"m\",\"allow_empty\":\"yes\"}")));
    cases.add(new Case("number as message", 400, "BadRequest",
        postRaw(path("/branches/main/commits"), "{\"message\":42,\"allow_empty\":true}")));
    cases.add(new Case("string as tables", 400, "BadRequest",
        postRaw(path("/branches/main/commits"), "{\"message\":\"m\",\"allow_empty\":true,\"tables\":\"users\"}")));
    cases.add(new Case("text/plain", 415, "UnsupportedMediaType",
        r -> r.contentType("text/plain").body("name=x").post(repos)));
    cases.add(new Case("oversized body", 413, "PayloadTooLarge",
        postRaw(repos, "{\"name\":\"" + "x".repeat(2 * 1024 * 1024) + "\"}")));
    // validation
    cases.add(new Case("missing message", 422, "ValidationError", postJson(path("/branches/main/commits"), Map.of("allow_empty", true))));
    cases.add(new Case("control char in message", 422, "ValidationError",
        postJson(path("/branches/main/commits"), Map.of("message", "a\u0000b", "allow_empty", true))));
    cases.add(new Case("10k message author", 422, "ValidationError", postJson(path("/branches/main/commits"),
        Map.of("message", "m", "allow_empty", true, "author", Map.of("name", LONG, "email", "a@b")))));
    cases.add(new Case("expected_head not hex", 422, "ValidationError", postJson(path("/branches/main/commits"),
        Map.of("message", "m", "allow_empty", true, "expected_head", "'; drop table x; --"))));
    cases.add(new Case("patch without protected", 422, "ValidationError",
        r -> r.contentType("application/json").body(Map.of()).patch(path("/branches/dev"))));
    cases.add(new Case("limit out of range", 422, "ValidationError", r -> r.get(repos + "?limit=0")));
    cases.add(new Case("negative offset", 422, "ValidationError", r -> r.get(repos + "?offset=-1")));
    cases.add(new Case("limit not a number", 400, "BadRequest", r -> r.get(repos + "?limit=1;drop")));
    cases.add(new Case("bad boolean", 400, "BadRequest", r -> r.delete(path("/branches/dev?force=maybe"))));
    cases.add(new Case("bad timestamp", 400, "BadRequest", r -> r.get(path("/commits?since=yesterday"))));
    cases.add(new Case("bad ancestry", 400, "BadRequest", r -> r.get(path("/commits?ref=main~x"))));
    cases.add(new Case("huge ancestry", 400, "BadRequest", r -> r.get(path("/commits?ref=main~99999999999"))));
    cases.add(new Case("compare without head", 400, "BadRequest", r -> r.get(path("/compare?base=main"))));
    cases.add(new Case("bad idempotency key", 400, "BadRequest", r -> r.header("Idempotency-Key", "a b")
        .contentType("application/json").body(Map.of("name", "zz4")).post(repos)));
    // unknown things
    cases.add(new Case("unknown repository", 404, "RepositoryNotFound", r -> r.get(repos + "/nope-" + repo)));
    cases.add(new Case("commit to unknown repository", 404, "RepositoryNotFound",
        postJson(repos + "/nope-" + repo + "/branches/main/commits", Map.of("message", "m", "allow_empty", true))));
    cases.add(new Case("unknown branch", 404, "BranchNotFound", r -> r.get(path("/branches/nope"))));
    cases.add(new Case("unknown ref", 404, "RefNotFound", r -> r.get(path("/commits?ref=nope"))));
    cases.add(new Case("unknown tag", 404, "TagNotFound", r -> r.get(path("/tags/nope"))));
    cases.add(new Case("unknown commit", 404, "CommitNotFound", r -> r.get(path("/commits/abcdef0123"))));
    cases.add(new Case("unknown endpoint", 404, "NotFound", r -> r.get("/api/v1/nothing")));
    cases.add(new Case("wrong method", 405, "MethodNotAllowed", r -> r.put(repos)));
    cases.add(new Case("branch from unknown ref", 404, "RefNotFound", postJson(path("/branches"), Map.of("name", "n1", "from", "nope"))));
    cases.add(new Case("tag of unknown ref", 404, "RefNotFound", postJson(path("/tags"), Map.of("name", "t1", "ref", "cafebabe00"))));
    // conflicts
    cases.add(new Case("stale expected head", 409, "HeadMoved", postJson(path("/branches/main/commits"),
        Map.of("message", "m", "allow_empty", true, "expected_head", "0".repeat(64)))));
    cases.add(new Case("branch exists", 409, "BranchAlreadyExists", postJson(path("/branches"), Map.of("name", "dev"))));
    cases.add(new Case("delete default branch", 409, "BranchProtected", r -> r.delete(path("/branches/main"))));
    cases.add(new Case("delete repo with history", 409, "RepositoryNotEmpty", r -> r.delete(path(""))));
    // hostile names everywhere a name goes
    for (String bad : HOSTILE_NAMES) {
      if (!bad.equals("x.lock")) { // a fine repository name; only refs may not end in .lock
        cases.add(new Case("repository name " + printable(bad), 422, "ValidationError", postJson(repos, Map.of("name", bad))));
      }
      cases.add(new Case("branch name " + printable(bad), 422, "ValidationError", postJson(path("/branches"), Map.of("name", bad))));
      cases.add(new Case("tag name " + printable(bad), 422, "ValidationError",
          postJson(path("/tags"), Map.of("name", bad, "ref", "main"))));
      if (!bad.isEmpty() && bad.indexOf('\u0000') < 0) {
        cases.add(new Case("branch ref " + printable(bad), 0, null,
            r -> r.queryParam("ref", bad).get(path("/commits"))));
      }
    }

    refusedAndNothingChanged(cases);
  }

  /** Every case gets its status and error JSON (no trace), and the projections stay as they were. */
  private void refusedAndNothingChanged(List<Case> cases) {
    Map<String, String> before = Api.digest();
    List<String> failures = new ArrayList<>();
    for (Case c : cases) {
      Response response = c.call().apply(given().urlEncodingEnabled(true));
      int status = response.statusCode();
      String body = response.asString();
      boolean statusOk = c.status() == 0 ? status >= 400 && status < 500 : status == c.status();
      boolean jsonError = body.startsWith("{\"") && body.contains("\"error\"") && body.contains("\"message\"");
      boolean typeOk = c.error() == null || body.contains("\"error\":\"" + c.error() + "\"");
      boolean noTrace = !body.contains("Exception") && !body.contains("\tat ");
      if (!statusOk || !jsonError || !typeOk || !noTrace) {
        failures.add(c.name() + " -> " + status + " " + (body.length() > 300 ? body.substring(0, 300) : body));
      }
    }
    assertThat(failures).isEmpty();
    assertThat(Api.digest()).as("bad input changed nothing").isEqualTo(before);
    assertThat(Api.head(repo, "main")).isEqualTo(head);
  }

  @Inject io.vertx.mutiny.sqlclient.Pool pool;

  private String sqlText(String query) {
    return pool.query(query).execute().await().atMost(Duration.ofSeconds(10)).iterator().next().getString(0);
  }

  /** Hostile input to the row, batch, diff and query endpoints of a tracked table: refused, nothing written. */
  @Test
  void hostileRowAndQueryInputIsRefusedAndChangesNothing() {
    String t = uniqueName("guarded").replace("-", "_");
    pool.query("create table public." + t + " (id int primary key, name text not null, n int)").execute()
        .await().atMost(Duration.ofSeconds(10));
    pool.query("insert into public." + t + " select g, 'n' || g, g from generate_series(1, 20) g").execute()
        .await().atMost(Duration.ofSeconds(10));
    given().contentType("application/json").body(Map.of("name", "guarded", "location", "postgresql://local/public." + t))
        .post(path("/tables")).then().statusCode(201);
    head = Api.head(repo, "main");
    String fingerprint = "select md5(string_agg(row_to_json(x)::text, ',' order by id)) from ";
    String mainBefore = sqlText(fingerprint + "public." + t + " x");
    String devView = Api.view(repo, "dev", "guarded");
    String devBefore = sqlText(fingerprint + devView + " x");

    List<Case> cases = new ArrayList<>();
    String rows = path("/branches/dev/tables/guarded/rows");
    for (String bad : List.of("a;drop table x", "x'; delete from strata_meta.events; --", "../guarded", "nope")) {
      cases.add(new Case("rows of table " + printable(bad), 404, "TableNotFound",
          r -> r.contentType("application/json").body(Map.of("name", "x")).put(path("/branches/dev/tables/{t}/rows/1"), bad)));
      cases.add(new Case("filter column " + printable(bad), 422, "ValidationError",
          r -> r.queryParam(bad, "1").get(path("/tables/guarded/rows"))));
      cases.add(new Case("row column " + printable(bad), 422, "ValidationError",
          r -> r.contentType("application/json").body(Map.of("name", "x", bad, 1)).put(rows + "/21")));
    }
    cases.add(new Case("key not an int", 422, "ValidationError",
        r -> r.contentType("application/json").body(Map.of("name", "x")).put(rows + "/1' or '1'='1")));
    cases.add(new Case("filter value not an int", 400, "BadRequest", r -> r.queryParam("id", "1 or 1=1").get(path("/tables/guarded/rows"))));
    cases.add(new Case("null in NOT NULL column", 422, "ValidationError",
        r -> r.contentType("application/json").body("{\"name\": null}").put(rows + "/21")));
    cases.add(new Case("row not an object", 400, "BadRequest", r -> r.contentType("application/json").body("[1]").put(rows + "/21")));
    cases.add(new Case("batch with a bad row last", 422, "ValidationError", postRaw(rows + ":batch",
        "[{\"op\": \"upsert\", \"row\": {\"id\": 30, \"name\": \"ok\"}}, {\"op\": \"upsert\", \"row\": {\"id\": \"x\"}}]")));
    cases.add(new Case("batch with a constraint violation", 422, "ValidationError", postRaw(rows + ":batch",
        "[{\"op\": \"upsert\", \"row\": {\"id\": 31, \"name\": \"ok\"}}, {\"op\": \"upsert\", \"row\": {\"id\": 32}}]")));
    cases.add(new Case("batch op unknown", 422, "ValidationError", postRaw(rows + ":batch", "[{\"op\": \"drop\", \"key\": 1}]")));
    cases.add(new Case("batch key of wrong columns", 422, "ValidationError",
        postRaw(rows + ":batch", "[{\"op\": \"delete\", \"key\": {\"name\": \"n1\"}}]")));
    cases.add(new Case("batch not json", 400, "BadRequest", postRaw(rows + ":batch", "[{\"op\": ")));
    cases.add(new Case("batch on unknown branch", 404, "BranchNotFound",
        postRaw(path("/branches/nope/tables/guarded/rows:batch"), "[{\"op\": \"delete\", \"key\": 1}]")));
    for (String hostile : List.of("delete from guarded", "update guarded set n = 0 returning *",
        "select * from public." + t, "select * from " + devView, "select 1; delete from public." + t,
        "select set_config('role', 'postgres', false)", "copy guarded to '/tmp/x'", "select pg_sleep(-1) from guarded x(")) {
      cases.add(new Case("query " + printable(hostile), 422, "ValidationError",
          postJson(path("/query"), Map.of("sql", hostile))));
    }
    // offset pages other lists; on rows it is reserved, never a filter on a column of that name
    cases.add(new Case("offset on row reads", 400, "BadRequest", r -> r.queryParam("offset", "5").get(path("/tables/guarded/rows"))));
    cases.add(new Case("offset on streamed row reads", 400, "BadRequest",
        r -> r.accept("application/x-ndjson").queryParam("offset", "0").get(path("/tables/guarded/rows"))));
    cases.add(new Case("query sql not a string", 400, "BadRequest", postRaw(path("/query"), "{\"sql\": 5}")));
    cases.add(new Case("query limit too big", 422, "ValidationError", postJson(path("/query"), Map.of("sql", "select 1", "limit", 1_000_000))));
    cases.add(new Case("diff of unknown ref", 404, "RefNotFound", r -> r.queryParam("from", "main").queryParam("to", "nope").get(path("/diff"))));
    cases.add(new Case("diff of unknown table", 404, "TableNotFound",
        r -> r.queryParam("from", "main").queryParam("to", "dev").queryParam("table", "nope").get(path("/diff"))));
    refusedAndNothingChanged(cases);
    assertThat(sqlText(fingerprint + "public." + t + " x")).isEqualTo(mainBefore);
    assertThat(sqlText(fingerprint + devView + " x")).isEqualTo(devBefore);
    given().get(path("/branches/dev/status")).then().body("clean", equalTo(true));
  }

  @Test
  void aLongNameIsNotEchoedInFull() {
    // a hostile client's 3 000-character table name used to come back twice (message and details)
    String name = "x".repeat(3000);
    String body = given().get(path("/tables/{t}/rows"), name)
        .then().statusCode(404).body("error", equalTo("TableNotFound")).extract().asString();
    assertThat(body.length()).isLessThan(2048);
    assertThat(body).contains("(3000 characters)");
  }

  @Test
  void shortIdAmbiguityIsAClearError() {
    // Two commits whose ids share a 9-digit prefix: appended straight to the log, since finding such a
    // pair by hashing would take billions of tries.
    String r = createRepository(uniqueName("ambiguous"));
    String a = "abcdef123" + "0".repeat(55);
    String b = "abcdef123" + "1".repeat(55);
    long version = log.streamVersion(r).await().atMost(Duration.ofSeconds(5));
    Author author = new Author("t", "t@example.com");
    List<NewEvent> events = List.of(
        NewEvent.of(new CommitCreated(a, null, List.of(), CommitIds.EMPTY_TREE, "a", author, Instant.now(),
            CommitStats.EMPTY, List.of()), Instant.now(), "t", null),
        NewEvent.of(new CommitCreated(b, null, List.of(), CommitIds.EMPTY_TREE, "b", author, Instant.now(),
            CommitStats.EMPTY, List.of()), Instant.now(), "t", null));
    long after = log.append(r, version, events, List.of()).await().atMost(Duration.ofSeconds(5)).version();
    projections.awaitVersion(r, after, Duration.ofSeconds(5)).await().atMost(Duration.ofSeconds(10));

    given().get("/api/v1/repositories/{r}/commits/{c}", r, "abcdef1").then().statusCode(400)
        .body("error", equalTo("BadRequest"))
        .body("details.candidates", org.hamcrest.Matchers.hasSize(2));
    given().queryParam("ref", "abcdef123").get("/api/v1/repositories/{r}/commits", r).then().statusCode(400);
    given().get("/api/v1/repositories/{r}/commits/{c}", r, "abcdef1230").then().statusCode(200)
        .body("id", equalTo(a));
    // fewer than 7 digits never resolves, even when unique
    given().get("/api/v1/repositories/{r}/commits/{c}", r, "abcdef").then().statusCode(404);
  }

  private static String printable(String s) {
    String shown = s.length() > 20 ? s.substring(0, 20) + "…(" + s.length() + ")" : s;
    StringBuilder b = new StringBuilder();
    shown.codePoints().forEach(cp -> b.append(cp < 0x20 || cp == 0x7f || Character.getType(cp) == Character.FORMAT
        ? String.format("\\u%04x", cp) : new String(Character.toChars(cp))));
    return "'" + b + "'";
  }
}
