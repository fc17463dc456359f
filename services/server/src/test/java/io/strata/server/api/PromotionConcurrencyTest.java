package io.strata.server.api;

import static io.restassured.RestAssured.given;
import static io.strata.server.api.Api.createRepository;
import static io.strata.server.api.Api.head;
import static io.strata.server.api.Api.post;
import static io.strata.server.api.Api.sql;
import static io.strata.server.api.Api.uniqueName;
import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import io.strata.server.TestDatabaseResource;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * Promotion requests under concurrent callers: evaluations racing each other leave one consistent preview, and
 * merges of one approved request racing each other land it once (one merge commit, one promotion.merged); the
 * losers are refused with a 409 and change nothing.
 */
@QuarkusTest
@WithTestResource(value = TestDatabaseResource.class, scope = TestResourceScope.GLOBAL)
class PromotionConcurrencyTest {
  private static final int CALLERS = 6;

  @Inject Pool pool;

  @Test
  void racingEvaluationsAndMergesLandARequestOnce() throws Exception {
    String repo = createRepository(uniqueName("promo-race"));
    String table = "pr_" + uniqueName("t").substring(2).replace("-", "_");
    sql(pool, "create table public." + table + " (id int primary key, v int)");
    sql(pool, "insert into public." + table + " select g, g from generate_series(1, 5) g");
    post("/api/v1/repositories/" + repo + "/tables", Map.of("name", "t", "location", "postgresql://local/public."
        + table)).statusCode(201);
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "dev")).statusCode(201);
    Api.json().body(Map.of("version", 1, "protected_branches", List.of("main"),
            "paths", List.of(Map.of("source", "dev", "target", "main"))))
        .put("/api/v1/repositories/" + repo + "/promotion-policy").then().statusCode(200);
    sql(pool, "update " + Api.view(repo, "dev", "t") + " set v = 50 where id = 5");
    Api.json().body(Map.of("message", "on dev", "all", true))
        .post("/api/v1/repositories/{r}/branches/dev/commits", repo).then().statusCode(201);
    String promotions = "/api/v1/repositories/" + repo + "/promotions";
    int number = Api.json().body(Map.of("source", "dev", "target", "main")).post(promotions).then().statusCode(201)
        .extract().path("number");
    String mainBefore = head(repo, "main");

    // dev moves: every caller evaluates at once
    sql(pool, "update " + Api.view(repo, "dev", "t") + " set v = 40 where id = 4");
    Api.json().body(Map.of("message", "on dev again", "all", true))
        .post("/api/v1/repositories/{r}/branches/dev/commits", repo).then().statusCode(201);
    List<Response> evaluations = all(() -> given().post(promotions + "/" + number + "/evaluate"));
    assertThat(evaluations).extracting(Response::statusCode).allSatisfy(s -> assertThat(s).isIn(200, 404, 409));
    assertThat(evaluations).extracting(Response::statusCode).contains(200);
    // whatever the race left, the request evaluates to one preview of dev's head into main's
    given().post(promotions + "/" + number + "/evaluate").then().statusCode(200);
    Map<String, Object> request = given().get(promotions + "/" + number).then().statusCode(200).extract().path("");
    assertThat(request).containsEntry("state", "approved").containsEntry("stale", false)
        .containsEntry("source_commit", head(repo, "dev")).containsEntry("target_head", mainBefore);

    // every caller merges at once, while others evaluate it (a second promotion service): one lands it, and no
    // evaluation racing the merge leaves a preview behind once it closed
    java.util.concurrent.atomic.AtomicInteger turn = new java.util.concurrent.atomic.AtomicInteger();
    List<Response> calls = all(() -> given().post(promotions + "/" + number
        + (turn.getAndIncrement() % 2 == 0 ? "/merge" : "/evaluate")));
    assertThat(calls).extracting(Response::statusCode).allSatisfy(s -> assertThat(s).isIn(200, 404, 409));
    given().get("/api/v1/repositories/{r}/branches/{b}", repo, "promotions/" + number).then().statusCode(404);
    // one landed it: one merge commit, one promotion.merged (below); the others were refused or saw it merged
    String merged = given().get(promotions + "/" + number).then().statusCode(200).extract().path("merge_commit");
    assertThat(head(repo, "main")).isEqualTo(merged);
    given().get("/api/v1/repositories/{r}/commits/{c}", repo, merged).then().statusCode(200)
        .body("parents[0]", org.hamcrest.Matchers.equalTo(mainBefore));
    List<String> types = given().queryParam("types", "io.strata.promotion.merged").queryParam("limit", 100)
        .get("/api/v1/repositories/{r}/events", repo).then().statusCode(200).extract().path("items.type");
    assertThat(types).hasSize(1);
    assertThat(Api.rows(pool, "select v::text from public." + table + " where id in (4, 5) order by id"))
        .containsExactly("40", "50");
  }

  /**
   * A merge whose caller hangs up as soon as it asked (a promotion service killed mid-call) lands whole: merged,
   * recorded, its preview gone — never a merge commit on the target with the request still approved.
   */
  @Test
  void aMergeWhoseCallerHangsUpLandsWhole() throws Exception {
    String repo = createRepository(uniqueName("promo-gone"));
    String table = "pg_" + uniqueName("t").substring(2).replace("-", "_");
    sql(pool, "create table public." + table + " (id int primary key, v int)");
    sql(pool, "insert into public." + table + " select g, g from generate_series(1, 2000) g");
    post("/api/v1/repositories/" + repo + "/tables", Map.of("name", "t", "location", "postgresql://local/public."
        + table)).statusCode(201);
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "dev")).statusCode(201);
    Api.json().body(Map.of("version", 1, "protected_branches", List.of("main"),
            "paths", List.of(Map.of("source", "dev", "target", "main", "tag", "gone-{seq}"))))
        .put("/api/v1/repositories/" + repo + "/promotion-policy").then().statusCode(200);
    sql(pool, "update " + Api.view(repo, "dev", "t") + " set v = -v where id <= 1000");
    Api.json().body(Map.of("message", "on dev", "all", true))
        .post("/api/v1/repositories/{r}/branches/dev/commits", repo).then().statusCode(201);
    String promotions = "/api/v1/repositories/" + repo + "/promotions";
    int number = Api.json().body(Map.of("source", "dev", "target", "main")).post(promotions).then().statusCode(201)
        .extract().path("number");
    String mainBefore = head(repo, "main");

    java.net.URI base = java.net.URI.create(io.restassured.RestAssured.baseURI + ":" + io.restassured.RestAssured.port);
    try (java.net.Socket socket = new java.net.Socket(base.getHost(), base.getPort())) {
      String path = promotions + "/" + number + "/merge";
      socket.getOutputStream().write(("POST " + path + " HTTP/1.1\r\nHost: " + base.getHost() + "\r\n"
          + "Content-Length: 0\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      socket.getOutputStream().flush();
      Thread.sleep(20); // asked, and gone before the answer
    }
    // the merge goes on without its caller to its last step (the preview deleted after the merge is recorded)
    org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(60)).until(() -> "merged".equals(
        given().get(promotions + "/" + number).then().statusCode(200).extract().path("state"))
        && given().get("/api/v1/repositories/{r}/branches/{b}", repo, "promotions/" + number).statusCode() == 404);
    Map<String, Object> request = given().get(promotions + "/" + number).then().extract().path("");
    assertThat(request).containsEntry("tag", "gone-1");
    assertThat(head(repo, "main")).isEqualTo(request.get("merge_commit")).isNotEqualTo(mainBefore);
    assertThat(Api.rows(pool, "select count(*)::text from public." + table + " where v < 0")).containsExactly("1000");
  }

  /**
   * A merge that landed but was not recorded (the server stopped between the merge commit and promotion.merged,
   * done here by an admin's merge of the preview's commit) is recorded by the next evaluation — merged, tagged, its
   * preview gone — not evaluated again into a second promotion of the same data.
   */
  @Test
  void aMergeThatLandedButWasNotRecordedIsRecordedByTheNextEvaluation() throws Exception {
    String repo = createRepository(uniqueName("promo-landed"));
    String table = "pl_" + uniqueName("t").substring(2).replace("-", "_");
    sql(pool, "create table public." + table + " (id int primary key, v int)");
    sql(pool, "insert into public." + table + " select g, g from generate_series(1, 5) g");
    post("/api/v1/repositories/" + repo + "/tables", Map.of("name", "t", "location", "postgresql://local/public."
        + table)).statusCode(201);
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "dev")).statusCode(201);
    Api.json().body(Map.of("version", 1, "protected_branches", List.of("main"),
            "paths", List.of(Map.of("source", "dev", "target", "main", "tag", "landed-{seq}"))))
        .put("/api/v1/repositories/" + repo + "/promotion-policy").then().statusCode(200);
    sql(pool, "update " + Api.view(repo, "dev", "t") + " set v = 50 where id = 5");
    Api.json().body(Map.of("message", "on dev", "all", true))
        .post("/api/v1/repositories/{r}/branches/dev/commits", repo).then().statusCode(201);
    String promotions = "/api/v1/repositories/" + repo + "/promotions";
    int number = Api.json().body(Map.of("source", "dev", "target", "main")).post(promotions).then().statusCode(201)
        .extract().path("number");
    Map<String, Object> approved = given().get(promotions + "/" + number).then().statusCode(200).extract().path("");
    assertThat(approved).containsEntry("state", "approved");

    Api.json().header("Strata-Gate-Override", "the promotion's merge, landed before a crash")
        .body(Map.of("source", approved.get("preview_commit"), "fast_forward", "never",
            "expected_head", approved.get("target_head")))
        .post("/api/v1/repositories/{r}/branches/main/merge", repo).then().statusCode(200);
    String landed = head(repo, "main");

    Map<String, Object> recorded = given().post(promotions + "/" + number + "/evaluate").then().statusCode(200)
        .extract().path("");
    assertThat(recorded).containsEntry("state", "merged").containsEntry("merge_commit", landed)
        .containsEntry("tag", "landed-1");
    assertThat(head(repo, "main")).isEqualTo(landed);
    given().get("/api/v1/repositories/{r}/branches/{b}", repo, "promotions/" + number).then().statusCode(404);
    given().post(promotions + "/" + number + "/merge").then().statusCode(409).body("error",
        org.hamcrest.Matchers.equalTo("PromotionClosed"));
  }

  /**
   * The server stopping mid-promotion, at the two places where one step is recorded and the next is not yet done
   * (failpoints): a merge landed but not recorded is recorded by the next evaluation; a verification recorded
   * failed whose revert did not happen is rolled back by the next verify.
   */
  @Test
  void aPromotionCutShortByTheServerIsFinishedByTheNextCall() throws Exception {
    String repo = createRepository(uniqueName("promo-cut"));
    String table = "pc_" + uniqueName("t").substring(2).replace("-", "_");
    sql(pool, "create table public." + table + " (id int primary key, v int)");
    sql(pool, "insert into public." + table + " select g, g from generate_series(1, 5) g");
    post("/api/v1/repositories/" + repo + "/tables", Map.of("name", "t", "location", "postgresql://local/public."
        + table)).statusCode(201);
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "dev")).statusCode(201);
    Api.json().body(Map.of("version", 1, "protected_branches", List.of("main"),
            "checks", List.of(Map.of("name", "small", "sql", "select id from t where v > 40",
                "expect", Map.of("kind", "no_rows"))),
            "paths", List.of(Map.of("source", "dev", "target", "main", "tag", "cut-{seq}",
                "verify", Map.of("checks", List.of("small"), "rollback", "revert")))))
        .put("/api/v1/repositories/" + repo + "/promotion-policy").then().statusCode(200);
    sql(pool, "update " + Api.view(repo, "dev", "t") + " set v = 50 where id = 5");
    Api.json().body(Map.of("message", "on dev", "all", true))
        .post("/api/v1/repositories/{r}/branches/dev/commits", repo).then().statusCode(201);
    String promotions = "/api/v1/repositories/" + repo + "/promotions";
    int number = Api.json().body(Map.of("source", "dev", "target", "main")).post(promotions).then().statusCode(201)
        .extract().path("number");
    String request = promotions + "/" + number;

    io.strata.server.runtime.Failpoints.arm("promotion.merge-landed", "error");
    try {
      assertThat(given().post(request + "/merge").statusCode()).isGreaterThanOrEqualTo(500);
    } finally {
      io.strata.server.runtime.Failpoints.disarm("promotion.merge-landed");
    }
    String landed = head(repo, "main");
    given().get(request).then().statusCode(200).body("state", org.hamcrest.Matchers.equalTo("approved"))
        .body("stale", org.hamcrest.Matchers.equalTo(true));
    given().post(request + "/evaluate").then().statusCode(200).body("state", org.hamcrest.Matchers.equalTo("merged"))
        .body("merge_commit", org.hamcrest.Matchers.equalTo(landed)).body("tag", org.hamcrest.Matchers.equalTo("cut-1"));

    io.strata.server.runtime.Failpoints.arm("promotion.verification-recorded", "error");
    try {
      assertThat(given().post(request + "/verify").statusCode()).isGreaterThanOrEqualTo(500);
    } finally {
      io.strata.server.runtime.Failpoints.disarm("promotion.verification-recorded");
    }
    given().get(request).then().statusCode(200).body("state", org.hamcrest.Matchers.equalTo("merged"))
        .body("verification.status", org.hamcrest.Matchers.equalTo("failed"));
    assertThat(head(repo, "main")).isEqualTo(landed);
    given().post(request + "/verify").then().statusCode(200)
        .body("state", org.hamcrest.Matchers.equalTo("rolled_back"));
    String reverted = given().get(request).then().extract().path("revert_commit");
    assertThat(head(repo, "main")).isEqualTo(reverted);
    assertThat(Api.rows(pool, "select v::text from public." + table + " where id = 5")).containsExactly("5");
    given().post(request + "/verify").then().statusCode(409);
  }

  private static List<Response> all(Callable<Response> call) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(CALLERS);
    try {
      List<Future<Response>> futures = new ArrayList<>();
      for (int i = 0; i < CALLERS; i++) {
        futures.add(pool.submit(call));
      }
      List<Response> out = new ArrayList<>();
      for (Future<Response> f : futures) {
        out.add(f.get());
      }
      return out;
    } finally {
      pool.shutdownNow();
    }
  }
}
