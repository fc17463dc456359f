package io.strata.benchmarks;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Load on the event feed's subscribers (benchmarks/run-events.sh): {@code EventsLoad sse <url> <seconds>
 * [subscribers]} commits with 8 closed-loop clients, first with no subscriber, then with
 * {@code subscribers} server-sent-event streams open on the repository, then with none again, and
 * prints the commit rates side by side (their ratio), the events/s delivered to all subscribers and
 * the lag from a commit's 201 to each subscriber's receipt of its event (p50/p99/max). Every
 * subscriber must receive every commit of its round, once, in order; the run fails otherwise.
 */
public final class EventsLoad {
  private static final HttpClient HTTP = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
  private static final Pattern ID = Pattern.compile("\"id\":\"([0-9a-f]{64})\"");
  private static final Pattern SUBJECT = Pattern.compile("\"subject\":\"commits/([0-9a-f]{64})\"");
  private static final int COMMITTERS = 8;

  private EventsLoad() {}

  public static void main(String[] args) throws Exception {
    if (args.length < 3 || !args[0].equals("sse")) {
      System.err.println("usage: EventsLoad sse <url> <seconds> [subscribers]");
      System.exit(2);
    }
    String base = args[1];
    double seconds = Double.parseDouble(args[2]);
    int subscribers = args.length > 3 ? Integer.parseInt(args[3]) : 100;
    fanOut(base, seconds, subscribers);
  }

  /** Set once the subscribers' receipts are counted. */
  static volatile boolean measured;

  private static void fanOut(String base, double seconds, int subscribers) throws Exception {
    String repo = "events-" + Long.toHexString(System.nanoTime());
    String api = base + "/api/v1/repositories/" + repo;
    expect(send("POST", base + "/api/v1/repositories", "{\"name\":\"" + repo + "\"}"), 201);
    for (int c = 0; c < COMMITTERS; c++) {
      expect(send("POST", api + "/branches", "{\"name\":\"b" + c + "\"}"), 201);
    }
    commit(api, 2, null); // warm-up

    double alone = commit(api, seconds, null).size() / seconds;

    List<Subscriber> subs = new ArrayList<>();
    CountDownLatch open = new CountDownLatch(subscribers);
    ExecutorService readers = Executors.newFixedThreadPool(subscribers);
    for (int i = 0; i < subscribers; i++) {
      Subscriber s = new Subscriber(api + "/events", open);
      subs.add(s);
      readers.submit(s);
    }
    if (!open.await(30, TimeUnit.SECONDS)) {
      throw new IllegalStateException("subscribers did not connect");
    }
    Thread.sleep(500);
    Map<String, Long> acked = new ConcurrentHashMap<>();
    long start = System.nanoTime();
    List<String> order = commit(api, seconds, acked);
    double watched = order.size() / seconds;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    for (Subscriber s : subs) {
      while (s.received.size() < order.size() && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
    }
    long lastReceipt = subs.stream().mapToLong(s -> s.lastAt.get()).max().orElse(start);
    measured = true; // the streams end with the server now: not an error worth a stack trace
    readers.shutdownNow();

    List<Long> lags = new ArrayList<>();
    for (Subscriber s : subs) {
      List<String> ids = s.received.stream().map(Receipt::commit).toList();
      if (!ids.equals(order)) {
        throw new IllegalStateException("a subscriber received " + ids.size() + " of " + order.size()
            + " commits, or out of order");
      }
      s.received.forEach(r -> lags.add(r.at() - acked.get(r.commit())));
    }
    Collections.sort(lags);
    double after = commit(api, seconds, null).size() / seconds;

    double delivered = (double) order.size() * subscribers / ((lastReceipt - start) / 1e9);
    System.out.printf(Locale.ROOT, "commits/s, %d clients: %.0f with no subscriber, %.0f with %d SSE subscribers,"
        + " %.0f with none again: ratio %.2f%n", COMMITTERS, alone, watched, subscribers, after,
        watched / ((alone + after) / 2));
    System.out.printf(Locale.ROOT, "SSE fan-out to %d subscribers: %d events each, every one once and in order;"
        + " %.0f events/s delivered in all%n", subscribers, order.size(), delivered);
    System.out.printf(Locale.ROOT, "lag from a commit's 201 to a subscriber's receipt (ms): p50 %.1f  p99 %.1f"
        + "  max %.1f%n", pct(lags, 0.50), pct(lags, 0.99), lags.get(lags.size() - 1) / 1e6);
  }

  /**
   * {@code clients} closed-loop clients commit on their own branches ({@code prefix}0, 1, ...) for
   * {@code seconds}; answers the commit ids in the order they were acknowledged, and with {@code acked}
   * records when each one's 201 came.
   */
  static List<String> closedLoop(String api, String prefix, int clients, double seconds, Map<String, Long> acked)
      throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(clients);
    long deadline = System.nanoTime() + (long) (seconds * 1e9);
    // a commit's id hashes its content: messages unique to the branch and the run, or two branches' commits
    // made in the same second on the same parent would be one commit
    long run = System.nanoTime();
    List<String> ids = Collections.synchronizedList(new ArrayList<>());
    List<Future<?>> running = new ArrayList<>();
    for (int c = 0; c < clients; c++) {
      int client = c;
      running.add(pool.submit(() -> {
        for (int i = 0; System.nanoTime() < deadline; i++) {
          String body = expect(send("POST", api + "/branches/" + prefix + client + "/commits",
              "{\"message\":\"" + prefix + client + " " + i + " " + run + "\",\"allow_empty\":true}"), 201);
          long at = System.nanoTime();
          Matcher m = ID.matcher(body);
          if (!m.find()) {
            throw new IllegalStateException("no id in " + body);
          }
          if (acked != null) {
            acked.put(m.group(1), at);
          }
          ids.add(m.group(1));
        }
        return null;
      }));
    }
    for (Future<?> f : running) {
      f.get();
    }
    pool.shutdown();
    return new ArrayList<>(ids);
  }

