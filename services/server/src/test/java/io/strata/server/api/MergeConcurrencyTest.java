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
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * Merges racing application writes to the default branch's table, and merges racing each other: an
 * application's write is either a working change that refuses the merge, or lands after it on top —
 * never lost; two merges into one target both land, one after the other.
 */
@QuarkusTest
@WithTestResource(value = TestDatabaseResource.class, scope = TestResourceScope.GLOBAL)
class MergeConcurrencyTest {
  @Inject Pool pool;

  private static ExtractableResponse<Response> merge(String repo, String target, String source) {
    return json().body(Map.of("source", source)).post("/api/v1/repositories/" + repo + "/branches/" + target + "/merge")
        .then().extract();
  }

  @Test
  void applicationWritesRacingAMergeIntoTheDefaultBranchAreNeverLost() throws Exception {
    String repo = createRepository(uniqueName("race"));
    String t = trackNew(pool, repo, "items", "id int primary key, name text not null, n int not null",
        "select g, 'i' || g, 0 from generate_series(1, 200) g");
    ExecutorService threads = Executors.newFixedThreadPool(2);
    try {
      int merged = 0;
      int refused = 0;
      long writes = 0;
      for (int round = 0; round < 6; round++) {
        String branch = "r" + round;
        post("/api/v1/repositories/" + repo + "/branches", Map.of("name", branch)).statusCode(201);
        sql(pool, "update " + view(repo, branch, "items") + " set name = '" + branch + "' where id <= 100");
        json().body(Map.of("message", branch, "all", true))
            .post("/api/v1/repositories/" + repo + "/branches/" + branch + "/commits").then().statusCode(201);
        // the application increments rows the merge writes (1..100) and others, one statement at a time
        AtomicBoolean go = new AtomicBoolean(true);
        Future<Long> writer = threads.submit(() -> {
          long done = 0;
          while (go.get() || done < 20) {
            sql(pool, "update public." + t + " set n = n + 1 where id in (" + (1 + done % 100) + ", " + (101 + done % 100)
                + ")");
            done++;
          }
          return done;
        });
        ExtractableResponse<Response> r = CompletableFuture.supplyAsync(() -> merge(repo, "main", branch), threads).get();
        go.set(false);
        long done = writer.get();
        writes += done;
        if (r.statusCode() == 200) {
          merged++;
        } else {
          assertThat(r.statusCode()).as(r.body().asString()).isEqualTo(409);
          assertThat((String) r.path("error")).isEqualTo("WorkingChangesPresent");
          refused++;
        }
        // every increment is there, whatever the merge did
        assertThat(rows(pool, "select sum(n)::text from public." + t)).containsExactly(String.valueOf(2 * writes));
        if (r.statusCode() == 200) {
          assertThat(rows(pool, "select count(*)::text from public." + t + " where name = '" + branch + "'"))
              .containsExactly("100");
        }
        // the application's changes are committed, so the next round's merge may go through
        json().body(Map.of("message", "app " + round, "all", true))
            .post("/api/v1/repositories/" + repo + "/branches/main/commits").then().statusCode(201);
      }
      assertThat(merged + refused).isEqualTo(6);
    } finally {
      threads.shutdownNow();
    }
  }

  @Test
  void twoMergesIntoOneTargetBothLandOneAfterTheOther() throws Exception {
    String repo = createRepository(uniqueName("twomerges"));
    String t = trackNew(pool, repo, "items", "id int primary key, name text not null",
        "select g, 'i' || g from generate_series(1, 40) g");
    for (String b : List.of("a", "b")) {
      post("/api/v1/repositories/" + repo + "/branches", Map.of("name", b)).statusCode(201);
      sql(pool, "update " + view(repo, b, "items") + " set name = '" + b + "' where id % 2 = " + (b.equals("a") ? 0 : 1));
      json().body(Map.of("message", b, "all", true)).post("/api/v1/repositories/" + repo + "/branches/" + b + "/commits")
          .then().statusCode(201);
    }
    post("/api/v1/repositories/" + repo + "/branches", Map.of("name", "target")).statusCode(201);
    sql(pool, "insert into " + view(repo, "target", "items") + " values (41, 'x')");
    json().body(Map.of("message", "target", "all", true))
        .post("/api/v1/repositories/" + repo + "/branches/target/commits").then().statusCode(201);
    ExecutorService threads = Executors.newFixedThreadPool(2);
    try {
      Future<ExtractableResponse<Response>> first = threads.submit(() -> merge(repo, "target", "a"));
      Future<ExtractableResponse<Response>> second = threads.submit(() -> merge(repo, "target", "b"));
      for (ExtractableResponse<Response> r : List.of(first.get(), second.get())) {
        assertThat(r.statusCode()).as(r.body().asString()).isIn(200, 409);
        if (r.statusCode() == 409) {
          assertThat((String) r.path("error")).isEqualTo("HeadMoved");
        }
      }
      long landed = List.of(first.get(), second.get()).stream().filter(r -> r.statusCode() == 200).count();
      assertThat(landed).isPositive();
      String relation = view(repo, "target", "items");
      assertThat(rows(pool, "select count(*)::text from " + relation + " where name = 'a'"))
          .containsExactly(first.get().statusCode() == 200 ? "20" : "0");
      assertThat(rows(pool, "select count(*)::text from " + relation + " where name = 'b'"))
          .containsExactly(second.get().statusCode() == 200 ? "20" : "0");
      assertThat(rows(pool, "select name from " + relation + " where id = 41")).containsExactly("x");
    } finally {
      threads.shutdownNow();
    }
  }
}
