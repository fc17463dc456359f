package io.strata.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * Fault injection on the packaged server in its embedded mode (its own PostgreSQL, fsync on): kill -9
 * the server in the middle of a burst of commits, start it again on the same data directory, and
 * check that every acknowledged commit is there, that the projections equal a rebuild from the log,
 * and that the server serves.
 */
class KillNineIT {
  @Test
  void acknowledgedCommitsSurviveKillNine() throws Exception {
    Path dataDir = Files.createTempDirectory("strata-kill9-");
    try (PackagedServer server = new PackagedServer(dataDir, Map.of("STRATA_DATA_DIR", dataDir.toString()))) {
      server.start();
      server.send("POST", "/api/v1/repositories", "{\"name\":\"crash\"}", 201);
      int clients = 8;
      for (int c = 0; c < clients; c++) {
        server.send("POST", "/api/v1/repositories/crash/branches", "{\"name\":\"b" + c + "\"}", 201);
      }

      Map<String, List<String>> acknowledged = new ConcurrentHashMap<>();
      List<String> onMain = new CopyOnWriteArrayList<>();
      AtomicBoolean running = new AtomicBoolean(true);
      ExecutorService pool = Executors.newFixedThreadPool(clients);
      List<Future<?>> burst = new ArrayList<>();
      for (int c = 0; c < clients; c++) {
        String branch = "b" + c;
        acknowledged.put(branch, new CopyOnWriteArrayList<>());
        burst.add(pool.submit(() -> {
          for (int i = 0; running.get(); i++) {
            boolean main = i % 5 == 0;
            String target = main ? "main" : branch;
            try {
              HttpResponse<String> r = PackagedServer.HTTP.send(HttpRequest.newBuilder(
                      URI.create(server.base() + "/api/v1/repositories/crash/branches/" + target + "/commits"))
                  .header("Content-Type", "application/json").timeout(Duration.ofSeconds(5))
                  .POST(HttpRequest.BodyPublishers.ofString(
                      "{\"message\":\"" + branch + " " + i + "\",\"allow_empty\":true}"))
                  .build(), HttpResponse.BodyHandlers.ofString());
              if (r.statusCode() == 201) {
                String id = PackagedServer.JSON.readTree(r.body()).get("id").asText();
                (main ? onMain : acknowledged.get(branch)).add(id);
              }
            } catch (IOException | InterruptedException e) {
              return null; // the server is gone
            }
          }
          return null;
        }));
      }
      Thread.sleep(2500);
      server.kill(); // SIGKILL: no shutdown hook, PostgreSQL is left orphaned
      running.set(false);
      for (Future<?> f : burst) {
        f.get();
      }
      pool.shutdown();
      int total = onMain.size() + acknowledged.values().stream().mapToInt(List::size).sum();
      assertThat(total).as("the burst acknowledged commits before the kill").isGreaterThan(20);

      server.start(); // same data directory: the orphaned PostgreSQL must be dealt with
      assertThat(server.log()).contains("left running");
      for (var e : acknowledged.entrySet()) {
        JsonNode log = server.send("GET", "/api/v1/repositories/crash/commits?ref=" + e.getKey() + "&limit=1000", null, 200);
        List<String> inLog = new ArrayList<>();
        log.get("items").forEach(c -> inLog.add(c.get("id").asText()));
        assertThat(inLog).as("branch %s keeps every acknowledged commit", e.getKey()).containsAll(e.getValue());
      }
      for (String id : onMain) {
        server.send("GET", "/api/v1/repositories/crash/commits/" + id, null, 200);
      }
      JsonNode live = server.send("GET", "/api/v1/admin/projections/digest", null, 200);
      server.send("POST", "/api/v1/admin/projections/rebuild", "", 200);
      JsonNode rebuilt = server.send("GET", "/api/v1/admin/projections/digest", null, 200);
      assertThat(rebuilt).as("projections after the crash equal a rebuild from the log").isEqualTo(live);
      server.send("POST", "/api/v1/repositories/crash/branches/main/commits",
          "{\"message\":\"after the crash\",\"allow_empty\":true}", 201);

      assertThat(server.stop()).isIn(0, 130, 143); // SIGTERM: a clean stop also stops PostgreSQL
      assertThat(Files.exists(dataDir.resolve("postgres/postmaster.pid"))).as("PostgreSQL stopped").isFalse();
    }
  }
}
