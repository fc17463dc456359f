package io.strata.server.api;

import static io.restassured.RestAssured.given;
import static io.strata.server.api.Api.commit;
import static io.strata.server.api.Api.createRepository;
import static io.strata.server.api.Api.head;
import static io.strata.server.api.Api.json;
import static io.strata.server.api.Api.post;
import static io.strata.server.api.Api.uniqueName;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.notNullValue;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import io.strata.events.Author;
import io.strata.events.CommitIds;
import io.strata.server.TestDatabaseResource;
import io.strata.server.application.RepositoryStateLoader;
import io.strata.server.domain.RepositoryState;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

@QuarkusTest
@WithTestResource(value = TestDatabaseResource.class, scope = TestResourceScope.GLOBAL)
class RefsApiTest {
  private static final String REPOS = "/api/v1/repositories";

  @Inject RepositoryStateLoader loader;

  @Test
  void repositoryLifecycle() {
    String name = uniqueName("repo");
    Response created = Api.json().body(Map.of("name", name, "description", "sales")).post(REPOS);
    created.then().statusCode(201)
        .body("name", equalTo(name)).body("description", equalTo("sales"))
        .body("default_branch", equalTo("main")).body("head", notNullValue()).body("position", notNullValue())
        .header("X-Strata-Position", notNullValue());
    // read-your-writes: the answer came after the projections caught up
    given().get(REPOS + "/{r}", name).then().statusCode(200).body("head", equalTo(created.path("head")));
    post(REPOS, Map.of("name", name)).statusCode(409).body("error", equalTo("RepositoryAlreadyExists"));

    // the initial commit is the only commit; main points at it
    given().get(REPOS + "/{r}/commits", name).then().statusCode(200)
        .body("total", equalTo(1)).body("items[0].message", equalTo("Initial commit"))
        .body("items[0].parents", hasSize(0));

    // a repository with history is only deleted with force
    commit(name, "main", "one");
    given().delete(REPOS + "/{r}", name).then().statusCode(409).body("error", equalTo("RepositoryNotEmpty"));
    given().delete(REPOS + "/{r}?force=true", name).then().statusCode(204);
    given().get(REPOS + "/{r}", name).then().statusCode(404).body("error", equalTo("RepositoryNotFound"));
    given().get(REPOS + "/{r}/branches", name).then().statusCode(404);
    // and the name can be used again, starting from scratch
    createRepository(name);
    given().get(REPOS + "/{r}/commits", name).then().statusCode(200).body("total", equalTo(1));
    given().delete(REPOS + "/{r}", name).then().statusCode(204); // pristine: no force needed
  }

  @Test
  void repositoryListIsPaginated() {
    String prefix = uniqueName("page");
    for (int i = 0; i < 3; i++) {
      createRepository(prefix + "-" + i);
    }
    Map<String, Object> page = given().get(REPOS + "?limit=2&offset=0").then().statusCode(200)
        .body("items", hasSize(2)).extract().as(Map.class);
    int total = (Integer) page.get("total");
    assertThat(total).isGreaterThanOrEqualTo(3);
    assertThat(page.get("has_more")).isEqualTo(true);
    given().get(REPOS + "?limit=2&offset=" + (total - 1)).then().statusCode(200)
        .body("items", hasSize(1)).body("has_more", equalTo(false));
  }

