package io.strata.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.strata.server.reactors.webhooks.StandardWebhooksVerifier;
import io.strata.server.reactors.webhooks.WebhookReceiver;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged server killed with -9 while a delivery is being retried (its receiver answering 500),
 * and an event appended just before the kill: started again on the same data directory, with the
 * receiver back, every event arrives, in order, signed, and the retries before the kill are in the
 * delivery log. The queue and the reactor's checkpoint live in PostgreSQL; nothing is held only in memory.
 */
class WebhooksKillNineIT {
  private static final Duration WAIT = Duration.ofSeconds(120);

  @Test
  void aKillNineMidRetryLosesNoDelivery(@TempDir Path dataDir) throws Exception {
    Map<String, String> env = Map.of(
        "STRATA_DATA_DIR", dataDir.toString(),
        "STRATA_WEBHOOKS_ALLOWED_HOSTS", "127.0.0.0/8",
        // retried every half second or so for a minute: the delivery is still pending at the kill
        "STRATA_WEBHOOKS_RETRY_SCHEDULE", String.join(",", java.util.Collections.nCopies(120, "500ms")),
        "STRATA_WEBHOOKS_POLL_INTERVAL", "100ms",
        "STRATA_WEBHOOKS_TIMEOUT", "2s",
        "STRATA_WEBHOOKS_LEASE", "4s");
    try (WebhookReceiver receiver = new WebhookReceiver();
        PackagedServer server = new PackagedServer(dataDir, env)) {
      receiver.answer(500);
      server.start();
      JsonNode created = server.send("POST", "/api/v1/webhooks", "{\"url\":\"" + receiver.url("/crash")
          + "\",\"filter\":{\"repositories\":[\"crash\"]}}", 201);
      String id = created.get("id").asText();
      String secret = created.get("secret").asText();
      server.send("POST", "/api/v1/repositories", "{\"name\":\"crash\"}", 201);
      server.send("POST", "/api/v1/repositories/crash/branches", "{\"name\":\"b1\"}", 201);
      await().atMost(WAIT).until(() -> receiver.received().size() >= 3);
      server.send("POST", "/api/v1/repositories/crash/branches", "{\"name\":\"b-last\"}", 201);
      server.kill();
      int failedBeforeKill = receiver.received().size();

      receiver.answer(200);
      server.start();
      // the last event first, then the log: a page read before it arrived would miss its delivery
      await().atMost(WAIT).until(() -> hasBranch(receiver, "b-last"));
      JsonNode page = await().atMost(WAIT).until(() -> server.send("GET", "/api/v1/webhooks/" + id + "/deliveries",
          null, 200), p -> p.get("items").size() > 0 && allDelivered(p));

      List<Long> delivered = new ArrayList<>();
      page.get("items").forEach(d -> delivered.add(d.get("position").asLong()));
      List<Long> arrived = new ArrayList<>();
      for (WebhookReceiver.Received r : receiver.accepted()) {
        assertThat(StandardWebhooksVerifier.verify(secret, r.id(), r.timestamp(), r.body(), r.signature())).isTrue();
        arrived.add(PackagedServer.JSON.readTree(r.body()).get("position").asLong());
      }
      Set<Long> distinct = new LinkedHashSet<>(arrived);
      assertThat(new ArrayList<>(distinct)).as("every queued event arrived, in order").isEqualTo(delivered);
      assertThat(delivered).as("sorted by position").isSorted();
      JsonNode first = page.get("items").get(0);
      long failures = 0;
      for (JsonNode a : first.get("attempts")) {
        failures += a.path("status_code").asInt() == 500 ? 1 : 0;
      }
      assertThat(failures).as("the retries before the kill are in the log").isGreaterThanOrEqualTo(Math.min(3,
          failedBeforeKill));
      assertThat(first.get("attempts").get(first.get("attempts").size() - 1).get("status_code").asInt())
          .isEqualTo(200);
    }
  }

  private static boolean allDelivered(JsonNode page) {
    for (JsonNode d : page.get("items")) {
      if (!d.get("state").asText().equals("delivered")) {
        return false;
      }
    }
    return true;
  }

  private static boolean hasBranch(WebhookReceiver receiver, String branch) {
    return receiver.accepted().stream().anyMatch(r -> r.body().contains("\"name\":\"" + branch + "\""));
  }
}
