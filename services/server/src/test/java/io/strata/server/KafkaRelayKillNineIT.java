package io.strata.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.strata.server.TestKafka.Received;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Kafka relay of the packaged server, against a real broker in this JVM: kill -9 the server while
 * commits stream in and the relay sends them; start it again on the same data directory with a
 * failpoint that halts it (like kill -9) right after the broker acknowledged a batch and before its
 * checkpoint moved; start it once more. Every event of the log is on the topic, each repository's in
 * order (by first occurrence); repeats only of the batches the crashes interrupted (the halted one
 * for sure), never a gap. Each restarted process (a new lease owner) takes the relay over once the
 * dead one's lease lapses.
 */
class KafkaRelayKillNineIT {
  private static final String TOPIC = "strata.events";
  private static final int BATCH = 50;

  @Test
  void everyEventIsRelayedAcrossAServerKillNine(@TempDir Path dataDir) throws Exception {
    try (TestKafka kafka = TestKafka.start()) {
      Map<String, String> env = Map.of(
          "STRATA_DATA_DIR", dataDir.toString(),
          "STRATA_KAFKA_BOOTSTRAP_SERVERS", kafka.bootstrapServers(),
          "STRATA_KAFKA_TOPIC_PARTITIONS", "3",
          "STRATA_KAFKA_SEND_TIMEOUT", "2s",
          "STRATA_KAFKA_LEASE", "4s",
          "STRATA_KAFKA_POLL_INTERVAL", "50ms",
          "STRATA_KAFKA_BATCH_SIZE", String.valueOf(BATCH),
          "STRATA_KAFKA_MAX_BACKOFF", "500ms");
      relayAcrossCrashes(kafka, dataDir, env);
    }
  }