  @Test
  void commitsAreContentAddressedAndGuardedByExpectedHead() {
    String repo = createRepository(uniqueName("commits"));
    String root = head(repo, "main");
    Response r = json().header("X-User-Name", "Grace Hopper").header("X-User-Email", "grace@example.com")
        .body(Map.of("message", "first", "allow_empty", true, "expected_head", root.substring(0, 7)))
        .post(REPOS + "/{r}/branches/main/commits", repo);
    r.then().statusCode(201).body("parents", equalTo(List.of(root)))
        .body("author.name", equalTo("Grace Hopper")).body("short_id", equalTo(r.path("id").toString().substring(0, 7)));
    String id = r.path("id");
    Instant at = Instant.parse(r.path("created_at"));
    assertThat(id).isEqualTo(CommitIds.of(List.of(root), CommitIds.EMPTY_TREE,
        new Author("Grace Hopper", "grace@example.com"), at, "first"));

    // stale expected_head: 409 HeadMoved naming the actual head, nothing committed
    json().body(Map.of("message", "stale", "allow_empty", true, "expected_head", root))
        .post(REPOS + "/{r}/branches/main/commits", repo)
        .then().statusCode(409).body("error", equalTo("HeadMoved")).body("details.actual_head", equalTo(id));
    // nothing staged and no allow_empty: refused
    json().body(Map.of("message", "empty")).post(REPOS + "/{r}/branches/main/commits", repo)
        .then().statusCode(422).body("error", equalTo("ValidationError"));
    json().body(Map.of("message", "x", "allow_empty", true)).post(REPOS + "/{r}/branches/nope/commits", repo)
        .then().statusCode(404).body("error", equalTo("BranchNotFound"));
    json().body(Map.of("message", "x", "allow_empty", true, "tables", List.of("users")))
        .post(REPOS + "/{r}/branches/main/commits", repo)
        .then().statusCode(404).body("error", equalTo("TableNotFound"));
    assertThat(head(repo, "main")).isEqualTo(id);

    given().get(REPOS + "/{r}/commits/{c}", repo, id.substring(0, 9)).then().statusCode(200)
        .body("id", equalTo(id)).body("message", equalTo("first"));
    given().get(REPOS + "/{r}/commits/{c}", repo, "0000000").then().statusCode(404)
        .body("error", equalTo("CommitNotFound"));
  }

  @Test
  void refsResolveBranchesTagsShortIdsAncestryAndTime() throws Exception {
    String repo = createRepository(uniqueName("refs"));
    String c1 = commit(repo, "main", "c1");
    Thread.sleep(20);
    Instant between = Instant.now();
    Thread.sleep(20);
    String c2 = commit(repo, "main", "c2");
    String c3 = commit(repo, "main", "c3");

    post(REPOS + "/" + repo + "/tags", Map.of("name", "v1", "ref", "main~2", "message", "release"))
        .statusCode(201).body("commit", equalTo(c1)).body("message", equalTo("release"));
    // a branch from each kind of ref
    post(REPOS + "/" + repo + "/branches", Map.of("name", "from-tag", "from", "v1")).statusCode(201).body("head", equalTo(c1));
    post(REPOS + "/" + repo + "/branches", Map.of("name", "from-short", "from", c2.substring(0, 7)))
        .statusCode(201).body("head", equalTo(c2));
    post(REPOS + "/" + repo + "/branches", Map.of("name", "feature/x", "from", "main~1")).statusCode(201)
        .body("head", equalTo(c2)).body("from", equalTo("main~1"));
    post(REPOS + "/" + repo + "/branches", Map.of("name", "then", "from", "main@{" + between + "}"))
        .statusCode(201).body("head", equalTo(c1));
    post(REPOS + "/" + repo + "/branches", Map.of("name", "plain")).statusCode(201).body("head", equalTo(c3))
        .body("from", equalTo("main"));
    post(REPOS + "/" + repo + "/branches", Map.of("name", "x", "from", "nope")).statusCode(404)
        .body("error", equalTo("RefNotFound"));
    post(REPOS + "/" + repo + "/branches", Map.of("name", "x", "from", "main@{2001-01-01}")).statusCode(404)
        .body("error", equalTo("RefNotFound"));
    post(REPOS + "/" + repo + "/branches", Map.of("name", "x", "from", "main~99")).statusCode(404);
    post(REPOS + "/" + repo + "/branches", Map.of("name", "plain")).statusCode(409)
        .body("error", equalTo("BranchAlreadyExists"));

    // a slash in a branch name travels as %2F
    given().urlEncodingEnabled(false).get(REPOS + "/" + repo + "/branches/feature%2Fx").then().statusCode(200)
        .body("name", equalTo("feature/x")).body("head_commit.id", equalTo(c2)).body("is_default", equalTo(false));
    commit(repo, "feature/x", "on feature");

    given().get(REPOS + "/{r}/commits?ref=main&limit=2", repo).then().statusCode(200)
        .body("total", equalTo(4)).body("has_more", equalTo(true))
        .body("items.id", equalTo(List.of(c3, c2)));
    given().get(REPOS + "/{r}/commits?ref=main&limit=2&offset=2", repo).then()
        .body("items.message", equalTo(List.of("c1", "Initial commit"))).body("has_more", equalTo(false));
    given().get(REPOS + "/{r}/commits?ref=v1", repo).then().body("total", equalTo(2));
    given().get(REPOS + "/{r}/commits?ref=main&since=" + between, repo).then().body("total", equalTo(2));
    given().get(REPOS + "/{r}/commits?ref=main&until=" + between, repo).then().body("total", equalTo(2));
    given().get(REPOS + "/{r}/commits?ref=main&author=nobody", repo).then().body("total", equalTo(0));

    given().queryParam("base", "main").queryParam("head", "feature/x").get(REPOS + "/{r}/compare", repo).then().statusCode(200)
        .body("merge_base", equalTo(c2)).body("ahead", equalTo(1)).body("behind", equalTo(1))
        .body("can_fast_forward", equalTo(false));
    given().get(REPOS + "/{r}/compare?base=v1&head=main", repo).then()
        .body("ahead", equalTo(2)).body("behind", equalTo(0)).body("can_fast_forward", equalTo(true));

    given().get(REPOS + "/{r}/tags", repo).then().body("items.name", hasItem("v1"));
    post(REPOS + "/" + repo + "/tags", Map.of("name", "v1", "ref", "main")).statusCode(409)
        .body("error", equalTo("TagAlreadyExists"));
    given().delete(REPOS + "/{r}/tags/v1", repo).then().statusCode(204);
    given().get(REPOS + "/{r}/tags/v1", repo).then().statusCode(404).body("error", equalTo("TagNotFound"));
    given().delete(REPOS + "/{r}/tags/v1", repo).then().statusCode(404);
  }

