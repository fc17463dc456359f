package io.strata.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A stream lives as long as its subscriber. The packaged server, its HTTP idle timeout cut to 20 s (so
 * that only the heartbeats, every 15 s, keep a silent connection open), and a merge held 30 s inside
 * its transaction by a failpoint after its data work, as a large table would hold it, while commits to
 * another repository go on: the merge's work holds no reader back, so they reach the subscriber while
 * it runs (the feed waits for a transaction only from its append to its commit). One subscriber to
 * {@code /api/v1/events}, connected once, is held through 60 s of silence and then the merge, and
 * receives every event after its start, in the feed's order, without a reconnection; heartbeats never
 * stop.
 */
class EventStreamSilenceIT {
  private static final Duration SILENCE = Duration.ofSeconds(60);
  private static final Duration HEARTBEAT = Duration.ofSeconds(15);

  @Test
  void aSubscriberHeldThroughSilenceAndALongMergeLosesNothing(@TempDir Path dataDir) throws Exception {
    Map<String, String> env = Map.of(
        "STRATA_DATA_DIR", dataDir.toString(),
        "STRATA_FAILPOINTS", "merge.applied=delay:30s",
        "QUARKUS_HTTP_IDLE_TIMEOUT", "20s");
    try (PackagedServer server = new PackagedServer(dataDir, env)) {
      server.start();
      server.send("POST", "/api/v1/repositories", "{\"name\":\"quiet\"}", 201);
      server.send("POST", "/api/v1/repositories", "{\"name\":\"busy\"}", 201);
      server.send("POST", "/api/v1/repositories/quiet/branches", "{\"name\":\"feature\"}", 201);
      commit(server, "quiet", "feature", "on feature");
      commit(server, "quiet", "main", "on main"); // the merge is a three-way one
      long start = server.send("GET", "/api/v1/events?after=0&limit=1000", null, 200).get("next").asLong();

      try (SseSubscriber subscriber = new SseSubscriber(server.base() + "/api/v1/events?after=" + start, null)) {
        assertThat(subscriber.status()).isEqualTo(200);
        long connected = System.nanoTime();
        Thread.sleep(SILENCE.toMillis());
        assertThat(subscriber.open()).as("open after %s of silence", SILENCE).isTrue();
        assertThat(subscriber.events()).as("nothing happened").isEmpty();
        assertThat(subscriber.heartbeats()).as("a heartbeat every %s", HEARTBEAT).hasSizeGreaterThanOrEqualTo(3);

        long mergeStarted = System.nanoTime();
        CompletableFuture<JsonNode> merge = CompletableFuture.supplyAsync(() -> {
          try {
            return server.send("POST", "/api/v1/repositories/quiet/branches/main/merge", "{\"source\":\"feature\"}",
                200);
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        });
        // commits go on while the merge does its work, and reach the subscriber while it runs
        List<Long> duringMerge = new ArrayList<>();
        List<Long> seenWhileMerging = List.of();
        for (int i = 0; !merge.isDone(); i++) {
          duringMerge.add(commit(server, "busy", "main", "during the merge " + i));
          Thread.sleep(2_000);
          List<Long> seen = subscriber.events().stream().map(SseSubscriber.Event::id).toList();
          if (!merge.isDone()) {
            seenWhileMerging = seen;
          }
        }
        merge.get();
        Duration merging = Duration.ofNanos(System.nanoTime() - mergeStarted);
        assertThat(merging).as("the merge held its transaction").isGreaterThanOrEqualTo(Duration.ofSeconds(30));
        assertThat(duringMerge).as("commits during the merge").hasSizeGreaterThan(5);
        assertThat(seenWhileMerging).as("commits during the merge reached the subscriber while it ran")
            .containsAll(duringMerge.subList(0, 5));
        for (int i = 0; i < 5; i++) {
          commit(server, "busy", "main", "after the merge " + i);
        }

        List<Long> feed = feedAfter(server, start);
        await().atMost(Duration.ofSeconds(30)).until(() -> subscriber.events().size() >= feed.size());
        assertThat(subscriber.events()).extracting(SseSubscriber.Event::id)
            .as("every event after the start, once, in the feed's order").containsExactlyElementsOf(feed);
        assertThat(feed).as("the feed holds the merge and every commit").containsAll(duringMerge)
            .hasSize(duringMerge.size() + 5 + 1); // the merge is one commit
        assertThat(subscriber.open()).as("the same connection throughout").isTrue();
        assertThat(subscriber.failure()).isNull();
        assertThat(subscriber.longestSilenceSince(connected)).as("heartbeats never stopped")
            .isLessThan(HEARTBEAT.plusSeconds(4));
      }
      assertThat(server.log()).doesNotContain("ERROR").doesNotContain("CancellationException");
    }
  }

  /** Commits on the branch; answers the position of the commit's event. */
  private static long commit(PackagedServer server, String repo, String branch, String message) throws Exception {
    return server.send("POST", "/api/v1/repositories/" + repo + "/branches/" + branch + "/commits",
        "{\"message\":\"" + message + "\",\"allow_empty\":true}", 201).get("position").asLong();
  }

  /** The feed's positions after {@code start}, in its order, read as JSON pages. */
  private static List<Long> feedAfter(PackagedServer server, long start) throws Exception {
    List<Long> positions = new ArrayList<>();
    long after = start;
    while (true) {
      JsonNode page = server.send("GET", "/api/v1/events?limit=1000&after=" + after, null, 200);
      if (page.get("items").isEmpty()) {
        return positions;
      }
      page.get("items").forEach(e -> positions.add(e.get("position").asLong()));
      after = page.get("next").asLong();
    }
  }
}
