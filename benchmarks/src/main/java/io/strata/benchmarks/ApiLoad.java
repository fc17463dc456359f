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
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Closed-loop load through the REST API: N clients each send a request, wait for the answer, send
 * the next. Prints throughput and latency percentiles for branch creation and commits at 1, 8 and 32
 * clients, and the time to read a log of 10 000 commits.
 *
 * <p>Usage: {@code ApiLoad <base-url> [seconds-per-step]}
 */
public final class ApiLoad {
  private static final HttpClient HTTP = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
  private static final Pattern ID = Pattern.compile("\"id\":\"([0-9a-f]{64})\"");
  private static final Pattern TOTAL = Pattern.compile("\"total\":(\\d+)");

  private ApiLoad() {}

  public static void main(String[] args) throws Exception {
    String base = args[0].replaceAll("/$", "");
    double seconds = args.length > 1 ? Double.parseDouble(args[1]) : 5;
    String repo = "bench-" + Long.toString(System.nanoTime(), 36);
    expect(send("POST", base + "/api/v1/repositories", "{\"name\":\"" + repo + "\"}"), 201);
    String api = base + "/api/v1/repositories/" + repo;

    // Warm the JIT on the measured commands first, so the first step is not a cold-start figure.
    expect(send("POST", api + "/branches", "{\"name\":\"warm\"}"), 201);
    run(8, Math.min(seconds, 3), (client, i) -> expect(send("POST", api + "/branches",
        "{\"name\":\"warm-" + client + "-" + i + "\"}"), 201));
    run(8, Math.min(seconds, 3), (client, i) -> expect(send("POST", api + "/branches/warm/commits",
        "{\"message\":\"warm\",\"allow_empty\":true}"), 201));
    System.out.printf(Locale.ROOT, "%-22s %8s %10s %9s %9s %9s%n", "operation", "clients", "ops/s", "p50 ms", "p99 ms", "max ms");
    for (int clients : new int[] {1, 8, 32}) {
      warmUp(api, clients);
      Result r = run(clients, seconds, (client, i) -> expect(send("POST", api + "/branches",
          "{\"name\":\"c" + clients + "-" + client + "-" + i + "\"}"), 201));
      r.print("branch create", clients);
    }
    for (int clients : new int[] {1, 8, 32}) {
      for (int c = 0; c < clients; c++) {
        expect(send("POST", api + "/branches", "{\"name\":\"w" + clients + "-" + c + "\"}"), 201);
      }
      Result r = run(clients, seconds, (client, i) -> expect(send("POST",
          api + "/branches/w" + clients + "-" + client + "/commits",
          "{\"message\":\"commit " + i + "\",\"allow_empty\":true}"), 201));
      r.print("commit (own branch)", clients);
    }
    Result same = run(32, seconds, (client, i) -> expect(send("POST", api + "/branches/main/commits",
        "{\"message\":\"m " + client + "-" + i + "\",\"allow_empty\":true}"), 201));
    same.print("commit (one branch)", 32);

    logRead(base, repo + "-log", 10_000);
  }

  private static void warmUp(String api, int clients) throws Exception {
    run(clients, 0.5, (client, i) -> expect(send("GET", api + "/branches?limit=1", null), 200));
  }

  /** Fills a repository with {@code commits} commits on main, then times reading the whole log. */
  private static void logRead(String base, String repo, int commits) throws Exception {
    expect(send("POST", base + "/api/v1/repositories", "{\"name\":\"" + repo + "\"}"), 201);
    String api = base + "/api/v1/repositories/" + repo;
    int clients = 32;
    int each = (commits - 1) / clients + 1;
    run(clients, Double.MAX_VALUE, each, (client, i) -> expect(send("POST", api + "/branches/main/commits",
        "{\"message\":\"log " + client + "-" + i + "\",\"allow_empty\":true}"), 201));
    String first = send("GET", api + "/commits?limit=1", null).body();
    Matcher m = TOTAL.matcher(first);
    long total = m.find() ? Long.parseLong(m.group(1)) : -1;
    List<Double> full = new ArrayList<>();
    List<Double> page = new ArrayList<>();
    for (int round = 0; round < 5; round++) {
      long t0 = System.nanoTime();
      int read = 0;
      for (int offset = 0; offset < total; offset += 1000) {
        String body = expect(send("GET", api + "/commits?limit=1000&offset=" + offset, null), 200);
        Matcher ids = ID.matcher(body);
        while (ids.find()) {
          read++;
        }
      }
      full.add((System.nanoTime() - t0) / 1e6);
      if (read != total) {
        throw new IllegalStateException("read " + read + " of " + total + " commits");
      }
      t0 = System.nanoTime();
      expect(send("GET", api + "/commits?limit=100", null), 200);
      page.add((System.nanoTime() - t0) / 1e6);
    }
    Collections.sort(full);
    Collections.sort(page);
    System.out.printf(Locale.ROOT, "log read: %d commits, all pages of 1000: median %.1f ms (min %.1f); first page of 100: median %.1f ms%n",
        total, full.get(full.size() / 2), full.get(0), page.get(page.size() / 2));
  }

  interface Step {
    void run(int client, int iteration) throws Exception;
  }

  private static Result run(int clients, double seconds, Step step) throws Exception {
    return run(clients, seconds, Integer.MAX_VALUE, step);
  }

  private static Result run(int clients, double seconds, int maxEach, Step step) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(clients);
    long start = System.nanoTime();
    long deadline = seconds >= Double.MAX_VALUE / 2 ? Long.MAX_VALUE : start + (long) (seconds * 1e9);
    List<Future<List<Long>>> futures = new ArrayList<>();
    for (int c = 0; c < clients; c++) {
      int client = c;
      futures.add(pool.submit(() -> {
        List<Long> latencies = new ArrayList<>();
        for (int i = 0; i < maxEach && System.nanoTime() < deadline; i++) {
          long t0 = System.nanoTime();
          step.run(client, i);
          latencies.add(System.nanoTime() - t0);
        }
        return latencies;
      }));
    }
    List<Long> all = new ArrayList<>();
    for (Future<List<Long>> f : futures) {
      all.addAll(f.get());
    }
    double elapsed = (System.nanoTime() - start) / 1e9;
    pool.shutdown();
    Collections.sort(all);
    return new Result(all, elapsed);
  }

  private record Result(List<Long> latencies, double seconds) {
    double percentile(double p) {
      int index = (int) Math.min(latencies.size() - 1, Math.ceil(p * latencies.size()) - 1);
      return latencies.get(Math.max(0, index)) / 1e6;
    }

    void print(String name, int clients) {
      System.out.printf(Locale.ROOT, "%-22s %8d %10.0f %9.2f %9.2f %9.2f%n", name, clients,
          latencies.size() / seconds, percentile(0.50), percentile(0.99), latencies.get(latencies.size() - 1) / 1e6);
    }
  }

  private static HttpResponse<String> send(String method, String url, String body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
        .header("Content-Type", "application/json");
    b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static String expect(HttpResponse<String> r, int status) {
    if (r.statusCode() != status) {
      throw new IllegalStateException(r.request().method() + " " + r.request().uri() + " -> " + r.statusCode() + " " + r.body());
    }
    return r.body();
  }
}