  /** PATCH and reset used to answer created_at and from as null: every branch answer is complete. */
  @Test
  void branchAnswersAreCompleteAfterEveryOperation() {
    String repo = createRepository(uniqueName("complete"));
    commit(repo, "main", "second");
    Map<String, Object> created = post(REPOS + "/" + repo + "/branches", Map.of("name", "dev", "from", "main~1"))
        .statusCode(201).extract().as(Map.class);
    Map<String, Object> read = given().get(REPOS + "/{r}/branches/dev", repo).then().statusCode(200).extract().as(Map.class);
    assertThat(read.get("created_at")).isNotNull();
    assertThat(read.get("from")).isNotNull().isEqualTo(created.get("from"));
    Map<String, Object> patched = json().body(Map.of("protected", true)).patch(REPOS + "/{r}/branches/dev", repo)
        .then().statusCode(200).body("protected", equalTo(true)).extract().as(Map.class);
    Map<String, Object> reset = json().body(Map.of("to", "main", "mode", "hard", "force", true))
        .post(REPOS + "/{r}/branches/dev/reset", repo).then().statusCode(200).extract().as(Map.class);
    for (Map<String, Object> answer : List.of(patched, reset)) {
      assertThat(answer.get("created_at")).as("created_at of %s", answer).isEqualTo(read.get("created_at"));
      assertThat(answer.get("from")).as("from of %s", answer).isEqualTo(read.get("from"));
      assertThat(answer.get("is_default")).isEqualTo(false);
    }
    assertThat(reset.get("head")).isEqualTo(head(repo, "main"));
    Map<String, Object> main = json().body(Map.of("protected", false)).patch(REPOS + "/{r}/branches/main", repo)
        .then().statusCode(200).extract().as(Map.class);
    assertThat(main.get("created_at")).isEqualTo(given().get(REPOS + "/{r}/branches/main", repo).then()
        .extract().path("created_at"));
    assertThat(main.get("is_default")).isEqualTo(true);
  }

