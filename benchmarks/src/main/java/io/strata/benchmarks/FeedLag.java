package io.strata.benchmarks;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How long one repository's subscribers wait while another repository does long data work (issue 28,
 * "short appends"): repository B commits at a steady pace while an SSE subscriber follows B's events;
 * first with nothing else going on, then while repository A merges 100 000 changed rows into its default
 * branch. Prints, side by side, the lag from each of B's commits' 201 to the subscriber's receipt
 * (p50 / p99 / max) and B's commit latency, in both phases, and the merge's duration.
 *
 * <p>Usage: {@code FeedLag <server jar> [rows of A's table, default 1 000 000] [seconds quiet, default 10]}.
 */
public final class FeedLag {
  private static final Pattern ID = Pattern.compile("\"id\":\"([0-9a-f]{64})\"");
  /** B commits every 50 ms: 20 commits a second, a pace a small team's automation reaches easily. */
  private static final long PACE_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

  private FeedLag() {}

  public static void main(String[] args) throws Exception {
    String jar = args[0];
    int rows = args.length > 1 ? Integer.parseInt(args[1]) : 1_000_000;
    double quietSeconds = args.length > 2 ? Double.parseDouble(args[2]) : 10;
    try (BenchServer s = BenchServer.start(jar, "feedlag")) {
      run(s, rows, quietSeconds);
    }
  }

  private static void run(BenchServer s, int rows, double quietSeconds) throws Exception {
    String repos = "/api/v1/repositories";
    // A: a tracked table and a branch that changed 100 000 of its rows (main moved too: a real merge)
    s.exec("create table public.lag_big (id int primary key, v int not null, pad text)");
    s.exec("insert into public.lag_big select g, g, md5(g::text) from generate_series(1, " + rows + ") g");
    s.exec("vacuum analyze public.lag_big");
    s.send("POST", repos, "{\"name\":\"a\"}", 201);
    s.send("POST", repos + "/a/tables", "{\"name\":\"lag_big\",\"location\":\"postgresql://local/public.lag_big\"}", 201);
    s.send("POST", repos + "/a/branches", "{\"name\":\"bulk\"}", 201);
    int every = Math.max(1, rows / 100_000);
    s.exec("update strata_bulk.lag_big set v = -v where id % " + every + " = 0");
    s.send("POST", repos + "/a/branches/bulk/commits", "{\"message\":\"100k\",\"all\":true}", 201);
    s.exec("update public.lag_big set pad = 'main' where id = 1");
    s.send("POST", repos + "/a/branches/main/commits", "{\"message\":\"main moves\",\"all\":true}", 201);

    // B: no table; its commits are small appends, and one SSE subscriber follows its events
    s.send("POST", repos, "{\"name\":\"b\"}", 201);
    CountDownLatch open = new CountDownLatch(1);
    EventsLoad.Subscriber subscriber = new EventsLoad.Subscriber(s.base + repos + "/b/events", open);
    ExecutorService threads = Executors.newCachedThreadPool();
    threads.submit(subscriber);
    if (!open.await(30, TimeUnit.SECONDS)) {
      throw new IllegalStateException("the subscriber did not connect");
    }
    Map<String, Long> acked = new ConcurrentHashMap<>();
    long warmUpEnd = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
    paced(s, acked, new ArrayList<>(), () -> System.nanoTime() < warmUpEnd);

    List<Long> quietLatency = new ArrayList<>();
    Map<String, Long> quiet = new ConcurrentHashMap<>();
    long quietEnd = System.nanoTime() + (long) (quietSeconds * 1e9);
    paced(s, quiet, quietLatency, () -> System.nanoTime() < quietEnd);

    List<Long> mergeLatency = new ArrayList<>();
    Map<String, Long> during = new ConcurrentHashMap<>();
    long t0 = System.nanoTime();
    CompletableFuture<Long> merge = CompletableFuture.supplyAsync(() -> {
      try {
        s.send("POST", repos + "/a/branches/main/merge", "{\"source\":\"bulk\"}", 200);
        return System.nanoTime() - t0;
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }, threads);
    Thread.sleep(20); // the merge's request is on its way before B's commits measure it
    paced(s, during, mergeLatency, () -> !merge.isDone());
    long mergeNanos = merge.get();

    acked.putAll(quiet);
    acked.putAll(during);
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
    while (subscriber.received.size() < acked.size() && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    EventsLoad.measured = true;
    threads.shutdownNow();
    List<Long> quietLags = lags(subscriber, quiet);
    List<Long> mergeLags = lags(subscriber, during);
    System.out.printf(Locale.ROOT, "A merges %,d changed rows of a %,d-row table into main: %.0f ms (%,.0f rows/s)%n",
        rows / every, rows, mergeNanos / 1e6, rows / every / (mergeNanos / 1e9));
    print("B's commit 201 -> B's SSE subscriber (ms), nothing else running", quietLags);
    print("B's commit 201 -> B's SSE subscriber (ms), while A merges        ", mergeLags);
    print("B's commit latency (ms), nothing else running", quietLatency);
    print("B's commit latency (ms), while A merges        ", mergeLatency);
    System.out.printf(Locale.ROOT, "feed lag p99 while A merges / nothing else running: %.1f (target: p99 <= 50 ms"
        + " while A merges)%n", EventsLoad.pct(mergeLags, 0.99) / Math.max(0.1, EventsLoad.pct(quietLags, 0.99)));
  }

  /** B commits every {@link #PACE_NANOS} while {@code go}; records each commit's 201 time and latency. */
  private static void paced(BenchServer s, Map<String, Long> acked, List<Long> latencies, BooleanSupplier go)
      throws Exception {
    long next = System.nanoTime();
    for (int i = 0; go.getAsBoolean(); i++) {
      long sent = System.nanoTime();
      String body = s.send("POST", "/api/v1/repositories/b/branches/main/commits",
          "{\"message\":\"b " + i + " " + sent + "\",\"allow_empty\":true}", 201);
      long at = System.nanoTime();
      Matcher m = ID.matcher(body);
      if (!m.find()) {
        throw new IllegalStateException("no id in " + body);
      }
      acked.put(m.group(1), at);
      latencies.add(at - sent);
      next += PACE_NANOS;
      long wait = next - System.nanoTime();
      if (wait > 0) {
        TimeUnit.NANOSECONDS.sleep(wait);
      } else {
        next = System.nanoTime();
      }
    }
    Collections.sort(latencies);
  }

  /** The lags of the commits in {@code acked} as the subscriber received them; fails if one never came. */
  private static List<Long> lags(EventsLoad.Subscriber subscriber, Map<String, Long> acked) {
    List<Long> lags = new ArrayList<>();
    synchronized (subscriber.received) {
      for (EventsLoad.Receipt r : subscriber.received) {
        Long at = acked.get(r.commit());
        if (at != null) {
          lags.add(r.at() - at);
        }
      }
    }
    if (lags.size() != acked.size()) {
      throw new IllegalStateException("the subscriber received " + lags.size() + " of " + acked.size() + " commits");
    }
    Collections.sort(lags);
    return lags;
  }

  private static void print(String what, List<Long> sorted) {
    System.out.printf(Locale.ROOT, "%s: n %d  p50 %.1f  p99 %.1f  max %.1f%n", what, sorted.size(),
        EventsLoad.pct(sorted, 0.50), EventsLoad.pct(sorted, 0.99), sorted.get(sorted.size() - 1) / 1e6);
  }
}