  static double pct(List<Long> sorted, double p) {
    int index = (int) Math.min(sorted.size() - 1, Math.ceil(p * sorted.size()) - 1);
    return sorted.get(Math.max(0, index)) / 1e6;
  }

  /**
   * Commits on b0..b7 for {@code seconds}. With {@code acked} (commit id to the time of its 201), answers
   * the commits in the feed's order, else in the order they were acknowledged.
   */
  private static List<String> commit(String api, double seconds, Map<String, Long> acked) throws Exception {
    List<String> order = closedLoop(api, "b", COMMITTERS, seconds, acked);
    // the log's order of these commits: each branch's commits in its client's order; across branches
    // the feed's commit order, which the subscribers see (read it back from a JSON page)
    return acked == null ? order : feedOrder(api, order.size());
  }

  /** The last {@code count} commit ids of the repository's feed, in feed order. */
  private static List<String> feedOrder(String api, int count) throws Exception {
    List<String> all = new ArrayList<>();
    long after = 0;
    while (true) {
      String page = expect(send("GET", api + "/events?limit=1000&types=io.strata.commit.created.v4&after=" + after,
          null), 200);
      Matcher m = SUBJECT.matcher(page);
      int before = all.size();
      while (m.find()) {
        all.add(m.group(1));
      }
      Matcher next = Pattern.compile("\"next\":(\\d+)").matcher(page);
      next.find();
      long n = Long.parseLong(next.group(1));
      if (all.size() == before || n == after) {
        break;
      }
      after = n;
    }
    return all.subList(all.size() - count, all.size());
  }

  record Receipt(String commit, long at) {}

  /** One SSE stream of the repository's events (from now on), recording when each commit's event came. */
  static final class Subscriber implements Runnable {
    private final String url;
    private final CountDownLatch open;
    final List<Receipt> received = Collections.synchronizedList(new ArrayList<>());
    final AtomicLong lastAt = new AtomicLong();

    Subscriber(String url, CountDownLatch open) {
      this.url = url;
      this.open = open;
    }

    @Override
    public void run() {
      try {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).header("Accept", "text/event-stream");
        String token = System.getenv("STRATA_TOKEN");
        if (token != null) {
          request.header("Authorization", "Bearer " + token);
        }
        HttpResponse<Stream<String>> response = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofLines());
        open.countDown();
        try (Stream<String> lines = response.body()) {
          lines.forEach(line -> {
            if (line.startsWith("data:")) {
              Matcher m = SUBJECT.matcher(line);
              if (m.find()) {
                long at = System.nanoTime();
                received.add(new Receipt(m.group(1), at));
                lastAt.set(at);
              }
            }
          });
        }
      } catch (Exception e) {
        if (!measured && !Thread.currentThread().isInterrupted()) {
          e.printStackTrace();
        }
      }
    }
  }

  static HttpResponse<String> send(String method, String url, String body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
        .header("Content-Type", "application/json");
    String token = System.getenv("STRATA_TOKEN");
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  static String expect(HttpResponse<String> r, int status) {
    if (r.statusCode() != status) {
      throw new IllegalStateException(r.request().method() + " " + r.request().uri() + " -> " + r.statusCode()
          + " " + r.body());
    }
    return r.body();
  }
}
