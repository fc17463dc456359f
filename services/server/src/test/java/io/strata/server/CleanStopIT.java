package io.strata.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.strata.server.reactors.webhooks.WebhookReceiver;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Clean stops are clean. The packaged server with its private PostgreSQL, a webhook endpoint, the
 * Kafka relay (a broker in this JVM) and a subscriber to the repository's event stream, stopped by
 * SIGTERM 20 times in a row while commits go on: no stop logs an ERROR or a stack trace, and after
 * each restart a commit reaches the webhook receiver, the topic and the stream within 2 s, since the
 * stop gave every lease back (the leases are 20 s and more, so a lease left to lapse would show).
 * Across all of it every event arrives once, in order, everywhere. Then a kill -9: the leases the
 * dead process held are still honoured until they lapse, and taken over once they have.
 *
 * <p>Run time: about 10 s per stop and restart on two cores, and up to 45 s for the kill -9.
 */
class CleanStopIT {
  private static final String TOPIC = "strata.events";
  private static final int STOPS = 20;
  private static final Duration RESUME = Duration.ofSeconds(2);
  /** STRATA_KAFKA_LEASE's default; the webhooks reactor's lease is 30 s too. */
  private static final Duration KAFKA_LEASE = Duration.ofSeconds(30);

  @Test
  void twentyStopsUnderLoadLogNoErrorAndEveryReactorResumesAtOnce(@TempDir Path dataDir) throws Exception {
    try (TestKafka kafka = TestKafka.start(); WebhookReceiver receiver = new WebhookReceiver()) {
      Map<String, String> env = Map.of(
          "STRATA_DATA_DIR", dataDir.toString(),
          "STRATA_KAFKA_BOOTSTRAP_SERVERS", kafka.bootstrapServers(),
          "STRATA_WEBHOOKS_ALLOWED_HOSTS", "127.0.0.0/8",
          "STRATA_WEBHOOKS_TIMEOUT", "3s",
          "STRATA_WEBHOOKS_LEASE", "20s");
      try (PackagedServer server = new PackagedServer(dataDir, env); Topic topic = new Topic(kafka)) {
        server.start();
        server.send("POST", "/api/v1/webhooks", "{\"url\":\"" + receiver.url("/stops")
            + "\",\"filter\":{\"repositories\":[\"load\"]}}", 201);
        server.send("POST", "/api/v1/repositories", "{\"name\":\"load\"}", 201);

        List<SseSubscriber.Event> streamed = new ArrayList<>();
        String lastEventId = null;
        List<String> resumes = new ArrayList<>();
        List<Long> stops = new ArrayList<>();
        long started = System.nanoTime();
        for (int round = 0; round < STOPS; round++) {
          if (round > 0) {
            server.start();
          }
          Instant ready = Instant.now();
          try (SseSubscriber subscriber = new SseSubscriber(server.base() + "/api/v1/repositories/load/events"
              + (lastEventId == null ? "?after=0" : ""), lastEventId)) {
            assertThat(subscriber.status()).isEqualTo(200);
            // the reactors are this process's at once: the stop before gave their leases back
            await().atMost(Duration.ofSeconds(30)).until(() -> holdsEveryLease(server));
            Duration leases = Duration.between(ready, Instant.now());
            long marker = commit(server, "restart " + round);
            Instant markerAt = Instant.now();
            await().atMost(Duration.ofSeconds(30)).until(() -> receiver.accepted().stream()
                .anyMatch(r -> position(r) == marker) && topic.arrived(marker) != null
                && subscriber.events().stream().anyMatch(e -> e.id() == marker));
            Instant webhook = receiver.accepted().stream().filter(r -> position(r) == marker).findFirst()
                .orElseThrow().at();
            Instant relayed = topic.arrived(marker);
            Duration slowest = Duration.between(markerAt, webhook.isAfter(relayed) ? webhook : relayed);
            if (round > 0) { // (the first start creates the topic)
              assertThat(leases).as("round %d: the restarted server holds every reactor's lease", round)
                  .isLessThan(RESUME);
              assertThat(slowest).as("round %d: a commit reaches the webhook (%s) and the topic (%s)", round,
                  Duration.between(markerAt, webhook), Duration.between(markerAt, relayed)).isLessThan(RESUME);
              resumes.add(leases.toMillis() + "+" + slowest.toMillis());
            }

            // under load: commits go on until the server is gone
            AtomicBoolean stopping = new AtomicBoolean();
            ExecutorService clients = Executors.newFixedThreadPool(3);
            List<Future<Integer>> load = new ArrayList<>();
            for (int c = 0; c < 3; c++) {
              load.add(clients.submit(() -> commitUntilGone(server, stopping)));
            }
            Thread.sleep(1_000);
            long stopAt = System.nanoTime();
            assertThat(server.stop()).as("exit status of a SIGTERM stop").isIn(0, 143);
            stops.add(Duration.ofNanos(System.nanoTime() - stopAt).toMillis());
            stopping.set(true);
            int committed = 0;
            for (Future<Integer> f : load) {
              committed += f.get();
            }
            clients.shutdown();
            assertThat(committed).as("round %d: commits under load", round).isPositive();
            String log = server.log();
            assertThat(log).as("round %d: a clean stop logs no error", round).doesNotContain(" ERROR ")
                .doesNotContain("\tat ");
            await().atMost(Duration.ofSeconds(5)).until(() -> !subscriber.open());
            streamed.addAll(subscriber.events());
            lastEventId = subscriber.lastEventId() != null ? subscriber.lastEventId() : lastEventId;
          }
        }
        Duration all = Duration.ofNanos(System.nanoTime() - started);

        server.start();
        List<Long> feed = feed(server);
        try (SseSubscriber rest = new SseSubscriber(server.base() + "/api/v1/repositories/load/events", lastEventId)) {
          await().atMost(Duration.ofSeconds(30)).until(() -> streamed.size() + rest.events().size() >= feed.size());
          streamed.addAll(rest.events());
        }
        assertThat(streamed).extracting(SseSubscriber.Event::id).as("the stream, across 20 reconnections: every"
            + " event once, in order").containsExactlyElementsOf(feed);
        await().atMost(Duration.ofSeconds(30)).until(() -> receiver.accepted().size() >= feed.size()
            && topic.positions().size() >= feed.size());
        assertThat(receiver.accepted()).extracting(CleanStopIT::position).as("every event delivered once, in order")
            .containsExactlyElementsOf(feed);
        assertThat(new LinkedHashSet<>(topic.positions())).as("every event relayed, in order")
            .containsExactlyElementsOf(feed);
        System.out.printf("CleanStopIT: %d SIGTERM stops under load in %s, %d events; ms from ready to every lease"
            + " held + from a commit to its webhook and record: %s; stops took %s ms%n", STOPS, all, feed.size(),
            resumes, stops);

        killNineLeavesLeasesThatLapse(server, topic, receiver);
      }
    }
  }

