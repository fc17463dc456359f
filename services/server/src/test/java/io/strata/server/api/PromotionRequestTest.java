package io.strata.server.api;

import static io.restassured.RestAssured.given;
import static io.strata.server.api.Api.createRepository;
import static io.strata.server.api.Api.head;
import static io.strata.server.api.Api.post;
import static io.strata.server.api.Api.rows;
import static io.strata.server.api.Api.sql;
import static io.strata.server.api.Api.uniqueName;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.ValidatableResponse;
import io.strata.server.TestDatabaseResource;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Promotion requests over HTTP, development to staging to production (main): a SQL check that fails on the merge
 * preview blocks the request, a fix makes it stale and then passing, an external check and approvals by the
 * actors the path names let it merge through the gate, tagged; what was checked is what landed; a request is
 * rejected; and a direct merge into a gated branch is still refused.
 */
@QuarkusTest
@WithTestResource(value = TestDatabaseResource.class, scope = TestResourceScope.GLOBAL)
class PromotionRequestTest {
  @Inject Pool pool;

  static {
    io.restassured.RestAssured.enableLoggingOfRequestAndResponseIfValidationFails();
  }

  private static String promotions(String repo) {
    return "/api/v1/repositories/" + repo + "/promotions";
  }

  private static ValidatableResponse call(String repo, int number, String action, Map<String, Object> body, String user) {
    var request = Api.json().header("X-User-Id", user);
    if (body != null) {
      request = request.body(body);
    }
    return request.post(promotions(repo) + "/" + number + "/" + action).then();
  }

  /** {@code extra} with the pair the request is at: what an approval or a check's result is for. */
  private static Map<String, Object> atPair(String repo, int number, Map<String, Object> extra) {
    Map<String, Object> request = given().get(promotions(repo) + "/" + number).then().statusCode(200).extract().path("");
    Map<String, Object> body = new java.util.HashMap<>(extra);
    body.put("source_commit", request.get("source_commit"));
    body.put("target_head", request.get("target_head"));
    return body;
  }

  private static String commit(String repo, String branch, String message) {
    return Api.json().body(Map.of("message", message, "all", true))
        .post("/api/v1/repositories/{r}/branches/{b}/commits", repo, branch).then().statusCode(201).extract().path("id");
  }

