package io.strata.benchmarks;

import static io.strata.benchmarks.EventsLoad.expect;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Commits paced at a rate (open loop: each is sent at its scheduled time whether or not the ones
 * before it were answered), round robin over the repositories and their branches h0..h3.
 */
final class Paced {
  private static final Pattern ID = Pattern.compile("\"id\":\"([0-9a-f]{64})\"");
  private static final HttpClient ASYNC = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();

  /** When the first commit was scheduled (nanoTime). */
  final long t0;
  /** When the last commit was sent. */
  final long lastSend;
  /** Per commit: when it was scheduled, when its 201 came, and its id. */
  final long[] scheduled;
  final long[] acked;
  final String[] ids;

  private Paced(long t0, long lastSend, long[] scheduled, long[] acked, String[] ids) {
    this.t0 = t0;
    this.lastSend = lastSend;
    this.scheduled = scheduled;
    this.acked = acked;
    this.ids = ids;
  }

  /** Commits at {@code pace}/s for {@code seconds}, and waits for every answer (each must be a 201). */
  static Paced commit(List<String> apis, double pace, double seconds) throws Exception {
    int total = (int) Math.round(pace * seconds);
    long period = (long) (1e9 / pace);
    long[] scheduled = new long[total];
    long[] acked = new long[total];
    String[] ids = new String[total];
    List<CompletableFuture<Void>> sent = new ArrayList<>();
    long t0 = System.nanoTime() + 50_000_000L;
    for (int i = 0; i < total; i++) {
      long at = t0 + i * period;
      long wait;
      while ((wait = at - System.nanoTime()) > 0) {
        LockSupport.parkNanos(wait);
      }
      scheduled[i] = at;
      int n = i;
      String api = apis.get(i % apis.size());
      HttpRequest request = HttpRequest.newBuilder(URI.create(api + "/branches/h" + (i / apis.size()) % 4 + "/commits"))
          .timeout(Duration.ofSeconds(60)).header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString("{\"message\":\"paced " + i + " " + t0 + "\",\"allow_empty\":true}")).build();
      sent.add(ASYNC.sendAsync(request, HttpResponse.BodyHandlers.ofString()).thenAccept(r -> {
        acked[n] = System.nanoTime();
        Matcher m = ID.matcher(expect(r, 201));
        if (!m.find()) {
          throw new IllegalStateException("no id in " + r.body());
        }
        ids[n] = m.group(1);
      }));
    }
    long lastSend = System.nanoTime();
    CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
    return new Paced(t0, lastSend, scheduled, acked, ids);
  }

  int total() {
    return ids.length;
  }
}