  /**
   * A kill -9 gives nothing back: the restarted process finds the Kafka relay's lease still held by
   * the dead one, leaves it alone until it lapses, and takes over within half a lease after that.
   */
  private void killNineLeavesLeasesThatLapse(PackagedServer server, Topic topic, WebhookReceiver receiver)
      throws Exception {
    commit(server, "before the kill");
    String deadOwner = reactor(server, "kafka").get("owner").asText();
    assertThat(reactor(server, "webhooks").get("owner").asText()).isEqualTo(deadOwner);
    server.kill();
    server.start();
    JsonNode relay = reactor(server, "kafka");
    assertThat(relay.get("owner").asText()).as("the dead process's lease is still there").isEqualTo(deadOwner);
    assertThat(reactor(server, "webhooks").get("owner").asText()).isEqualTo(deadOwner);
    Instant lapses = Instant.parse(relay.get("lease_until").asText());
    long marker = commit(server, "after the kill");
    await().atMost(KAFKA_LEASE.plus(KAFKA_LEASE.dividedBy(2)).plusSeconds(5)).until(() -> topic.arrived(marker) != null);
    Instant relayed = topic.arrived(marker);
    assertThat(relayed).as("not relayed while the dead process's lease held").isAfter(lapses);
    assertThat(Duration.between(lapses, relayed)).as("taken over within half a lease of its lapse")
        .isLessThan(KAFKA_LEASE.dividedBy(2).plusSeconds(2));
    assertThat(reactor(server, "kafka").get("owner").asText()).isNotEqualTo(deadOwner);
    await().atMost(Duration.ofSeconds(90)).until(() -> receiver.accepted().stream().anyMatch(r -> position(r) == marker));
  }

