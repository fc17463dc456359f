package io.strata.server.api;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import io.strata.server.TestDatabaseResource;
import io.strata.server.TokenAuthProfile;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import java.security.MessageDigest;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import org.junit.jupiter.api.Test;

/** STRATA_AUTH=token: tokens as an attacker and as an operator see them. */
@QuarkusTest
@TestProfile(TokenAuthProfile.class)
@WithTestResource(value = TestDatabaseResource.class, scope = TestResourceScope.GLOBAL)
class TokenAuthTest {
  static final String ADMIN = TokenAuthProfile.ADMIN_TOKEN;

  @Inject Pool pool;
  @Inject io.strata.projections.log.EventLog log;

  static RequestSpecification as(String token) {
    RequestSpecification r = given().contentType(ContentType.JSON).accept(ContentType.JSON);
    return token == null ? r : r.header("Authorization", "Bearer " + token);
  }

  /** Creates a token with the bootstrap admin token; answers the whole 201 body. */
  static Map<String, Object> createToken(String name, String role, List<String> repositories, String expiresAt) {
    Map<String, Object> body = new java.util.HashMap<>(Map.of("name", name, "role", role, "repositories", repositories));
    if (expiresAt != null) {
      body.put("expires_at", expiresAt);
    }
    return as(ADMIN).body(body).post("/api/v1/tokens").then().statusCode(201).extract().as(Map.class);
  }

  static String repository(String prefix) {
    String name = Api.uniqueName(prefix);
    as(ADMIN).body(Map.of("name", name)).post("/api/v1/repositories").then().statusCode(201);
    return name;
  }

  @Test
  void aTokenReadsTheEventsOfItsRepositoriesOnly() {
    String mine = repository("evmine");
    String theirs = repository("evtheirs");
    String reader = (String) createToken(Api.uniqueName("evreader"), "reader", List.of(mine), null).get("token");
    List<String> repositories = as(reader).queryParam("limit", 1000).get("/api/v1/events").then().statusCode(200)
        .extract().path("items.repository");
    assertThat(repositories).isNotEmpty().containsOnly(mine);
    as(reader).queryParam("repository", theirs).get("/api/v1/events").then().statusCode(404)
        .body("error", org.hamcrest.Matchers.is("RepositoryNotFound"));
    as(reader).get("/api/v1/repositories/{r}/events", theirs).then().statusCode(404);
    as(reader).header("Accept", "text/event-stream").get("/api/v1/repositories/{r}/events", theirs).then()
        .statusCode(404);
    List<String> all = as(ADMIN).queryParam("repository", mine + "," + theirs).get("/api/v1/events").then()
        .statusCode(200).extract().path("items.repository");
    assertThat(all).contains(mine, theirs);
  }

  @Test
  void serverEventsAreShownOnlyToTokensThatSeeEveryRepository() {
    String mine = repository("evsrv");
    String id = "wh_" + java.util.UUID.randomUUID().toString().replace("-", "");
    io.strata.events.WebhookDisabled disabled = new io.strata.events.WebhookDisabled(id, "https://example.com/h", "test");
    log.inAppendTransaction(tx -> log.streamVersion(tx, io.strata.events.EventEnvelope.SERVER_STREAM)
            .chain(v -> log.append(tx, io.strata.events.EventEnvelope.SERVER_STREAM, v,
                List.of(io.strata.projections.log.NewEvent.of(disabled, java.time.Instant.now(), "strata", "c-" + id)),
                List.of())))
        .await().atMost(java.time.Duration.ofSeconds(10));
    String type = io.strata.events.EventType.WEBHOOK_DISABLED.type();
    List<String> seen = as(ADMIN).queryParam("types", type).queryParam("limit", 1000).get("/api/v1/events").then()
        .statusCode(200).extract().path("items.subject");
    assertThat(seen).contains("webhooks/" + id);
    String reader = (String) createToken(Api.uniqueName("evsrvreader"), "reader", List.of(mine), null).get("token");
    as(reader).queryParam("types", type).get("/api/v1/events").then().statusCode(200)
        .body("items", org.hamcrest.Matchers.empty());
    List<String> sources = as(reader).queryParam("limit", 1000).get("/api/v1/events").then().statusCode(200)
        .extract().path("items.source");
    assertThat(sources).isNotEmpty().doesNotContain("/strata/server");
    // nor can it be asked for by name: it is no repository
    as(ADMIN).queryParam("repository", "$server").get("/api/v1/events").then().statusCode(422);
    as(reader).queryParam("repository", "$server").get("/api/v1/events").then().statusCode(422);
  }

