package io.strata.server.api;

import static io.restassured.RestAssured.given;
import static io.strata.server.api.Api.count;
import static io.strata.server.api.Api.createRepository;
import static io.strata.server.api.Api.json;
import static io.strata.server.api.Api.post;
import static io.strata.server.api.Api.sql;
import static io.strata.server.api.Api.uniqueName;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import io.strata.projections.log.EventLog;
import io.strata.server.TestDatabaseResource;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * An Idempotency-Key names one request of one caller to one operation of one repository (and one
 * incarnation of the branch it names), for a lifetime
 * (STRATA_IDEMPOTENCY_TTL, 24 h): after it, or on another repository, endpoint or a repository created
 * again under the same name, the same key makes a new command. Expired answers are purged.
 */
@QuarkusTest
@WithTestResource(value = TestDatabaseResource.class, scope = TestResourceScope.GLOBAL)
class IdempotencyKeyLifetimeTest {
  private static final String REPOS = "/api/v1/repositories";

  @Inject Pool pool;
  @Inject EventLog log;

  private static Response commit(String repo, String branch, String key) {
    return json().header("Idempotency-Key", key).body(Map.of("message", "step", "allow_empty", true))
        .post(REPOS + "/{r}/branches/{b}/commits", repo, branch);
  }

  private static int commits(String repo) {
    return given().get(REPOS + "/{r}/commits", repo).then().statusCode(200).extract().path("total");
  }

  /** The README tour run twice: its repository deleted and created again, the same key commits again. */
  @Test
  void aRepositoryCreatedAgainDoesNotReplayTheDeletedOnesAnswers() {
    String repo = uniqueName("idem-again");
    for (int run = 0; run < 2; run++) {
      post(REPOS, Map.of("name", repo)).statusCode(201);
      String head = commit(repo, "main", "cleanup-step-2").then().statusCode(201).extract().path("id");
      commit(repo, "main", "cleanup-step-2").then().statusCode(201).header("Idempotent-Replayed", "true")
          .body("id", equalTo(head));
      assertThat(commits(repo)).as("run %d: the initial commit and one more", run).isEqualTo(2);
      given().delete(REPOS + "/{r}?force=true", repo).then().statusCode(204);
    }
  }

  @Test
  void theSameKeyOnAnotherRepositoryOrEndpointIsAnotherKey() {
    String a = createRepository(uniqueName("idem-a"));
    String b = createRepository(uniqueName("idem-b"));
    String key = uniqueName("shared-key");
    commit(a, "main", key).then().statusCode(201);
    commit(b, "main", key).then().statusCode(201).header("Idempotent-Replayed", (String) null);
    post(REPOS + "/" + a + "/branches", Map.of("name", "dev")).statusCode(201);
    commit(a, "dev", key).then().statusCode(201).header("Idempotent-Replayed", (String) null);
    json().header("Idempotency-Key", key).body(Map.of("name", "v1", "ref", "main"))
        .post(REPOS + "/{r}/tags", a).then().statusCode(201).header("Idempotent-Replayed", (String) null);
    assertThat(commits(a)).isEqualTo(2);
    assertThat(given().queryParam("ref", "dev").get(REPOS + "/{r}/commits", a).then().statusCode(200)
        .extract().<Integer>path("total")).as("dev: main's two and its own").isEqualTo(3);
    assertThat(commits(b)).isEqualTo(2);
  }

