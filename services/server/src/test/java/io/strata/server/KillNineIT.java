package io.strata.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Fault injection on the packaged server in its embedded mode (its own PostgreSQL, fsync on): kill -9
 * the server in the middle of a burst of commits, start it again on the same data directory, and
 * check that every acknowledged commit is there, that the projections equal a rebuild from the log,
 * and that the server serves.
 */
class KillNineIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private Process server;
  private Path logFile;

  @AfterEach
  void stop() throws Exception {
    if (server != null && server.isAlive()) {
      server.destroy();
      server.waitFor();
    }
  }

  @Test
  void acknowledgedCommitsSurviveKillNine() throws Exception {
    Path dataDir = Files.createTempDirectory("strata-kill9-");
    int port = freePort();
    String base = "http://localhost:" + port;
    start(dataDir, port);
    send("POST", base + "/api/v1/repositories", "{\"name\":\"crash\"}", 201);
    int clients = 8;
    for (int c = 0; c < clients; c++) {
      send("POST", base + "/api/v1/repositories/crash/branches", "{\"name\":\"b" + c + "\"}", 201);
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
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(
                    URI.create(base + "/api/v1/repositories/crash/branches/" + target + "/commits"))
                .header("Content-Type", "application/json").timeout(Duration.ofSeconds(5))
                .POST(HttpRequest.BodyPublishers.ofString("{\"message\":\"" + branch + " " + i + "\",\"allow_empty\":true}"))
                .build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() == 201) {
              String id = JSON.readTree(r.body()).get("id").asText();
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
    server.destroyForcibly(); // SIGKILL: no shutdown hook, PostgreSQL is left orphaned
    server.waitFor();
    running.set(false);
    for (Future<?> f : burst) {
      f.get();
    }
    pool.shutdown();
    int total = onMain.size() + acknowledged.values().stream().mapToInt(List::size).sum();
    assertThat(total).as("the burst acknowledged commits before the kill").isGreaterThan(20);

    start(dataDir, port); // same data directory: the orphaned PostgreSQL must be dealt with
    for (var e : acknowledged.entrySet()) {
      List<String> ids = e.getValue();
      JsonNode log = send("GET", base + "/api/v1/repositories/crash/commits?ref=" + e.getKey() + "&limit=1000", null, 200);
      List<String> inLog = new ArrayList<>();
      log.get("items").forEach(c -> inLog.add(c.get("id").asText()));
      assertThat(inLog).as("branch %s keeps every acknowledged commit", e.getKey()).containsAll(ids);
    }
    for (String id : onMain) {
      send("GET", base + "/api/v1/repositories/crash/commits/" + id, null, 200);
    }
    JsonNode live = send("GET", base + "/api/v1/admin/projections/digest", null, 200);
    send("POST", base + "/api/v1/admin/projections/rebuild", "", 200);
    JsonNode rebuilt = send("GET", base + "/api/v1/admin/projections/digest", null, 200);
    assertThat(rebuilt).as("projections after the crash equal a rebuild from the log").isEqualTo(live);
    send("POST", base + "/api/v1/repositories/crash/branches/main/commits",
        "{\"message\":\"after the crash\",\"allow_empty\":true}", 201);

    server.destroy(); // SIGTERM: a clean stop also stops PostgreSQL
    assertThat(server.waitFor()).isIn(0, 130, 143);
    assertThat(Files.exists(dataDir.resolve("postgres/postmaster.pid"))).as("PostgreSQL stopped").isFalse();
  }

  private void start(Path dataDir, int port) throws Exception {
    String jar = System.getProperty("strata.server.jar", "target/quarkus-app/quarkus-run.jar");
    logFile = Files.createTempFile("strata-kill9-server", ".log");
    ProcessBuilder pb = new ProcessBuilder(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m", "-jar", jar)
        .redirectErrorStream(true).redirectOutput(logFile.toFile());
    pb.environment().put("STRATA_DATA_DIR", dataDir.toString());
    pb.environment().put("STRATA_PORT", String.valueOf(port));
    pb.environment().put("STRATA_HOST", "127.0.0.1");
    pb.environment().remove("STRATA_DATABASE_URL");
    server = pb.start();
    long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
    while (System.nanoTime() < deadline) {
      assertThat(server.isAlive()).as("server died: %s", Files.readString(logFile)).isTrue();
      try {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/ready"))
            .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 200) {
          return;
        }
      } catch (IOException e) {
        // not listening yet
      }
      Thread.sleep(100);
    }
    throw new AssertionError("server not ready in time: " + Files.readString(logFile));
  }

  private static JsonNode send(String method, String url, String body, int expected) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(60))
        .header("Content-Type", "application/json");
    b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as("%s %s -> %s", method, url, r.body()).isEqualTo(expected);
    return r.body().isEmpty() ? null : JSON.readTree(r.body());
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