  @Test
  void onlyAnAdminOfTheRepositoryOverridesThePromotionGateAndTheOverrideIsRecordedWithItsActor() {
    String repo = repository("gateauth");
    String writer = (String) createToken(Api.uniqueName("gate-writer"), "writer", List.of(repo), null).get("token");
    String admin = (String) createToken(Api.uniqueName("gate-admin"), "admin", List.of(repo), null).get("token");
    as(ADMIN).body(Map.of("version", 1, "protected_branches", List.of("main")))
        .put("/api/v1/repositories/{r}/promotion-policy", repo).then().statusCode(200);
    Map<String, Object> commit = Map.of("message", "direct", "allow_empty", true);
    as(writer).body(commit).post("/api/v1/repositories/{r}/branches/main/commits", repo).then().statusCode(409)
        .body("error", org.hamcrest.Matchers.equalTo("BranchGated"));
    as(writer).header("Strata-Gate-Override", "I insist").body(commit)
        .post("/api/v1/repositories/{r}/branches/main/commits", repo).then().statusCode(403)
        .body("details.header", org.hamcrest.Matchers.equalTo("Strata-Gate-Override"));
    // a writer may not set the policy either (admin of the repository)
    as(writer).body(Map.of("version", 1)).put("/api/v1/repositories/{r}/promotion-policy", repo).then()
        .statusCode(403);
    as(admin).header("Strata-Gate-Override", "release blocker fix").body(commit)
        .post("/api/v1/repositories/{r}/branches/main/commits", repo).then().statusCode(201);
    List<Map<String, Object>> overrides = as(ADMIN).queryParam("types", "io.strata.promotion.gate_overridden")
        .get("/api/v1/repositories/{r}/events", repo).then().statusCode(200).extract().path("items");
    assertThat(overrides).singleElement().satisfies(e -> assertThat(e.get("actor")).asString().startsWith("token:gate-admin"));
  }

  @Test
  void noTokenOrABadOneIs401WithWwwAuthenticateAndTheErrorBody() {
    String repo = repository("auth401");
    for (String header : new String[] {null, "Bearer strata_not-a-real-token", "Basic YWRtaW46YWRtaW4=", "Bearer "}) {
      RequestSpecification r = given().accept(ContentType.JSON);
      if (header != null) {
        r.header("Authorization", header);
      }
      r.get("/api/v1/repositories/" + repo).then().statusCode(401)
          .header("WWW-Authenticate", startsWith("Bearer"))
          .body("error", equalTo("Unauthorized"));
    }
    // and nothing is done: a delete without a token leaves the repository there
    given().delete("/api/v1/repositories/" + repo + "?force=true").then().statusCode(401);
    as(ADMIN).get("/api/v1/repositories/" + repo).then().statusCode(200);
    // service endpoints stay open
    given().get("/health").then().statusCode(200);
    given().get("/ready").then().statusCode(200);
    given().get("/openapi.json").then().statusCode(200);
    given().get("/q/health").then().statusCode(200);
  }