  /**
   * Whether {@code server} holds the Kafka relay's lease and the webhooks reactor's (which the admin
   * answer shows by its owner only: the same owner as the relay's, this process).
   */
  private static boolean holdsEveryLease(PackagedServer server) throws Exception {
    JsonNode kafka = reactor(server, "kafka");
    return kafka.path("here").path("holds_lease").asBoolean()
        && reactor(server, "webhooks").path("owner").asText().equals(kafka.path("owner").asText());
  }

  private static JsonNode reactor(PackagedServer server, String name) throws Exception {
    for (JsonNode r : server.send("GET", "/api/v1/admin/reactors", null, 200).get("items")) {
      if (r.get("name").asText().equals(name)) {
        return r;
      }
    }
    throw new AssertionError("no reactor " + name);
  }

  private static long commit(PackagedServer server, String message) throws Exception {
    return server.send("POST", "/api/v1/repositories/load/branches/main/commits",
        "{\"message\":\"" + message + "\",\"allow_empty\":true}", 201).get("position").asLong();
  }

  /** Commits until the server is gone; answers how many were acknowledged. */
  private static int commitUntilGone(PackagedServer server, AtomicBoolean stopping) {
    int acknowledged = 0;
    while (!stopping.get()) {
      try {
        HttpResponse<String> r = PackagedServer.HTTP.send(HttpRequest.newBuilder(
                URI.create(server.base() + "/api/v1/repositories/load/branches/main/commits"))
            .header("Content-Type", "application/json").timeout(Duration.ofSeconds(10))
            .POST(HttpRequest.BodyPublishers.ofString("{\"message\":\"load\",\"allow_empty\":true}")).build(),
            HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 201) {
          acknowledged++;
        }
      } catch (IOException | InterruptedException gone) {
        return acknowledged;
      }
    }
    return acknowledged;
  }

  private static long position(WebhookReceiver.Received r) {
    try {
      return PackagedServer.JSON.readTree(r.body()).get("position").asLong();
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  /** The repository's events in the feed's order. */
  private static List<Long> feed(PackagedServer server) throws Exception {
    List<Long> positions = new ArrayList<>();
    long after = 0;
    while (true) {
      JsonNode page = server.send("GET", "/api/v1/repositories/load/events?limit=1000&after=" + after, null, 200);
      if (page.get("items").isEmpty()) {
        return positions;
      }
      page.get("items").forEach(e -> positions.add(e.get("position").asLong()));
      after = page.get("next").asLong();
    }
  }

  /** The relay's topic, read as it fills: each record's event position and when it arrived. */
  private static final class Topic implements AutoCloseable {
    private final List<Long> positions = new CopyOnWriteArrayList<>();
    private final Map<Long, Instant> arrivals = new ConcurrentHashMap<>();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final Thread reader;

    Topic(TestKafka kafka) {
      Properties p = new Properties();
      p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
      p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
      p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
      p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
      reader = new Thread(() -> read(p), "topic-reader");
      reader.setDaemon(true);
      reader.start();
    }

    private void read(Properties p) {
      try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(p)) {
        List<TopicPartition> partitions = new ArrayList<>();
        while (partitions.isEmpty() && !closed.get()) {
          consumer.listTopics(Duration.ofSeconds(5)).getOrDefault(TOPIC, List.of())
              .forEach(info -> partitions.add(new TopicPartition(TOPIC, info.partition())));
          if (partitions.isEmpty()) {
            sleep();
          }
        }
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        while (!closed.get()) {
          for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(50))) {
            Header position = r.headers().lastHeader("ce_position");
            long at = Long.parseLong(new String(position.value(), StandardCharsets.UTF_8));
            positions.add(at);
            arrivals.putIfAbsent(at, Instant.now());
          }
        }
      }
    }

    private static void sleep() {
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    Instant arrived(long position) {
      return arrivals.get(position);
    }

    List<Long> positions() {
      return List.copyOf(positions);
    }

    @Override
    public void close() throws InterruptedException {
      closed.set(true);
      reader.join(5_000);
    }
  }
}