  @Test
  void aPromotionIsCheckedOnWhatWouldLandApprovedAndMergedThroughTheGate() throws Exception {
    String repo = createRepository(uniqueName("promote"));
    String table = "promo_" + uniqueName("t").substring(2).replace("-", "_");
    sql(pool, "create table public." + table + " (id int primary key, amount numeric(10,2) not null)");
    sql(pool, "insert into public." + table + " select g, g * 10 from generate_series(1, 5) g");
    post("/api/v1/repositories/" + repo + "/tables", Map.of("name", "orders", "location",
        "postgresql://local/public." + table)).statusCode(201);
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "staging")).statusCode(201);
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "development")).statusCode(201);
    Api.json().body(Map.of("version", 1, "protected_branches", List.of("main", "staging"),
        "paths", List.of(
            Map.of("source", "development", "target", "staging", "auto_merge", true,
                "required_checks", List.of("orders_present", "no_negative_amounts")),
            Map.of("source", "staging", "target", "main", "required_checks", List.of("orders_present", "ci/build"),
                "approvals", Map.of("required", 1, "actors", List.of("alice")), "tag", "prod-{seq}",
                "verify", Map.of("checks", List.of("at_most_five"), "rollback", "revert"))),
        "checks", List.of(
            Map.of("name", "orders_present", "sql", "select count(*) from orders", "expect", Map.of("min", 1)),
            Map.of("name", "no_negative_amounts", "sql", "select id, amount from orders where amount < 0",
                "expect", "no_rows", "max_rows", 10),
            Map.of("name", "at_most_five", "sql", "select count(*) from orders", "expect", Map.of("max", 5)))))
        .put("/api/v1/repositories/" + repo + "/promotion-policy").then().statusCode(200);

    // development gains a bad row: the request previews it, and the check on the preview fails
    sql(pool, "insert into " + Api.view(repo, "development", "orders") + " values (6, -5)");
    commit(repo, "development", "a refund, booked wrong");
    int first = Api.json().body(Map.of("source", "development", "target", "staging")).post(promotions(repo)).then()
        .statusCode(201).body("state", equalTo("open")).body("stale", equalTo(false))
        .body("preview_branch", startsWith("promotions/")).body("conflicts", equalTo(0))
        .body("checks.status", equalTo(List.of("pending", "pending"))).extract().path("number");
    Api.json().body(Map.of("source", "development", "target", "staging")).post(promotions(repo)).then()
        .statusCode(409).body("error", equalTo("PromotionAlreadyOpen"));
    call(repo, first, "checks/run", null, "ci").statusCode(200).body("state", equalTo("failing"))
        .body("checks[0].status", equalTo("passed")).body("checks[0].summary", equalTo("6 within [1, -]"))
        .body("checks[1].status", equalTo("failed")).body("checks[1].output[0].id", equalTo(6));
    call(repo, first, "merge", null, "ci").statusCode(409).body("error", equalTo("PromotionNotReady"));
    String stagingBefore = head(repo, "staging");

    // the fix on development makes the request stale; checked again, it passes and merges (no approvals needed)
    sql(pool, "update " + Api.view(repo, "development", "orders") + " set amount = 5 where id = 6");
    commit(repo, "development", "the refund, booked right");
    given().get(promotions(repo) + "/" + first).then().statusCode(200).body("stale", equalTo(true));
    call(repo, first, "checks/run", null, "ci").statusCode(200).body("state", equalTo("approved"))
        .body("stale", equalTo(false)).body("checks.status", equalTo(List.of("passed", "passed")));
    String preview = given().get(promotions(repo) + "/" + first).then().extract().path("preview_commit");
    String merged = call(repo, first, "merge", null, "ci").statusCode(200).body("state", equalTo("merged"))
        .extract().path("merge_commit");
    // a merge commit on the evaluated head, of the preview: what the checks read is what landed
    assertThat(head(repo, "staging")).isEqualTo(merged);
    given().get("/api/v1/repositories/{r}/commits/{c}", repo, merged).then()
        .body("parents", equalTo(List.of(stagingBefore, preview)));
    given().queryParam("from", preview).queryParam("to", merged).get("/api/v1/repositories/{r}/diff", repo).then()
        .statusCode(200).body("tables.find { it.table == 'orders' }.inserted", equalTo(0))
        .body("tables.find { it.table == 'orders' }.updated", equalTo(0));
    assertThat(rows(pool, "select id || ':' || amount from " + Api.view(repo, "staging", "orders") + " where id = 6"))
        .containsExactly("6:5.00");
    given().urlEncodingEnabled(false).get("/api/v1/repositories/" + repo + "/branches/promotions%2F" + first).then()
        .statusCode(404);
    call(repo, first, "merge", null, "ci").statusCode(409).body("error", equalTo("PromotionClosed"));

    // staging into main: an external check and an approval by a named actor
    int second = Api.json().body(Map.of("source", "staging", "target", "main")).post(promotions(repo)).then()
        .statusCode(201).extract().path("number");
    // the preview is the request's own: no branch under promotions/ is made by hand, nothing written to it
    Api.json().body(Map.of("name", "promotions/77")).post("/api/v1/repositories/{r}/branches", repo).then()
        .statusCode(422);
    Api.json().urlEncodingEnabled(false).body(Map.of("message", "sneaked in", "allow_empty", true))
        .post("/api/v1/repositories/" + repo + "/branches/promotions%2F" + second + "/commits").then().statusCode(409)
        .body("error", equalTo("BranchGated"));
    // what it would land: a row of orders inserted into main, no schema change
    given().get(promotions(repo) + "/" + second + "/preview").then().statusCode(200)
        .body("tables.find { it.table == 'orders' }.inserted", equalTo(1))
        .body("schema.tables", equalTo(List.of()));
    call(repo, second, "checks/run", null, "ci").statusCode(200).body("state", equalTo("open"))
        .body("checks.status", equalTo(List.of("passed", "pending")));
    call(repo, second, "check-runs", atPair(repo, second, Map.of("name", "ci/unknown", "status", "passed")), "ci")
        .statusCode(422);
    // a result or an approval names the pair it is for: none, or another, is refused
    call(repo, second, "check-runs", Map.of("name", "ci/build", "status", "passed"), "ci").statusCode(422);
    Map<String, Object> otherPair = atPair(repo, second, Map.of("name", "ci/build", "status", "passed"));
    otherPair.put("target_head", preview); // a commit the request is not at
    call(repo, second, "check-runs", otherPair, "ci").statusCode(409).body("error", equalTo("PromotionNotReady"));
    call(repo, second, "check-runs", atPair(repo, second, Map.of("name", "ci/build", "status", "passed", "summary",
        "build #7 green")), "ci").statusCode(200).body("state", equalTo("passing"))
        .body("checks[1].external", equalTo(true));
    call(repo, second, "approvals", atPair(repo, second, Map.of("comment", "fine by me")), "bob").statusCode(403);
    call(repo, second, "merge", null, "ci").statusCode(409).body("error", equalTo("PromotionNotReady"));
    call(repo, second, "approvals", atPair(repo, second, Map.of("comment", "ship it")), "alice").statusCode(200)
        .body("state", equalTo("approved")).body("approvals[0].approver", equalTo("alice"))
        .body("approvals[0].counts", equalTo(true));
    // main is gated: a direct merge of staging is refused, the promotion's goes through
    Api.json().body(Map.of("source", "staging")).post("/api/v1/repositories/{r}/branches/main/merge", repo).then()
        .statusCode(409).body("error", equalTo("BranchGated"));
    call(repo, second, "merge", null, "ci").statusCode(200).body("state", equalTo("merged"))
        .body("tag", equalTo("prod-1"));
    String main = head(repo, "main");
    given().get("/api/v1/repositories/{r}/tags/prod-1", repo).then().statusCode(200).body("commit", equalTo(main));
    assertThat(rows(pool, "select id || ':' || amount from public." + table + " where id = 6")).containsExactly("6:5.00");
    // its verification on main fails (six orders where at most five may be): the merge is reverted through the gate
    call(repo, second, "verify", null, "ci").statusCode(200).body("state", equalTo("rolled_back"))
        .body("verification.status", equalTo("failed"))
        .body("verification.results[0].summary", equalTo("6 outside [-, 5]"))
        .body("revert_commit", equalTo(head(repo, "main")));
    assertThat(rows(pool, "select count(*)::text from public." + table)).containsExactly("5");
    call(repo, second, "verify", null, "ci").statusCode(409).body("error", equalTo("PromotionNotReady"));

    // a protected branch is not made outside a promotion
    Api.json().body(Map.of("name", "staging-copy", "protected", true)).post("/api/v1/repositories/{r}/branches", repo)
        .then().statusCode(409).body("error", equalTo("BranchGated"))
        .body("details.operation", equalTo("create_branch"));
    // a second verification is refused; a request rejected: closed, its preview gone
    sql(pool, "update " + Api.view(repo, "development", "orders") + " set amount = 7 where id = 6");
    commit(repo, "development", "another change");
    int third = Api.json().body(Map.of("source", "development", "target", "staging")).post(promotions(repo)).then()
        .statusCode(201).extract().path("number");
    call(repo, third, "reject", Map.of("reason", "not this week"), "ci").statusCode(200)
        .body("state", equalTo("rejected")).body("reason", equalTo("not this week"));
    given().urlEncodingEnabled(false).get("/api/v1/repositories/" + repo + "/branches/promotions%2F" + third).then()
        .statusCode(404);
    given().queryParam("state", "merged").get(promotions(repo)).then().statusCode(200)
        .body("items.number", equalTo(List.of(first)));
    given().queryParam("state", "rolled_back").get(promotions(repo)).then().statusCode(200)
        .body("items.number", equalTo(List.of(second)));
    given().get(promotions(repo) + "/99").then().statusCode(404).body("error", equalTo("PromotionNotFound"));
    given().get(promotions(repo) + "/x").then().statusCode(404);

    List<String> types = given().queryParam("limit", 1000).get("/api/v1/repositories/{r}/events", repo).then()
        .extract().path("items.type");
    assertThat(types).contains("io.strata.promotion.opened.v1", "io.strata.promotion.evaluated.v1",
        "io.strata.check_run.completed.v1", "io.strata.promotion.approved.v1", "io.strata.promotion.merged.v1",
        "io.strata.promotion.rejected.v1", "io.strata.promotion.verified.v1", "io.strata.promotion.rolled_back.v1");
  }
}