  @Test
  void branchDeletionProtectsHistory() {
    String repo = createRepository(uniqueName("delete"));
    post(REPOS + "/" + repo + "/branches", Map.of("name", "merged")).statusCode(201);
    post(REPOS + "/" + repo + "/branches", Map.of("name", "work")).statusCode(201);
    post(REPOS + "/" + repo + "/branches", Map.of("name", "prod", "protected", true)).statusCode(201)
        .body("protected", equalTo(true));
    commit(repo, "work", "unmerged work");

    given().delete(REPOS + "/{r}/branches/main", repo).then().statusCode(409).body("error", equalTo("BranchProtected"));
    given().delete(REPOS + "/{r}/branches/main?force=true", repo).then().statusCode(409);
    given().delete(REPOS + "/{r}/branches/prod?force=true", repo).then().statusCode(409)
        .body("error", equalTo("BranchProtected"));
    given().delete(REPOS + "/{r}/branches/work", repo).then().statusCode(409).body("error", equalTo("BranchNotMerged"));
    given().delete(REPOS + "/{r}/branches/merged", repo).then().statusCode(204);
    given().delete(REPOS + "/{r}/branches/work?force=true", repo).then().statusCode(204);
    given().delete(REPOS + "/{r}/branches/work", repo).then().statusCode(404).body("error", equalTo("BranchNotFound"));

    json().body(Map.of("protected", false)).patch(REPOS + "/{r}/branches/prod", repo).then().statusCode(200)
        .body("protected", equalTo(false));
    given().delete(REPOS + "/{r}/branches/prod", repo).then().statusCode(204);
    given().get(REPOS + "/{r}/branches", repo).then().body("items.name", equalTo(List.of("main")))
        .body("items[0].is_default", equalTo(true));
  }

  @Test
  void idempotencyKeysReplayTheFirstAnswer() {
    String repo = createRepository(uniqueName("idem"));
    String key = uniqueName("key");
    Map<String, Object> body = Map.of("message", "once", "allow_empty", true);
    Response first = json().header("Idempotency-Key", key).body(body).post(REPOS + "/{r}/branches/main/commits", repo);
    Response again = json().header("Idempotency-Key", key).body(body).post(REPOS + "/{r}/branches/main/commits", repo);
    first.then().statusCode(201);
    again.then().statusCode(201).header("Idempotent-Replayed", "true");
    assertThat(again.asString()).isEqualTo(first.asString());
    given().get(REPOS + "/{r}/commits", repo).then().body("total", equalTo(2));
    // the same key for a different request is refused, and changes nothing
    json().header("Idempotency-Key", key).body(Map.of("message", "other", "allow_empty", true))
        .post(REPOS + "/{r}/branches/main/commits", repo)
        .then().statusCode(422).body("error", equalTo("IdempotencyKeyReused"));
    given().get(REPOS + "/{r}/commits", repo).then().body("total", equalTo(2));
    // a repository creation replays too
    String name = uniqueName("idem-repo");
    String k2 = uniqueName("key");
    json().header("Idempotency-Key", k2).body(Map.of("name", name)).post(REPOS).then().statusCode(201);
    json().header("Idempotency-Key", k2).body(Map.of("name", name)).post(REPOS).then().statusCode(201);
  }

  @Test
  void asyncCommandsAnswerAtOnceAndReadsWaitForTheirPosition() {
    String repo = createRepository(uniqueName("async"));
    Response r = json().body(Map.of("message", "later", "allow_empty", true))
        .post(REPOS + "/{r}/branches/main/commits?async=true", repo);
    r.then().statusCode(202);
    long position = ((Number) r.path("position")).longValue();
    given().header("X-Strata-Min-Position", position).get(REPOS + "/{r}/branches/main", repo).then()
        .statusCode(200).body("head", equalTo(r.path("id")));
    given().header("X-Strata-Min-Position", "soon").get(REPOS).then().statusCode(400);
    long start = System.nanoTime();
    given().header("X-Strata-Min-Position", Long.MAX_VALUE / 2).get(REPOS).then().statusCode(503)
        .body("error", equalTo("ProjectionLagging"));
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(30));
  }

  @Test
  void stateLoadedFromProjectionsEqualsTheFoldOfTheStream() {
    String repo = createRepository(uniqueName("state"));
    commit(repo, "main", "a");
    post(REPOS + "/" + repo + "/branches", Map.of("name", "dev", "protected", true)).statusCode(201);
    commit(repo, "dev", "b");
    post(REPOS + "/" + repo + "/tags", Map.of("name", "t", "ref", "dev")).statusCode(201);
    RepositoryState loaded = loader.load(repo).await().atMost(Duration.ofSeconds(10));
    RepositoryState folded = loader.fold(repo).await().atMost(Duration.ofSeconds(10));
    assertThat(loaded.version()).isEqualTo(folded.version()).isPositive();
    assertThat(loaded.branches()).isEqualTo(folded.branches());
    assertThat(loaded.tags()).isEqualTo(folded.tags());
    assertThat(loaded.commitCount()).isEqualTo(folded.commitCount()).isEqualTo(3);
    assertThat(loaded.lastPosition()).isEqualTo(folded.lastPosition());
  }
}
