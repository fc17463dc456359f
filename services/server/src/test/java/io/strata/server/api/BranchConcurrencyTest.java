package io.strata.server.api;

import static io.strata.server.api.Api.createRepository;
import static io.strata.server.api.Api.json;
import static io.strata.server.api.Api.post;
import static io.strata.server.api.Api.rows;
import static io.strata.server.api.Api.sql;
import static io.strata.server.api.Api.trackNew;
import static io.strata.server.api.Api.uniqueName;
import static io.strata.server.api.Api.view;
import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.ExtractableResponse;
import io.restassured.response.Response;
import io.strata.server.TestDatabaseResource;
import io.strata.server.runtime.Failpoints;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;

/**
 * A repository's commands on other branches go on while one does long data work (a merge held inside
 * its transaction by a failpoint, as a large table would hold it); commands on the branches it works on
 * wait for it and come after it, in order.
 */
@QuarkusTest
@WithTestResource(value = TestDatabaseResource.class, scope = TestResourceScope.GLOBAL)
class BranchConcurrencyTest {
  @Inject Pool pool;

  @Test
  void otherBranchesGoOnWhileAMergeWorksAndItsOwnBranchesWait() throws Exception {
    String repo = createRepository(uniqueName("sidebyside"));
    trackNew(pool, repo, "items", "id int primary key, name text not null",
        "select g, 'i' || g from generate_series(1, 100) g");
    for (String b : new String[] {"feature", "other"}) {
      post("/api/v1/repositories/" + repo + "/branches", Map.of("name", b)).statusCode(201);
    }
    sql(pool, "update " + view(repo, "feature", "items") + " set name = 'feature' where id <= 50");
    commitAll(repo, "feature", "on feature").then().statusCode(201);
    sql(pool, "update " + view(repo, "other", "items") + " set name = 'other' where id > 90");

    ExecutorService threads = Executors.newFixedThreadPool(2);
    Failpoints.arm("merge.applied", "delay:4s");
    try {
      CompletableFuture<ExtractableResponse<Response>> merge = CompletableFuture.supplyAsync(() ->
          json().body(Map.of("source", "feature")).post("/api/v1/repositories/" + repo + "/branches/main/merge")
              .then().extract(), threads);
      Thread.sleep(1_000); // the merge is at its data work, held by the failpoint
      // on the merge's target: waits for the merge, and lands after it
      CompletableFuture<ExtractableResponse<Response>> onTarget = CompletableFuture.supplyAsync(() ->
          json().body(Map.of("message", "on main", "allow_empty", true))
              .post("/api/v1/repositories/" + repo + "/branches/main/commits").then().extract(), threads);

      ExtractableResponse<Response> onOther = commitAll(repo, "other", "on other").then().extract();
      post("/api/v1/repositories/" + repo + "/tags", Map.of("name", "v1", "ref", "other")).statusCode(201);
      assertThat(merge).as("a commit with rows and a tag on another branch land while the merge works").isNotDone();
      assertThat(onTarget).as("a commit on the merge's target waits for it").isNotDone();
      assertThat(onOther.statusCode()).as(onOther.body().asString()).isEqualTo(201);

      ExtractableResponse<Response> merged = merge.get();
      assertThat(merged.statusCode()).as(merged.body().asString()).isEqualTo(200);
      ExtractableResponse<Response> target = onTarget.get();
      assertThat(target.statusCode()).as(target.body().asString()).isEqualTo(201);
      long mergedAt = position(merged);
      assertThat(position(onOther)).isLessThan(mergedAt);
      assertThat(position(target)).as("after the merge, in order").isGreaterThan(mergedAt);
    } finally {
      Failpoints.disarm("merge.applied");
      threads.shutdownNow();
    }
    assertThat(rows(pool, "select count(*)::text from " + view(repo, "main", "items") + " where name = 'feature'"))
        .containsExactly("50");
    assertThat(rows(pool, "select count(*)::text from " + view(repo, "other", "items") + " where name = 'other'"))
        .containsExactly("10");
    assertThat(rows(pool, "select count(*)::text from " + view(repo, "main", "items") + " where name = 'other'"))
        .as("the other branch's commit stays on it").containsExactly("0");
  }

  private static long position(ExtractableResponse<Response> r) {
    return ((Number) r.path("position")).longValue();
  }

  private static io.restassured.response.Response commitAll(String repo, String branch, String message) {
    return json().body(Map.of("message", message, "all", true))
        .post("/api/v1/repositories/" + repo + "/branches/" + branch + "/commits");
  }
}