  private void relayAcrossCrashes(TestKafka kafka, Path dataDir, Map<String, String> env) throws Exception {
    try (PackagedServer server = new PackagedServer(dataDir, env)) {
      server.start();
      List<String> repositories = List.of("alpha", "beta", "gamma", "delta");
      for (String repo : repositories) {
        server.send("POST", "/api/v1/repositories", "{\"name\":\"" + repo + "\"}", 201);
      }

      AtomicBoolean running = new AtomicBoolean(true);
      ExecutorService clients = Executors.newFixedThreadPool(repositories.size());
      List<Future<Integer>> burst = new ArrayList<>();
      for (String repo : repositories) {
        burst.add(clients.submit(() -> {
          int acknowledged = 0;
          for (int i = 0; running.get(); i++) {
            try {
              HttpResponse<String> r = PackagedServer.HTTP.send(HttpRequest.newBuilder(
                      URI.create(server.base() + "/api/v1/repositories/" + repo + "/branches/main/commits"))
                  .header("Content-Type", "application/json").timeout(Duration.ofSeconds(5))
                  .POST(HttpRequest.BodyPublishers.ofString("{\"message\":\"c" + i + "\",\"allow_empty\":true}"))
                  .build(), HttpResponse.BodyHandlers.ofString());
              if (r.statusCode() == 201) {
                acknowledged++;
              }
            } catch (IOException | InterruptedException e) {
              return acknowledged; // the server is gone
            }
          }
          return acknowledged;
        }));
      }
      // kill it mid-stream: once the relay has sent some of the burst, while commits still come in
      try {
        kafka.readUntil(TOPIC, r -> r.size() >= BATCH, Duration.ofSeconds(30));
      } catch (AssertionError nothing) {
        throw new AssertionError("the relay does not relay: " + server.log(), nothing);
      }
      Thread.sleep(500);
      String ownerBefore = relay(server).path("owner").asText();
      server.kill(); // SIGKILL: the relay neither finishes its batch nor releases its lease
      running.set(false);
      int acknowledged = 0;
      for (Future<Integer> f : burst) {
        acknowledged += f.get();
      }
      clients.shutdown();
      assertThat(acknowledged).as("commits acknowledged before the kill").isGreaterThan(20);

      // a crash at the worst moment: the broker acknowledged a batch, its checkpoint has not moved
      Map<String, String> crashing = new HashMap<>(env);
      crashing.put("STRATA_FAILPOINTS", "kafka.acknowledged=halt");
      try (PackagedServer halting = new PackagedServer(dataDir, crashing)) {
        halting.launch();
        long haltBy = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        // its first relayed batch halts it: what the kill left unsent, or a commit made here
        for (int i = 0; halting.process().isAlive(); i++) {
          assertThat(System.nanoTime()).as("the failpoint halts the relay: %s", halting.log()).isLessThan(haltBy);
          try {
            halting.send("POST", "/api/v1/repositories/alpha/branches/main/commits",
                "{\"message\":\"before the halt " + i + "\",\"allow_empty\":true}", 201);
          } catch (Exception | AssertionError notYet) {
            // not listening yet, or gone
          }
          Thread.sleep(200);
        }
        assertThat(halting.process().exitValue()).as("halted at the failpoint: %s", halting.log()).isEqualTo(137);
      }

      server.start();
      for (String repo : repositories) {
        server.send("POST", "/api/v1/repositories/" + repo + "/branches/main/commits",
            "{\"message\":\"after the crash\",\"allow_empty\":true}", 201);
      }
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      JsonNode relay = relay(server);
      while (!(relay.path("lag").asLong(-1) == 0 && relay.path("here").path("holds_lease").asBoolean())) {
        assertThat(System.nanoTime()).as("the restarted server catches up: %s", relay).isLessThan(deadline);
        Thread.sleep(100);
        relay = relay(server);
      }
      assertThat(relay.get("owner").asText()).as("the new process took the lease over").isNotEqualTo(ownerBefore);

      Map<String, List<Long>> logged = new TreeMap<>();
      Set<String> ids = new HashSet<>();
      URI pg = URI.create(Files.readString(dataDir.resolve("database.url")).strip());
      try (Connection db = DriverManager.getConnection(
          "jdbc:postgresql://" + pg.getHost() + ":" + pg.getPort() + pg.getPath(), "postgres", PackagedServer.password(pg))) {
        ResultSet heads = db.createStatement().executeQuery(
            "select stream_id, max(stream_version) from strata_meta.events group by stream_id");
        while (heads.next()) {
          logged.put(heads.getString(1), LongStream.rangeClosed(1, heads.getLong(2)).boxed().toList());
        }
        ResultSet events = db.createStatement().executeQuery("select event_id::text from strata_meta.events");
        while (events.next()) {
          ids.add(events.getString(1));
        }
      }
      assertThat(logged.keySet()).containsExactlyInAnyOrderElementsOf(repositories);

      List<Received> all = kafka.readUntil(TOPIC,
          r -> r.stream().map(x -> x.event().getId()).toList().containsAll(ids), Duration.ofSeconds(30));
      assertThat(all.stream().map(r -> r.event().getId()).distinct().toList()).as("every event, nothing else")
          .containsExactlyInAnyOrderElementsOf(ids);
      Map<String, LinkedHashSet<Long>> firsts = new LinkedHashMap<>();
      all.forEach(r -> firsts.computeIfAbsent(r.key(), k -> new LinkedHashSet<>()).add(r.streamVersion()));
      Map<String, List<Long>> relayed = new TreeMap<>();
      firsts.forEach((repo, versions) -> relayed.put(repo, List.copyOf(versions)));
      assertThat(relayed).as("each repository's events in order, none missing").isEqualTo(logged);
      System.out.printf("KafkaRelayKillNineIT: %d events in the log, %d records on the topic, %d commits"
          + " acknowledged before the kill%n", ids.size(), all.size(), acknowledged);
      assertThat(all.size() - ids.size()).as("repeats: the batch acknowledged before the halt, and at most the"
          + " one the kill interrupted").isPositive().isLessThanOrEqualTo(2 * BATCH);

      assertThat(server.stop()).isIn(0, 130, 143);
    }
  }

  private static JsonNode relay(PackagedServer server) throws Exception {
    for (JsonNode item : server.send("GET", "/api/v1/admin/reactors", null, 200).get("items")) {
      if (item.get("name").asText().equals("kafka")) {
        return item;
      }
    }
    return PackagedServer.JSON.createObjectNode();
  }
}
