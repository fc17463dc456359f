package io.strata.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.strata.projections.testing.TestDatabase;
import io.strata.projections.testing.TestPostgres;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two servers on one database: commands decided on stale state in one server are caught by the
 * stream's compare-and-set and decided again, so concurrent commits through both servers still make
 * one linear history; and a read on one server with X-Strata-Min-Position sees what the other wrote.
 */
class TwoServersIT {
  @Test
  void twoServersShareOneConsistentHistory(@TempDir Path first, @TempDir Path second) throws Exception {
    TestDatabase db = TestPostgres.shared().newDatabaseWithoutMigrations();
    Map<String, String> env = Map.of("STRATA_DATABASE_URL", db.url());
    try (PackagedServer a = new PackagedServer(first, env);
        PackagedServer b = new PackagedServer(second, env)) {
      a.start();
      b.start();
      a.send("POST", "/api/v1/repositories", "{\"name\":\"shared\"}", 201);

      // read-your-writes across servers
      HttpResponse<String> created = post(a, "/api/v1/repositories/shared/branches", "{\"name\":\"x\"}", null);
      long position = PackagedServer.JSON.readTree(created.body()).get("position").asLong();
      HttpResponse<String> seen = PackagedServer.HTTP.send(HttpRequest.newBuilder(
              URI.create(b.base() + "/api/v1/repositories/shared/branches/x"))
          .header("X-Strata-Min-Position", String.valueOf(position)).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(seen.statusCode()).as(seen.body()).isEqualTo(200);

      // 8 clients commit to main through both servers; each server's cached state goes stale
      Map<String, Boolean> acknowledged = new ConcurrentHashMap<>();
      ExecutorService pool = Executors.newFixedThreadPool(8);
      List<Future<?>> clients = new ArrayList<>();
      for (int c = 0; c < 8; c++) {
        int client = c;
        clients.add(pool.submit(() -> {
          for (int i = 0; i < 8; i++) {
            PackagedServer server = (client + i) % 2 == 0 ? a : b;
            HttpResponse<String> r = post(server, "/api/v1/repositories/shared/branches/main/commits",
                "{\"message\":\"c" + client + "-" + i + "\",\"allow_empty\":true}", "k-" + client + "-" + i);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
            acknowledged.put(PackagedServer.JSON.readTree(r.body()).get("id").asText(), true);
          }
          return null;
        }));
      }
      for (Future<?> f : clients) {
        f.get();
      }
      pool.shutdown();
      assertThat(acknowledged).hasSize(64);

      JsonNode logA = a.send("GET", "/api/v1/repositories/shared/commits?limit=1000", null, 200);
      JsonNode logB = b.send("GET", "/api/v1/repositories/shared/commits?limit=1000", null, 200);
      assertThat(logA.get("total").asInt()).isEqualTo(65);
      Set<String> ids = new HashSet<>();
      JsonNode items = logA.get("items");
      for (int i = 0; i < items.size(); i++) {
        ids.add(items.get(i).get("id").asText());
        JsonNode parents = items.get(i).get("parents");
        if (i + 1 < items.size()) {
          assertThat(parents.size()).isEqualTo(1);
          assertThat(parents.get(0).asText()).as("linear").isEqualTo(items.get(i + 1).get("id").asText());
        }
      }
      assertThat(ids).containsAll(acknowledged.keySet());
      assertThat(logB.get("items").get(0).get("id")).isEqualTo(items.get(0).get("id"));
      assertThat(a.send("GET", "/api/v1/admin/projections/digest", null, 200))
          .isEqualTo(b.send("GET", "/api/v1/admin/projections/digest", null, 200));
    }
  }

  private static HttpResponse<String> post(PackagedServer server, String path, String body, String key) throws Exception {
    HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(server.base() + path)).timeout(Duration.ofSeconds(30))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
    if (key != null) {
      r.header("Idempotency-Key", key);
    }
    return PackagedServer.HTTP.send(r.build(), HttpResponse.BodyHandlers.ofString());
  }
}
