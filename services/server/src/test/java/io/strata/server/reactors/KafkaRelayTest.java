package io.strata.server.reactors;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.strata.server.TestDatabaseResource;
import io.strata.server.TestKafka;
import io.strata.server.TestKafka.Received;
import io.strata.server.reactors.KafkaBrokerResource.InjectKafka;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

/**
 * The Kafka relay against a real broker (Kafka's own in-process KRaft node): every event of the log
 * reaches the topic, keyed by repository, in the CloudEvents binary mode, each repository's events in
 * their order; across a broker outage the relay waits and resumes, and nothing is missing after it.
 */
@QuarkusTest
@WithTestResource(value = TestDatabaseResource.class, scope = TestResourceScope.GLOBAL)
@WithTestResource(value = KafkaBrokerResource.class, scope = TestResourceScope.RESTRICTED_TO_CLASS)
class KafkaRelayTest {
  private static final Duration WAIT = Duration.ofSeconds(40);

  @InjectKafka TestKafka kafka;
  @Inject Pool pool;

  @Test
  void everyEventReachesTheTopicInOrderPerRepositoryAcrossABrokerOutage() throws Exception {
    List<String> repositories = new ArrayList<>();
    for (String prefix : List.of("relay-a", "relay-b", "relay-c")) {
      String repo = prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
      repositories.add(repo);
      post("/api/v1/repositories", "{\"name\":\"" + repo + "\"}");
      post("/api/v1/repositories/" + repo + "/branches", "{\"name\":\"dev\"}");
    }
    commitInEach(repositories, 4);
    awaitCaughtUp();

    Map<String, List<Long>> logged = logByRepository();
    Set<String> loggedIds = eventIds();
    List<Received> first = kafka.readUntil(KafkaBrokerResource.TOPIC, r -> r.size() >= loggedIds.size(), WAIT);
    assertThat(first).as("with no failure, each event exactly once").hasSize(loggedIds.size());
    assertThat(first.stream().map(r -> r.event().getId()).toList()).containsExactlyInAnyOrderElementsOf(loggedIds);
    assertThat(firstOccurrences(first)).as("each repository's events in their order").isEqualTo(logged);
    for (Received r : first) {
      assertThat(r.headers()).containsKeys("ce_id", "ce_type", "ce_source", "ce_specversion", "ce_time",
          "ce_subject", "ce_streamversion", "ce_position", "ce_actor");
      assertThat(r.headers()).containsEntry("ce_specversion", "1.0").containsEntry("ce_repository", r.key())
          .containsEntry("ce_source", "/strata/repositories/" + r.key()).containsEntry("ce_id", r.event().getId())
          .containsEntry("content-type", "application/json");
      assertThat(r.event().getData()).as("the event's data is the value").isNotNull();
    }
    assertThat(kafka.partitions(KafkaBrokerResource.TOPIC)).as("created by the relay as configured")
        .isEqualTo(KafkaBrokerResource.PARTITIONS);
    for (String repo : repositories) {
      assertThat(first.stream().filter(r -> r.key().equals(repo)).map(Received::partition).distinct())
          .as("one repository, one partition").hasSize(1);
    }

    kafka.stopBroker();
    try {
      commitInEach(repositories, 3);
      await().atMost(WAIT).until(() -> {
        Map<String, Object> relay = relayStatus();
        Map<String, Object> here = relay == null ? null : (Map<String, Object>) relay.get("here");
        return here != null && ((Number) here.get("consecutive_failures")).intValue() > 0
            && ((Number) relay.get("lag")).longValue() > 0;
      });
      commitInEach(repositories, 2);
    } finally {
      kafka.startBroker();
    }
    awaitCaughtUp();

    Map<String, List<Long>> loggedAfter = logByRepository();
    Set<String> allIds = eventIds();
    List<Received> all = kafka.readUntil(KafkaBrokerResource.TOPIC,
        r -> r.stream().map(x -> x.event().getId()).toList().containsAll(allIds), WAIT);
    assertThat(all.stream().map(r -> r.event().getId()).distinct().toList())
        .as("nothing but the log's events").containsExactlyInAnyOrderElementsOf(allIds);
    assertThat(firstOccurrences(all)).as("after the outage: no gap, each repository in its order (repeats allowed)")
        .isEqualTo(loggedAfter);
    Map<String, Object> relay = relayStatus();
    assertThat(((Map<String, Object>) relay.get("here")).get("last_error")).as("the outage was seen").isNotNull();
    assertThat(((Map<String, Object>) relay.get("here")).get("consecutive_failures")).isEqualTo(0);
  }

