package io.strata.server.api;

import static io.restassured.RestAssured.given;
import static io.strata.server.api.Api.createRepository;
import static io.strata.server.api.Api.uniqueName;
import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import io.strata.server.TestDatabaseResource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * 16 clients commit to one branch with expected_head, retrying on 409. Every acknowledged commit must
 * be in the log exactly once, the history must be one line, and the head (as seen by a concurrent
 * reader) must never go backwards.
 */
@QuarkusTest
@WithTestResource(value = TestDatabaseResource.class, scope = TestResourceScope.GLOBAL)
class CommitConcurrencyTest {
  private static final int CLIENTS = 16;
  private static final int COMMITS_EACH = 6;

  @Test
  void concurrentCommittersProduceOneLinearHistory() throws Exception {
    String repo = createRepository(uniqueName("race"));
    String branchPath = "/api/v1/repositories/" + repo + "/branches/main";
    Map<String, String> acknowledged = new ConcurrentHashMap<>(); // id -> parent
    AtomicInteger conflicts = new AtomicInteger();
    AtomicBoolean done = new AtomicBoolean();
    List<String> observedHeads = new ArrayList<>();

    ExecutorService pool = Executors.newFixedThreadPool(CLIENTS + 1);
    Future<?> watcher = pool.submit(() -> {
      while (!done.get()) {
        observedHeads.add(given().get(branchPath).then().statusCode(200).extract().path("head"));
      }
      return null;
    });
    CountDownLatch go = new CountDownLatch(1);
    List<Future<?>> clients = new ArrayList<>();
    for (int c = 0; c < CLIENTS; c++) {
      int client = c;
      clients.add(pool.submit(() -> {
        go.await();
        for (int i = 0; i < COMMITS_EACH; i++) {
          while (true) {
            String head = given().get(branchPath).then().statusCode(200).extract().path("head");
            Response r = Api.json()
                .body(Map.of("message", "client " + client + " commit " + i, "allow_empty", true, "expected_head", head))
                .post(branchPath + "/commits");
            if (r.statusCode() == 201) {
              List<String> parents = r.path("parents");
              assertThat(parents).containsExactly(head);
              acknowledged.put(r.path("id"), head);
              break;
            }
            assertThat(r.statusCode()).as(r.asString()).isEqualTo(409);
            assertThat(r.<String>path("error")).isEqualTo("HeadMoved");
            conflicts.incrementAndGet();
          }
        }
        return null;
      }));
    }
    go.countDown();
    for (Future<?> f : clients) {
      f.get();
    }
    done.set(true);
    watcher.get();
    pool.shutdown();

    assertThat(acknowledged).hasSize(CLIENTS * COMMITS_EACH);
    assertThat(conflicts.get()).as("racing clients must have seen HeadMoved").isPositive();

    // the log: every acknowledged commit exactly once, one linear chain back to the root
    List<Map<String, Object>> log = new ArrayList<>();
    for (int offset = 0; ; offset += 1000) {
      Map<String, Object> page = given().get("/api/v1/repositories/{r}/commits?limit=1000&offset=" + offset, repo)
          .then().statusCode(200).extract().as(Map.class);
      log.addAll((List<Map<String, Object>>) page.get("items"));
      if (!(Boolean) page.get("has_more")) {
        break;
      }
    }
    assertThat(log).hasSize(CLIENTS * COMMITS_EACH + 1);
    Set<String> ids = new HashSet<>();
    Map<String, Integer> depth = new HashMap<>();
    for (int i = 0; i < log.size(); i++) {
      Map<String, Object> c = log.get(i);
      String id = (String) c.get("id");
      assertThat(ids.add(id)).isTrue();
      depth.put(id, log.size() - 1 - i);
      List<String> parents = (List<String>) c.get("parents");
      if (i < log.size() - 1) {
        assertThat(parents).containsExactly((String) log.get(i + 1).get("id")); // linear
      } else {
        assertThat(parents).isEmpty();
      }
    }
    assertThat(ids).containsAll(acknowledged.keySet());
    // heads only ever moved forward along that chain
    int last = -1;
    for (String h : observedHeads) {
      int d = depth.get(h);
      assertThat(d).isGreaterThanOrEqualTo(last);
      last = d;
    }
  }
}