  /** The case: a key must not tell the client a commit landed on a branch that was re-created since. */
  @Test
  void aBranchDeletedAndCreatedAgainIsANewScope() {
    String repo = createRepository(uniqueName("idem-incarnation"));
    String key = uniqueName("dev-commit");
    post(REPOS + "/" + repo + "/branches", Map.of("name", "dev")).statusCode(201);
    String first = commit(repo, "dev", key).then().statusCode(201).extract().path("id");
    commit(repo, "dev", key).then().statusCode(201).header("Idempotent-Replayed", "true").body("id", equalTo(first));
    given().delete(REPOS + "/{r}/branches/dev?force=true", repo).then().statusCode(204);
    post(REPOS + "/" + repo + "/branches", Map.of("name", "dev")).statusCode(201);
    String second = commit(repo, "dev", key).then().statusCode(201).header("Idempotent-Replayed", (String) null)
        .extract().path("id");
    assertThat(second).isNotEqualTo(first);
    assertThat(given().get(REPOS + "/{r}/branches/dev", repo).then().statusCode(200).extract().<String>path("head"))
        .isEqualTo(second);
    // within the new incarnation the key replays again, and the same key for another body is refused
    commit(repo, "dev", key).then().statusCode(201).header("Idempotent-Replayed", "true").body("id", equalTo(second));
    json().header("Idempotency-Key", key).body(Map.of("message", "another", "allow_empty", true))
        .post(REPOS + "/{r}/branches/dev/commits", repo).then().statusCode(422)
        .body("error", equalTo("IdempotencyKeyReused"));
    assertThat(given().queryParam("ref", "dev").get(REPOS + "/{r}/commits", repo).then().statusCode(200)
        .extract().<Integer>path("total")).as("main's initial commit and the second dev commit").isEqualTo(2);
  }

  /** A key is the caller's: another user (X-User-Id without tokens; TokenAuthTest: another token) is not answered. */
  @Test
  void anotherCallersSameKeyIsAnotherRequest() {
    String repo = createRepository(uniqueName("idem-caller"));
    String key = uniqueName("shared");
    String ada = json().header("X-User-Id", "ada").header("Idempotency-Key", key)
        .body(Map.of("message", "step", "allow_empty", true)).post(REPOS + "/{r}/branches/main/commits", repo)
        .then().statusCode(201).extract().path("id");
    String bob = json().header("X-User-Id", "bob").header("Idempotency-Key", key)
        .body(Map.of("message", "step", "allow_empty", true)).post(REPOS + "/{r}/branches/main/commits", repo)
        .then().statusCode(201).header("Idempotent-Replayed", (String) null).extract().path("id");
    assertThat(bob).isNotEqualTo(ada);
    json().header("X-User-Id", "ada").header("Idempotency-Key", key)
        .body(Map.of("message", "step", "allow_empty", true)).post(REPOS + "/{r}/branches/main/commits", repo)
        .then().statusCode(201).header("Idempotent-Replayed", "true").body("id", equalTo(ada));
    assertThat(commits(repo)).isEqualTo(3);
  }

  @Test
  void anExpiredKeyMakesANewCommandAndIsPurged() {
    String repo = createRepository(uniqueName("idem-old"));
    String key = uniqueName("old-key");
    String first = commit(repo, "main", key).then().statusCode(201).extract().path("id");
    // a day and a minute later (the answer's time moved back instead of the clock forward)
    backdate(repo, Duration.ofHours(24).plusMinutes(1));
    String second = commit(repo, "main", key).then().statusCode(201).header("Idempotent-Replayed", (String) null)
        .extract().path("id");
    assertThat(second).isNotEqualTo(first);
    commit(repo, "main", key).then().statusCode(201).header("Idempotent-Replayed", "true")
        .body("id", equalTo(second));
    assertThat(commits(repo)).isEqualTo(3);

    backdate(repo, Duration.ofHours(25));
    assertThat(count(pool, "select count(*) from strata_meta.idempotency_keys where stream_id = '" + repo + "'"))
        .isOne();
    assertThat(log.purgeExpiredIdempotencyRecords().await().atMost(Duration.ofSeconds(30))).isPositive();
    assertThat(count(pool, "select count(*) from strata_meta.idempotency_keys where stream_id = '" + repo + "'"))
        .as("purged").isZero();
    assertThat(count(pool, "select count(*) from strata_meta.idempotency_keys"
        + " where created_at <= now() - interval '24 hours'")).isZero();
  }

  private void backdate(String repo, Duration by) {
    sql(pool, "update strata_meta.idempotency_keys set created_at = created_at - interval '" + by.toSeconds()
        + " seconds' where stream_id = '" + repo + "'");
  }
}