  @Test
  void theReactorsEndpointListsTheRelayWithItsLag() {
    post("/api/v1/repositories", "{\"name\":\"relay-lag-" + UUID.randomUUID().toString().substring(0, 8) + "\"}");
    awaitCaughtUp();
    Map<String, Object> relay = relayStatus();
    assertThat(relay).containsKeys("name", "checkpoint_position", "checkpoint_txid", "owner", "lease_until",
        "updated_at", "lag", "here");
    assertThat(((Number) relay.get("checkpoint_position")).longValue()).isPositive();
    assertThat((Map<String, Object>) relay.get("here")).containsEntry("holds_lease", true);
  }

  /** Waits until the relay holds its lease here and its checkpoint is at the end of the log. */
  private void awaitCaughtUp() {
    await().atMost(WAIT).pollInterval(Duration.ofMillis(100)).until(() -> {
      Map<String, Object> relay = relayStatus();
      return relay != null && relay.get("lag") != null && ((Number) relay.get("lag")).longValue() == 0
          && Boolean.TRUE.equals(((Map<String, Object>) relay.get("here")).get("holds_lease"));
    });
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> relayStatus() {
    List<Map<String, Object>> items = given().accept(ContentType.JSON).get("/api/v1/admin/reactors")
        .then().statusCode(200).extract().path("items");
    return items.stream().filter(i -> KafkaRelay.NAME.equals(i.get("name"))).findFirst().orElse(null);
  }

  private static void commitInEach(List<String> repositories, int commits) {
    for (int i = 0; i < commits; i++) {
      for (String repo : repositories) {
        String branch = i % 2 == 0 ? "main" : "dev";
        post("/api/v1/repositories/" + repo + "/branches/" + branch + "/commits",
            "{\"message\":\"c" + i + "\",\"allow_empty\":true}");
      }
    }
  }

  private static void post(String path, String body) {
    given().contentType(ContentType.JSON).body(body).post(path).then().statusCode(201);
  }

  /** Each repository's stream versions in the log: 1..n. */
  private Map<String, List<Long>> logByRepository() {
    Map<String, List<Long>> out = new TreeMap<>();
    for (Row r : pool.query("select stream_id, max(stream_version) from strata_meta.events group by stream_id")
        .execute().await().atMost(WAIT)) {
      out.put(r.getString(0), LongStream.rangeClosed(1, r.getLong(1)).boxed().toList());
    }
    return out;
  }

  private Set<String> eventIds() {
    Set<String> ids = new LinkedHashSet<>();
    pool.query("select event_id::text from strata_meta.events").execute().await().atMost(WAIT)
        .forEach(r -> ids.add(r.getString(0)));
    return ids;
  }

  /** Per key, the stream versions in the order they first appear on the topic. */
  static Map<String, List<Long>> firstOccurrences(List<Received> records) {
    Map<String, LinkedHashSet<Long>> seen = new LinkedHashMap<>();
    for (Received r : records) {
      seen.computeIfAbsent(r.key(), k -> new LinkedHashSet<>()).add(r.streamVersion());
    }
    Map<String, List<Long>> out = new TreeMap<>();
    seen.forEach((k, v) -> out.put(k, List.copyOf(v)));
    return out;
  }
}
