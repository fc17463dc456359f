package io.strata.promotion;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.strata.client.ApiClient;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;
import org.jboss.logging.Logger;

/**
 * Follows the server's event feed ({@code GET /api/v1/events} as server-sent events) on a thread of its own and
 * says which repository had an event that can change what is to be promoted. Reconnects after any failure,
 * resuming after the last event it saw ({@code Last-Event-ID}: the server sends each event once); a stream silent
 * for three heartbeats is taken for dead and replaced. Each (re)connection is announced, so that everything is
 * looked at once more: what happened while no stream was open, or before the service started, is found by
 * reading the server's state, not by replaying the log.
 */
final class EventFeed implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(EventFeed.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  /** The events after which a promotion may have something to do: heads, branches, requests, policies. */
  static final List<String> TYPES = List.of("io.strata.branch.created", "io.strata.branch.deleted",
      "io.strata.branch.head_moved", "io.strata.commit.created", "io.strata.commit.rolled_back",
      "io.strata.rebase.finished", "io.strata.repository.created", "io.strata.promotion.policy_set",
      "io.strata.promotion.opened", "io.strata.promotion.evaluated", "io.strata.promotion.approved",
      "io.strata.promotion.merged", "io.strata.promotion.rejected", "io.strata.check_run.completed");
  /** Three of the server's heartbeats (15 s by default) without a line: the connection is gone. */
  static final Duration SILENCE = Duration.ofSeconds(50);

  private final StrataApi api;
  private final List<String> repositories;
  private final Consumer<String> onEvent;
  private final Runnable onConnected;
  private final Thread thread;
  private volatile boolean stopped;
  private volatile boolean connected;
  private volatile long lastLineNanos = System.nanoTime();
  private volatile InputStream body;
  private volatile Long lastEventId;

  EventFeed(StrataApi api, List<String> repositories, Consumer<String> onEvent, Runnable onConnected) {
    this.api = api;
    this.repositories = repositories;
    this.onEvent = onEvent;
    this.onConnected = onConnected;
    this.thread = new Thread(this::follow, "strata-promotion-feed");
    this.thread.setDaemon(true);
  }

  void start(java.util.concurrent.ScheduledExecutorService watchdog) {
    thread.start();
    watchdog.scheduleWithFixedDelay(this::checkSilence, 10, 10, java.util.concurrent.TimeUnit.SECONDS);
  }

  boolean connected() {
    return connected;
  }

  private void follow() {
    long backoffMs = 500;
    while (!stopped) {
      try {
        stream();
        backoffMs = 500; // it was open, and ended (the server stopping): connect again at once
      } catch (IOException | RuntimeException e) {
        if (stopped) {
          return;
        }
        LOG.warnf("the event feed at %s failed (%s): connecting again in %d ms", api.baseUri(), e.toString(), backoffMs);
        sleep(backoffMs);
        backoffMs = Math.min(30_000, backoffMs * 2);
      } catch (InterruptedException e) {
        return;
      } finally {
        connected = false;
      }
    }
  }

  private void stream() throws IOException, InterruptedException {
    StringBuilder path = new StringBuilder("/api/v1/events?types=").append(ApiClient.urlEncode(String.join(",", TYPES)));
    if (!repositories.isEmpty()) {
      path.append("&repository=").append(ApiClient.urlEncode(String.join(",", repositories)));
    }
    HttpRequest.Builder request = api.request(path.toString()).header("Accept", "text/event-stream")
        .timeout(Duration.ofSeconds(30)).GET();
    if (lastEventId != null) {
      request.header("Last-Event-ID", String.valueOf(lastEventId));
    }
    HttpResponse<InputStream> response = api.client.getHttpClient().send(request.build(),
        HttpResponse.BodyHandlers.ofInputStream());
    try (InputStream in = response.body()) {
      if (response.statusCode() != 200) {
        throw new IOException("HTTP " + response.statusCode() + ": "
            + new String(in.readNBytes(2000), StandardCharsets.UTF_8));
      }
      body = in;
      lastLineNanos = System.nanoTime();
      connected = true;
      LOG.infof("following the event feed at %s%s", api.baseUri(), lastEventId == null ? "" : " after " + lastEventId);
      onConnected.run();
      BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
      String id = null;
      StringBuilder data = new StringBuilder();
      for (String line = reader.readLine(); line != null && !stopped; line = reader.readLine()) {
        lastLineNanos = System.nanoTime();
        if (line.isEmpty()) {
          dispatch(id, data);
          id = null;
          data.setLength(0);
        } else if (line.startsWith("id:")) {
          id = line.substring(3).trim();
        } else if (line.startsWith("data:")) {
          data.append(line.substring(line.startsWith("data: ") ? 6 : 5));
        }
        // "event:" (the type, also in data) and ": heartbeat" comments need nothing
      }
    } finally {
      body = null;
    }
  }

  private void dispatch(String id, StringBuilder data) {
    if (data.length() == 0) {
      return;
    }
    try {
      JsonNode event = JSON.readTree(data.toString());
      String repository = event.path("repository").asText(null);
      if (repository != null) {
        onEvent.accept(repository);
      }
    } catch (IOException e) {
      LOG.warnf("an event the feed sent is not JSON (%s): skipped", e.getMessage());
    }
    if (id != null) {
      try {
        lastEventId = Long.parseLong(id);
      } catch (NumberFormatException ignored) {
        // an id that is not a position: resume from the last one that was
      }
    }
  }

  /** Closes a stream that went silent for longer than the server's heartbeats allow: follow() reconnects. */
  private void checkSilence() {
    InputStream open = body;
    if (open != null && System.nanoTime() - lastLineNanos > SILENCE.toNanos()) {
      LOG.warnf("the event feed was silent for %d s: connecting again", SILENCE.toSeconds());
      try {
        open.close();
      } catch (IOException ignored) {
        // closing is all that is wanted
      }
    }
  }

  private void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      stopped = true;
    }
  }

  @Override
  public void close() {
    stopped = true;
    InputStream open = body;
    if (open != null) {
      try {
        open.close();
      } catch (IOException ignored) {
        // stopping
      }
    }
    thread.interrupt();
  }
}
