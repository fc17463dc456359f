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
import org.junit.jupiter.api.io.TempDir;

/**
 * Fault injection on the packaged server in its embedded mode (its own PostgreSQL, fsync on): kill -9
 * the server in the middle of a burst of commits, start it again on the same data directory, and
 * check that every acknowledged commit is there, that the projections equal a rebuild from the log,
 * and that the server serves.
 */
class KillNineIT {
  @Test
  void acknowledgedCommitsSurviveKillNine(@TempDir Path dataDir) throws Exception {
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
      // mid-burst: after at least 2.5 s and 21 acknowledged commits (a loaded machine commits slower)
      Thread.sleep(2500);
      long waitUntil = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (onMain.size() + acknowledged.values().stream().mapToInt(List::size).sum() <= 20
          && System.nanoTime() < waitUntil) {
        Thread.sleep(50);
      }
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

  /**
   * The same crash with row data: SQL writers on the default branch's table, REST batches on a branch
   * and commits of both, killed with SIGKILL. After the restart, committing what is left must leave
   * the data and the history in agreement: main's recorded content hash equals the table measured
   * afresh, and dev's head rebuilt from change sets alone equals what its view holds.
   */
  @Test
  void rowDataAndItsHistoryAgreeAfterKillNine(@TempDir Path dataDir) throws Exception {
    try (PackagedServer server = new PackagedServer(dataDir, Map.of("STRATA_DATA_DIR", dataDir.toString()))) {
      server.start();
      java.net.URI pg = java.net.URI.create(Files.readString(dataDir.resolve("database.url")).strip());
      String jdbc = "jdbc:postgresql://" + pg.getHost() + ":" + pg.getPort() + pg.getPath();
      try (java.sql.Connection db = java.sql.DriverManager.getConnection(jdbc, "postgres", PackagedServer.password(pg))) {
        db.createStatement().execute("create table public.counters (id int primary key, n bigint not null, note text)");
        db.createStatement().execute("insert into public.counters select g, 0, null from generate_series(1, 500) g");
      }
      server.send("POST", "/api/v1/repositories", "{\"name\":\"rows\"}", 201);
      server.send("POST", "/api/v1/repositories/rows/tables",
          "{\"name\":\"counters\",\"location\":\"postgresql://local/public.counters\"}", 201);
      server.send("POST", "/api/v1/repositories/rows/branches", "{\"name\":\"dev\"}", 201);

      AtomicBoolean running = new AtomicBoolean(true);
      ExecutorService pool = Executors.newFixedThreadPool(5);
      List<Future<?>> work = new ArrayList<>();
      for (int w = 0; w < 2; w++) {
        int seed = w;
        work.add(pool.submit(() -> {
          try (java.sql.Connection db = java.sql.DriverManager.getConnection(jdbc, "postgres", PackagedServer.password(pg))) {
            java.util.Random random = new java.util.Random(seed);
            while (running.get()) {
              int id = 1 + random.nextInt(520);
              db.createStatement().executeUpdate(random.nextInt(5) == 0
                  ? "delete from public.counters where id = " + id
                  : "insert into public.counters values (" + id + ", 1, null) on conflict (id) do update set n = counters.n + 1");
            }
          } catch (java.sql.SQLException e) {
            return null; // PostgreSQL went away with the restart
          }
          return null;
        }));
      }
      work.add(pool.submit(() -> {
        for (int i = 0; running.get(); i++) {
          StringBuilder batch = new StringBuilder();
          for (int k = 0; k < 50; k++) {
            int id = 1 + (i * 50 + k) % 700;
            batch.append(k % 7 == 0 ? "{\"op\":\"delete\",\"key\":" + id + "}"
                : "{\"op\":\"upsert\",\"row\":{\"id\":" + id + ",\"n\":" + i + ",\"note\":\"b" + i + "\"}}").append('\n');
          }
          try {
            PackagedServer.HTTP.send(HttpRequest.newBuilder(URI.create(server.base()
                    + "/api/v1/repositories/rows/branches/dev/tables/counters/rows:batch"))
                .header("Content-Type", "application/x-ndjson").timeout(Duration.ofSeconds(5))
                .POST(HttpRequest.BodyPublishers.ofString(batch.toString())).build(), HttpResponse.BodyHandlers.ofString());
          } catch (IOException | InterruptedException e) {
            return null;
          }
        }
        return null;
      }));
      for (String branch : List.of("main", "dev")) {
        work.add(pool.submit(() -> {
          for (int i = 0; running.get(); i++) {
            try {
              PackagedServer.HTTP.send(HttpRequest.newBuilder(URI.create(server.base()
                      + "/api/v1/repositories/rows/branches/" + branch + "/commits"))
                  .header("Content-Type", "application/json").timeout(Duration.ofSeconds(5))
                  .POST(HttpRequest.BodyPublishers.ofString("{\"message\":\"sweep " + i + "\",\"all\":true}"))
                  .build(), HttpResponse.BodyHandlers.ofString());
            } catch (IOException | InterruptedException e) {
              return null;
            }
          }
          return null;
        }));
      }
      Thread.sleep(3000);
      server.kill();
      running.set(false);
      for (Future<?> f : work) {
        f.get();
      }
      pool.shutdown();

      server.start();
      java.net.URI restarted = java.net.URI.create(Files.readString(dataDir.resolve("database.url")).strip());
      String jdbcAfter = "jdbc:postgresql://" + restarted.getHost() + ":" + restarted.getPort() + restarted.getPath();
      for (String branch : List.of("main", "dev")) {
        server.send("POST", "/api/v1/repositories/rows/branches/" + branch + "/commits",
            "{\"message\":\"after the crash\",\"all\":true,\"allow_empty\":true}", 201);
      }
      try (java.sql.Connection db = java.sql.DriverManager.getConnection(jdbcAfter, "postgres", PackagedServer.password(restarted))) {
        var measured = db.createStatement().executeQuery("select count(*), coalesce(sum(('x' || left(md5(t::text), 15))"
            + "::bit(60)::bigint), 0)::text from public.counters t");
        measured.next();
        String hash = io.strata.events.TableTracked.contentHash(measured.getLong(1), measured.getString(2));
        assertThat(server.send("GET", "/api/v1/repositories/rows/tables/counters", null, 200).get("content_hash").asText())
            .as("main's recorded content hash is the table's").isEqualTo(hash);

        String view = server.send("GET", "/api/v1/repositories/rows/branches/dev/status", null, 200)
            .get("tables").get(0).get("sql").asText();
        java.util.Set<JsonNode> inView = new java.util.HashSet<>();
        var rows = db.createStatement().executeQuery("select row_to_json(x)::text from " + view + " x");
        while (rows.next()) {
          inView.add(PackagedServer.JSON.readTree(rows.getString(1)));
        }
        String devHead = server.send("GET", "/api/v1/repositories/rows/branches/dev", null, 200).get("head").asText();
        JsonNode page = server.send("GET", "/api/v1/repositories/rows/tables/counters/rows?limit=1000&ref=" + devHead, null, 200);
        java.util.Set<JsonNode> rebuilt = new java.util.HashSet<>();
        page.get("items").forEach(rebuilt::add);
        assertThat(rebuilt).as("dev's head rebuilt from change sets is what its view holds").isEqualTo(inView);
      }
      assertThat(server.stop()).isIn(0, 130, 143);
    }
  }
}
