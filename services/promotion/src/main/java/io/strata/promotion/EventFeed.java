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
  /** A stream that lived this long was a good one: a failure after it is retried at once, not after a backoff. */
  static final Duration LIVED = Duration.ofSeconds(10);

  private final StrataApi api;
  private final List<String> repositories;
  private final java.util.function.BiConsumer<String, Long> onEvent;
  private final Runnable onConnected;
  private final Duration silence;
  private final Thread thread;
  private final java.util.concurrent.ScheduledExecutorService watchdog;
  private volatile boolean stopped;
  private volatile boolean connected;
  private volatile long lastLineNanos = System.nanoTime();
  private volatile InputStream body;
  private volatile Long lastEventId;

  EventFeed(StrataApi api, List<String> repositories, java.util.function.BiConsumer<String, Long> onEvent,
      Runnable onConnected, Duration silence) {
    this.api = api;
    this.repositories = repositories;
    this.onEvent = onEvent;
    this.onConnected = onConnected;
    this.silence = silence;
    this.thread = new Thread(this::follow, "strata-promotion-feed");
    this.thread.setDaemon(true);
    // a thread of its own: the workers may all be waiting on long calls while the stream dies
    this.watchdog = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "strata-promotion-feed-watchdog");
      t.setDaemon(true);
      return t;
    });
  }

  void start() {
    thread.start();
    long every = Math.max(1000, silence.toMillis() / 5);
    watchdog.scheduleWithFixedDelay(this::checkSilence, every, every, java.util.concurrent.TimeUnit.MILLISECONDS);
  }

  boolean connected() {
    return connected;
  }

  private void follow() {
    long backoffMs = 500;
    while (!stopped) {
      long opened = System.nanoTime();
      try {
        stream();
      } catch (IOException | RuntimeException e) {
        if (stopped) {
          return;
        }
        LOG.warnf("the event feed at %s failed (%s)", api.baseUri(), e.toString());
      } catch (InterruptedException e) {
        return;
      } finally {
        connected = false;
      }
      if (System.nanoTime() - opened > LIVED.toNanos()) {
        backoffMs = 500; // a stream that lived: ended by the server (stopping) or the network, not refused
      }
      if (!stopped) {
        LOG.infof("connecting to the event feed again in %d ms", backoffMs);
        sleep(backoffMs);
        backoffMs = Math.min(30_000, backoffMs * 2);
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
    HttpResponse<InputStream> response = api.http().send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
    try (InputStream in = response.body()) {
      if (response.statusCode() != 200) {
        if (response.statusCode() == 422 && lastEventId != null) {
          // the position is not the server's (its log restored or replaced): from now on, and every repository
          // looked at once more on connecting
          LOG.warnf("the event feed does not know position %d: following it from now on", lastEventId);
          lastEventId = null;
        }
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
      Long position = null;
      if (id != null) {
        try {
          position = Long.parseLong(id);
          lastEventId = position;
        } catch (NumberFormatException ignored) {
          // an id that is not a position: resume from the last one that was
        }
      }
      String repository = event.path("repository").asText(null);
      if (repository != null) {
        onEvent.accept(repository, position == null ? 0L : position);
      }
    } catch (IOException e) {
      LOG.warnf("an event the feed sent is not JSON (%s): skipped", e.getMessage());
    }
  }

  /** Closes a stream that went silent for longer than the server's heartbeats allow: follow() reconnects. */
  private void checkSilence() {
    InputStream open = body;
    if (open != null && System.nanoTime() - lastLineNanos > silence.toNanos()) {
      LOG.warnf("the event feed was silent for %d s: connecting again", silence.toSeconds());
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
    watchdog.shutdownNow();
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
