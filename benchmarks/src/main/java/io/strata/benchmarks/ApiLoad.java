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
 * <p>Usage: {@code ApiLoad <base-url> [seconds-per-step]}; {@code STRATA_TOKEN} in the environment is
 * sent as {@code Authorization: Bearer} (a server with STRATA_AUTH=token). {@code ApiLoad --auth
 * <url-auth-none> <url-auth-token> <admin-token> [seconds]} compares the same requests on two servers,
 * one without and one with authentication, side by side (see {@link #compareAuth}).
 */
public final class ApiLoad {
  private static final HttpClient HTTP = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
  private static final Pattern ID = Pattern.compile("\"id\":\"([0-9a-f]{64})\"");
  private static final Pattern TOTAL = Pattern.compile("\"total\":(\\d+)");

  /** The bearer token requests carry (null: none); set per server by {@link #compareAuth}. */
  private static volatile String token = System.getenv("STRATA_TOKEN");

  private ApiLoad() {}

  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("--auth")) {
      compareAuth(args[1].replaceAll("/$", ""), args[2].replaceAll("/$", ""), args[3],
          args.length > 4 ? Double.parseDouble(args[4]) : 3);
      return;
    }
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

  /**
   * A cheap authenticated read (GET a branch) and commits on the clients' own branches, 8 clients,
   * on a server with STRATA_AUTH=none and one with token (through a writer token created for the
   * repository, so the lookup and its cache are measured, not the in-memory bootstrap token). Five
   * rounds alternate which server goes first; rates are medians of the rounds, the ratio the median
   * of the rounds' ratios.
   */
  private static void compareAuth(String noneBase, String tokenBase, String adminToken, double seconds)
      throws Exception {
    int clients = 8;
    String repo = "bench-auth-" + Long.toString(System.nanoTime(), 36);
    String[] apis = new String[2];
    String[] tokens = new String[2];
    for (int s = 0; s < 2; s++) {
      String base = s == 0 ? noneBase : tokenBase;
      token = s == 0 ? null : adminToken;
      expect(send("POST", base + "/api/v1/repositories", "{\"name\":\"" + repo + "\"}"), 201);
      if (s == 1) {
        String created = expect(send("POST", base + "/api/v1/tokens", "{\"name\":\"" + repo
            + "-writer\",\"role\":\"writer\",\"repositories\":[\"" + repo + "\"]}"), 201);
        Matcher m = Pattern.compile("\"token\":\"([^\"]+)\"").matcher(created);
        tokens[s] = m.find() ? m.group(1) : null;
      }
      token = tokens[s];
      apis[s] = base + "/api/v1/repositories/" + repo;
      for (int c = 0; c < clients; c++) {
        expect(send("POST", apis[s] + "/branches", "{\"name\":\"a" + c + "\"}"), 201);
      }
      String api = apis[s];
      run(clients, 2, (client, i) -> expect(send("GET", api + "/branches/main", null), 200));
      run(clients, 2, (client, i) -> expect(send("POST", api + "/branches/a" + client + "/commits",
          "{\"message\":\"warm\",\"allow_empty\":true}"), 201));
    }
    // Rounds alternate which server goes first; the ratio is the median of the rounds' ratios (a
    // shared machine's load drifts between rounds more than within one).
    int rounds = 5;
    List<List<Double>> reads = List.of(new ArrayList<>(), new ArrayList<>());
    List<List<Double>> commits = List.of(new ArrayList<>(), new ArrayList<>());
    for (int round = 0; round < rounds; round++) {
      for (int k = 0; k < 2; k++) {
        int s = (round + k) % 2;
        token = tokens[s];
        String api = apis[s];
        reads.get(s).add(run(clients, seconds, (client, i) -> expect(send("GET", api + "/branches/main", null), 200)).rate());
      }
      for (int k = 0; k < 2; k++) {
        int s = (round + k) % 2;
        token = tokens[s];
        String api = apis[s];
        commits.get(s).add(run(clients, seconds, (client, i) -> expect(send("POST", api + "/branches/a" + client
            + "/commits", "{\"message\":\"c " + i + "\",\"allow_empty\":true}"), 201)).rate());
      }
    }
    System.out.printf(Locale.ROOT, "%-26s %8s %14s %15s %7s%n", "operation", "clients", "auth none/s", "auth token/s", "ratio");
    for (var row : List.of(Map.entry("GET branch (cheap read)", reads), Map.entry("commit (own branch)", commits))) {
      List<Double> ratios = new ArrayList<>();
      for (int r = 0; r < rounds; r++) {
        ratios.add(row.getValue().get(1).get(r) / row.getValue().get(0).get(r));
      }
      System.out.printf(Locale.ROOT, "%-26s %8d %14.0f %15.0f %7.2f%n", row.getKey(), clients,
          median(row.getValue().get(0)), median(row.getValue().get(1)), median(ratios));
    }
  }

  private static double median(List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    return sorted.get(sorted.size() / 2);
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
    double rate() {
      return latencies.size() / seconds;
    }

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
    String bearer = token;
    if (bearer != null) {
      b.header("Authorization", "Bearer " + bearer);
    }
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