  @Test
  void aCreatedSecretWorksIsShownOnceAndOnlyItsHashIsStored() throws Exception {
    String repo = repository("authsecret");
    String name = Api.uniqueName("ci");
    Map<String, Object> created = createToken(name, "writer", List.of(repo), null);
    String secret = (String) created.get("token");
    String id = (String) created.get("id");
    assertThat(secret).startsWith("strata_").hasSizeGreaterThanOrEqualTo(40);
    assertThat(created).containsEntry("name", name).containsEntry("role", "writer")
        .containsEntry("repositories", List.of(repo)).containsKey("created_at").containsKey("expires_at");

    as(secret).body(Map.of("name", "work")).post("/api/v1/repositories/" + repo + "/branches").then().statusCode(201);

    String hash = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8)));
    String listed = as(ADMIN).get("/api/v1/tokens?limit=1000").then().statusCode(200).extract().asString();
    String got = as(ADMIN).get("/api/v1/tokens/" + id).then().statusCode(200).body("name", equalTo(name))
        .extract().asString();
    for (String answer : List.of(listed, got)) {
      assertThat(answer).doesNotContain(secret).doesNotContain(hash).doesNotContain("token_hash");
    }
    assertThat(listed).contains(id);
    // the table holds the hash and nothing from which the secret could be read back
    assertThat(Api.rows(pool, "select token_hash from strata_meta.api_tokens where id = '" + id + "'"))
        .containsExactly(hash);
    assertThat(Api.count(pool, "select count(*) from strata_meta.api_tokens t where t::text like '%"
        + secret.substring(7) + "%'")).isZero();
  }

  @Test
  void aRevokedTokenIs401AtOnceAndTheRevocationIsKept() {
    String repo = repository("authrevoke");
    Map<String, Object> created = createToken(Api.uniqueName("revoked"), "reader", List.of(repo), null);
    String secret = (String) created.get("token");
    as(secret).get("/api/v1/repositories/" + repo).then().statusCode(200); // now cached
    as(ADMIN).delete("/api/v1/tokens/" + created.get("id")).then().statusCode(204);
    as(secret).get("/api/v1/repositories/" + repo).then().statusCode(401).body("error", equalTo("Unauthorized"));
    as(ADMIN).get("/api/v1/tokens/" + created.get("id")).then().statusCode(200)
        .body("revoked_at", org.hamcrest.Matchers.notNullValue());
    as(ADMIN).delete("/api/v1/tokens/tok_000000000000000000000000").then().statusCode(404)
        .body("error", equalTo("TokenNotFound"));
    as(ADMIN).delete("/api/v1/tokens/%00").then().statusCode(404).body("error", equalTo("TokenNotFound"));
  }

  @Test
  void aTokenRevokedByAnotherServerIsRefusedWithinTheCacheTtl() throws Exception {
    String repo = repository("authttl");
    Map<String, Object> created = createToken(Api.uniqueName("elsewhere"), "reader", List.of(repo), null);
    String secret = (String) created.get("token");
    as(secret).get("/api/v1/repositories/" + repo).then().statusCode(200); // cached here
    // another server sharing the database revokes it: only the table changes
    Api.sql(pool, "update strata_meta.api_tokens set revoked_at = now(), revoked_by = 'other' where id = '"
        + created.get("id") + "'");
    Thread.sleep(TokenAuthProfile.CACHE_TTL_SECONDS * 1000L + 300);
    as(secret).get("/api/v1/repositories/" + repo).then().statusCode(401);
  }

  @Test
  void anExpiredTokenIs401() throws Exception {
    String repo = repository("authexpiry");
    Instant expiry = Instant.now().plusSeconds(2);
    Map<String, Object> created = createToken(Api.uniqueName("shortlived"), "reader", List.of(repo), expiry.toString());
    String secret = (String) created.get("token");
    as(secret).get("/api/v1/repositories/" + repo).then().statusCode(200);
    Thread.sleep(Math.max(0, expiry.toEpochMilli() - System.currentTimeMillis()) + 200);
    as(secret).get("/api/v1/repositories/" + repo).then().statusCode(401);
    // and one cannot be made already expired
    as(ADMIN).body(Map.of("name", Api.uniqueName("past"), "role", "reader", "repositories", List.of("*"),
        "expires_at", "2000-01-01T00:00:00Z")).post("/api/v1/tokens").then().statusCode(422);
  }

  @Test
  void badTokenRequestsAre4xxAndCreateNothing() {
    long before = Api.count(pool, "select count(*) from strata_meta.api_tokens");
    List<Map<String, Object>> bodies = List.of(
        Map.of("name", "x", "role", "root", "repositories", List.of("*")),
        Map.of("name", "x", "role", "reader", "repositories", List.of()),
        Map.of("name", "x", "role", "reader", "repositories", List.of("*", "a")),
        Map.of("name", "x", "role", "reader", "repositories", List.of("bad\u0000name")),
        Map.of("name", "bad name\u202e", "role", "reader", "repositories", List.of("*")),
        Map.of("name", "admin", "role", "reader", "repositories", List.of("*")),
        Map.of("name", "Admin", "role", "reader", "repositories", List.of("*")), // reads as the bootstrap's in a log
        Map.of("name", "ADMIN", "role", "reader", "repositories", List.of("*")),
        Map.of("name", "x", "role", "reader", "repositories", List.of("*"), "expires_at", "tomorrow"),
        Map.of("name", "x".repeat(10_000), "role", "reader", "repositories", List.of("*")));
    for (Map<String, Object> body : bodies) {
      int status = as(ADMIN).body(body).post("/api/v1/tokens").then().extract().statusCode();
      assertThat(status).as(body.toString().substring(0, Math.min(200, body.toString().length()))).isBetween(400, 422);
    }
    as(ADMIN).body("[]").post("/api/v1/tokens").then().statusCode(400);
    String name = Api.uniqueName("dup");
    createToken(name, "reader", List.of("*"), null);
    as(ADMIN).body(Map.of("name", name, "role", "reader", "repositories", List.of("*"))).post("/api/v1/tokens")
        .then().statusCode(409).body("error", equalTo("TokenAlreadyExists"));
    assertThat(Api.count(pool, "select count(*) from strata_meta.api_tokens")).isEqualTo(before + 1);
  }

  @Test
  void theActorOnEventsIsTheTokenAndXUserHeadersAreIgnored() {
    String repo = repository("authactor");
    String name = Api.uniqueName("bot");
    String secret = (String) createToken(name, "writer", List.of(repo), null).get("token");
    long before = Api.count(pool, "select coalesce(max(position), 0) from strata_meta.events");
    as(secret).header("X-User-Id", "mallory").header("X-User-Name", "Mallory").header("X-User-Email", "m@evil")
        .body(Map.of("name", "spoofed")).post("/api/v1/repositories/" + repo + "/branches").then().statusCode(201);
    as(secret).header("X-User-Id", "mallory")
        .body(Map.of("message", "by the bot", "allow_empty", true,
            "author", Map.of("name", "Ada", "email", "ada@example.com")))
        .post("/api/v1/repositories/" + repo + "/branches/spoofed/commits").then().statusCode(201);
    List<String> actors = Api.rows(pool, "select distinct actor from strata_meta.events where position > " + before
        + " and stream_id like '%" + repo + "%'");
    assertThat(actors).containsExactly("token:" + name);
    assertThat(Api.rows(pool, "select actor from strata_meta.events where stream_id like '%" + repo
        + "%' and type = 'io.strata.repository.created.v1'")).containsExactly("token:admin");
    // the commit's author is still the body's author (git's author vs committer)
    as(secret).get("/api/v1/repositories/" + repo + "/commits?ref=spoofed&limit=1").then().statusCode(200)
        .body("items[0].author.name", equalTo("Ada"));
  }

  /** The hostile pass: an Idempotency-Key replayed another token's answer. A key is its token's. */
  @Test
  void anIdempotencyKeyReplaysOnlyForTheTokenThatSentIt() {
    String repo = repository("authidem");
    String first = (String) createToken(Api.uniqueName("one"), "writer", List.of(repo), null).get("token");
    String second = (String) createToken(Api.uniqueName("two"), "writer", List.of(repo), null).get("token");
    Map<String, Object> body = Map.of("message", "step", "allow_empty", true);
    String path = "/api/v1/repositories/" + repo + "/branches/main/commits";
    String mine = as(first).header("Idempotency-Key", "k-1").body(body).post(path).then().statusCode(201)
        .extract().path("id");
    String theirs = as(second).header("Idempotency-Key", "k-1").body(body).post(path).then().statusCode(201)
        .header("Idempotent-Replayed", (String) null).extract().path("id");
    assertThat(theirs).isNotEqualTo(mine);
    as(first).header("Idempotency-Key", "k-1").body(body).post(path).then().statusCode(201)
        .header("Idempotent-Replayed", "true").body("id", equalTo(mine));
  }

  @Test
  void theRepositoryListShowsOnlyWhatTheTokenMaySee() {
    String mine = repository("authmine");
    String theirs = repository("auththeirs");
    String secret = (String) createToken(Api.uniqueName("lister"), "reader", List.of(mine), null).get("token");
    Response r = as(secret).get("/api/v1/repositories?limit=1000");
    r.then().statusCode(200).body("total", equalTo(1));
    assertThat(r.jsonPath().getList("items.name")).containsExactly(mine);
    as(secret).get("/api/v1/repositories/" + theirs).then().statusCode(404).body("error", equalTo("RepositoryNotFound"));
    // a name that does not exist answers the same
    as(secret).get("/api/v1/repositories/no-such-repo-at-all").then().statusCode(404)
        .body("error", equalTo("RepositoryNotFound"));
    assertThat(as(ADMIN).get("/api/v1/repositories?limit=1000").jsonPath().getList("items.name"))
        .contains(mine, theirs);
  }

  @Test
  void everyDeniedRequestIsLoggedWithoutTheSecret() {
    String repo = repository("authlog");
    String secret = (String) createToken(Api.uniqueName("logged"), "reader", List.of(repo), null).get("token");
    List<String> lines = new ArrayList<>();
    Handler capture = new Handler() {
      @Override public void publish(LogRecord record) {
        lines.add(record instanceof org.jboss.logmanager.ExtLogRecord e ? e.getFormattedMessage() : record.getMessage());
      }
      @Override public void flush() {}
      @Override public void close() {}
    };
    java.util.logging.Logger logger = java.util.logging.Logger.getLogger("io.strata.server.api.AuthFilter");
    logger.addHandler(capture);
    try {
      as(secret).delete("/api/v1/repositories/" + repo + "?force=true").then().statusCode(403)
          .body("error", equalTo("Forbidden"));
      as("strata_wrong-secret-xyz").get("/api/v1/repositories/" + repo).then().statusCode(401);
    } finally {
      logger.removeHandler(capture);
    }
    String all = String.join("\n", lines);
    assertThat(all).contains("DELETE /api/v1/repositories/" + repo).contains("GET /api/v1/repositories/" + repo)
        .doesNotContain(secret).doesNotContain("strata_wrong-secret-xyz");
  }

  /** Forcing a reset of a protected branch rewrites its history: a writer may not, an admin of the repository may. */
  @Test
  void onlyAnAdminForcesTheResetOfAProtectedBranch() {
    String repo = repository("authreset");
    String writer = (String) createToken(Api.uniqueName("resetter"), "writer", List.of(repo), null).get("token");
    String admin = (String) createToken(Api.uniqueName("resetadmin"), "admin", List.of(repo), null).get("token");
    as(writer).body(Map.of("message", "second", "allow_empty", true))
        .post("/api/v1/repositories/{r}/branches/main/commits", repo).then().statusCode(201);
    as(admin).body(Map.of("protected", true)).patch("/api/v1/repositories/{r}/branches/main", repo).then()
        .statusCode(200);
    as(writer).body(Map.of("to", "main~1", "mode", "hard")).post("/api/v1/repositories/{r}/branches/main/reset", repo)
        .then().statusCode(409).body("error", equalTo("BranchProtected"));
    as(writer).body(Map.of("to", "main~1", "mode", "hard", "force", true))
        .post("/api/v1/repositories/{r}/branches/main/reset", repo).then().statusCode(403)
        .body("error", equalTo("Forbidden"));
    as(admin).body(Map.of("to", "main~1", "mode", "hard", "force", true))
        .post("/api/v1/repositories/{r}/branches/main/reset", repo).then().statusCode(200);
  }
}
