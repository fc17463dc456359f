package io.strata.benchmarks;

import static io.strata.benchmarks.QueryTiming.median;
import static io.strata.benchmarks.QueryTiming.pointRatio;
import static io.strata.benchmarks.QueryTiming.ratio;
import static io.strata.benchmarks.QueryTiming.timed;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Row-data figures, measured side by side in one run: capture-trigger write amplification (UPDATE
 * throughput on a tracked table vs an untracked copy), the commit of 10 000 staged changes, and diff /
 * time-travel reads of 1 000 changed rows on a 1M-row table vs a 10K-row one.
 *
 * <p>Usage: {@code DataBench <server jar> <rows of the large table>}. Starts its own PostgreSQL (fsync
 * on) and the server on it, fills the tables over JDBC, drives the server over HTTP.
 */
public final class DataBench {
  /** The server measured (one per run); {@code base} arguments are paths from its base URL. */
  private static BenchServer server;

  private DataBench() {}

  public static void main(String[] args) throws Exception {
    String jar = args[0];
    int large = args.length > 1 ? Integer.parseInt(args[1]) : 1_000_000;
    String only = args.length > 2 ? args[2] : "";
    try (BenchServer started = BenchServer.start(jar, "databench")) {
      server = started;
      Connection db = started.db();
      if (only.isEmpty()) {
        run(db, "", large);
      }
      if (only.isEmpty() || only.equals("merges")) {
        new MergeBench(started, large).merges();
      }
      if (only.isEmpty() || only.equals("history")) {
        new MergeBench(started, large).history();
      }
    }
  }

  private static void run(Connection db, String base, int large) throws Exception {
    exec(db, "create table public.big (id int primary key, v int not null, pad text)");
    exec(db, "insert into public.big select g, g, md5(g::text) from generate_series(1, " + large + ") g");
    exec(db, "create table public.small (id int primary key, v int not null, pad text)");
    exec(db, "insert into public.small select g, g, md5(g::text) from generate_series(1, 10000) g");
    exec(db, "create table public.plain (id int primary key, v int not null, pad text)");
    exec(db, "insert into public.plain select g, g, md5(g::text) from generate_series(1, 200000) g");
    exec(db, "create table public.tracked (like public.plain including all)");
    exec(db, "insert into public.tracked select * from public.plain");
    exec(db, "create table public.tiny (id int primary key, v int not null, pad text)");
    exec(db, "insert into public.tiny select g, g, md5(g::text) from generate_series(1, 1000) g");
    exec(db, "vacuum analyze");
    branchCreation(base, large);
    send("POST", base + "/api/v1/repositories", "{\"name\":\"bench\"}", 201);
    String api = base + "/api/v1/repositories/bench";
    for (String t : List.of("big", "small", "tracked")) {
      long t0 = System.nanoTime();
      send("POST", api + "/tables", "{\"name\":\"" + t + "\",\"location\":\"postgresql://local/public." + t + "\"}", 201);
      if (t.equals("big")) {
        System.out.printf(Locale.ROOT, "track a %,d-row table (catalog, count, content hash, triggers): %.0f ms%n",
            large, (System.nanoTime() - t0) / 1e6);
      }
    }

    // capture-trigger write amplification: 1 000-row UPDATE statements, tracked vs untracked, alternated
    writeAmplification(db, "0 branches", 0.7);
    send("DELETE", api + "/branches/main/working", "{\"tables\":[\"tracked\"]}", 204);

    // commit of 10 000 staged changes
    exec(db, "update public.big set v = v + 1 where id <= 10000");
    send("POST", api + "/branches/main/stage", "{}", 200);
    long t0 = System.nanoTime();
    send("POST", api + "/branches/main/commits", "{\"message\":\"10k\"}", 201);
    System.out.printf(Locale.ROOT, "commit of 10 000 staged changes: %.0f ms%n", (System.nanoTime() - t0) / 1e6);

    // diff and time travel of 1 000 changed rows: large table vs 10K table
    String before = head(api);
    exec(db, "update public.big set v = -v where id % " + Math.max(1, large / 1000) + " = 0");
    exec(db, "update public.small set v = -v where id % 10 = 0");
    send("POST", api + "/branches/main/commits", "{\"message\":\"1k each\",\"all\":true}", 201);
    String after = head(api);
    // the two tables alternate in every round, so warm-up and caching favour neither
    Map<String, List<double[]>> samples = new java.util.HashMap<>();
    for (int round = 0; round < 9; round++) {
      for (String t : List.of("big", "small")) {
        double[] sample = new double[3];
        sample[0] = timed(() -> send("GET", api + "/diff?from=" + before + "&to=" + after + "&table=" + t + "&rows=true", null, 200));
        sample[1] = timed(() -> send("GET", api + "/tables/" + t + "/rows?ref=" + before + "&limit=1000", null, 200));
        // a point read takes ~10 ms: the median of a burst of them, so one stall does not decide it
        List<Double> reads = new ArrayList<>();
        for (int i = 0; i < 9; i++) {
          reads.add(timed(() -> send("GET", api + "/tables/" + t + "/rows/" + (t.equals("big") ? large / 2 : 5000)
              + "?ref=" + before, null, 200)));
        }
        sample[2] = median(reads);
        if (round > 1) {
          samples.computeIfAbsent(t, k -> new ArrayList<>()).add(sample);
        }
      }
    }
    for (String t : List.of("big", "small")) {
      double[] m = new double[3];
      for (int i = 0; i < 3; i++) {
        int index = i;
        m[i] = median(samples.get(t).stream().map(x -> x[index]).toList());
      }
      System.out.printf(Locale.ROOT, "%-5s (%,9d rows): diff of 1 000 changed rows %.1f ms; time-travel page of 1 000 rows"
          + " %.1f ms; time-travel point read %.1f ms%n", t, t.equals("big") ? large : 10000, m[0], m[1], m[2]);
      RESULTS.add(m);
    }
    // NDJSON read of the whole large table, at its last commit: the median of three reads
    List<Double> rates = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      long lines = 0;
      long start = System.nanoTime();
      HttpResponse<java.io.InputStream> stream = BenchServer.HTTP.send(HttpRequest.newBuilder(server.uri(api + "/tables/big/rows"))
          .header("Accept", "application/x-ndjson").build(), HttpResponse.BodyHandlers.ofInputStream());
      try (var reader = new java.io.BufferedReader(new java.io.InputStreamReader(stream.body(),
          java.nio.charset.StandardCharsets.UTF_8), 1 << 16)) {
        while (reader.readLine() != null) {
          lines++;
        }
      }
      double secs = (System.nanoTime() - start) / 1e9;
      if (lines != large) {
        throw new IllegalStateException("NDJSON read " + lines + " rows of " + large);
      }
      rates.add(lines / secs);
    }
    System.out.printf(Locale.ROOT, "NDJSON read of the %,d-row table through the REST API: %,.0f rows/s (median of %s;"
        + " target >= 300 000)%n", large, median(rates), rates.stream().map(r -> String.format(Locale.ROOT, "%,.0f", r))
        .toList());
    System.out.printf(Locale.ROOT, "ratios %,d-row vs 10K-row table: diff %.2f, time-travel page %.2f, point read %.2f"
        + " (target <= 1.3)%n", large, RESULTS.get(0)[0] / RESULTS.get(1)[0], RESULTS.get(0)[1] / RESULTS.get(1)[1],
        RESULTS.get(0)[2] / RESULTS.get(1)[2]);

    viewScans(db, api, large);
    bulkLoad(api);

    // write amplification with 10 live branches: every first change of a key is preserved in 10 overlays
    for (int i = 0; i < 10; i++) {
      send("POST", api + "/branches", "{\"name\":\"b" + i + "\"}", 201);
    }
    writeAmplification(db, "10 branches", 0.5);
  }

  /**
   * UPDATE throughput on the tracked table vs its untracked copy in alternating 2-second rounds; the
   * ratio is the median of the rounds' ratios, as the untracked baseline itself swings between rounds
   * (checkpoints, WAL) by more than the effect measured.
   */
  private static void writeAmplification(Connection db, String label, double target) throws Exception {
    List<Double> plain = new ArrayList<>();
    List<Double> tracked = new ArrayList<>();
    List<Double> ratios = new ArrayList<>();
    for (int round = 0; round < 5; round++) {
      plain.add(updates(db, "plain", 2.0));
      tracked.add(updates(db, "tracked", 2.0));
      ratios.add(tracked.get(round) / plain.get(round));
    }
    System.out.printf(Locale.ROOT, "UPDATE throughput, tracked vs untracked (%s): %.0f vs %.0f rows/s (medians),"
        + " ratio %.2f (median of 5 rounds %s; target >= %.1f)%n", label, median(tracked), median(plain),
        median(ratios), ratios.stream().map(r -> String.format(Locale.ROOT, "%.2f", r)).toList(), target);
  }

  /** Branch creation on a repository with a large table vs one with a 1 000-row table, alternated. */
  private static void branchCreation(String base, int large) throws Exception {
    String repos = base + "/api/v1/repositories";
    send("POST", repos, "{\"name\":\"largerepo\"}", 201);
    send("POST", repos, "{\"name\":\"smallrepo\"}", 201);
    send("POST", repos + "/largerepo/tables", "{\"name\":\"t\",\"location\":\"postgresql://local/public.big\"}", 201);
    send("POST", repos + "/smallrepo/tables", "{\"name\":\"t\",\"location\":\"postgresql://local/public.tiny\"}", 201);
    List<Double> big = new ArrayList<>();
    List<Double> tiny = new ArrayList<>();
    for (int i = 0; i < 15; i++) {
      for (String repo : List.of("largerepo", "smallrepo")) {
        long t0 = System.nanoTime();
        send("POST", repos + "/" + repo + "/branches", "{\"name\":\"x" + i + "\"}", 201);
        (repo.equals("largerepo") ? big : tiny).add((System.nanoTime() - t0) / 1e6);
      }
    }
    double b = median(big);
    double t = median(tiny);
    System.out.printf(Locale.ROOT, "branch creation (overlay, working log, view, capture), %,d-row vs 1 000-row table:"
        + " %.1f vs %.1f ms, ratio %.2f (target <= 1.2)%n", large, b, t, b / t);
    send("DELETE", repos + "/largerepo?force=true", null, 204);
    send("DELETE", repos + "/smallrepo?force=true", null, 204);
  }

  /** SQL through a branch's view with a 1 000-row and a 100 000-row overlay vs the base table. */
  private static void viewScans(Connection db, String api, int large) throws Exception {
    for (int overlay : List.of(1000, Math.min(100_000, large))) { // a table smaller than 100K: every row
      String branch = "scan" + overlay;
      send("POST", api + "/branches", "{\"name\":\"" + branch + "\"}", 201);
      exec(db, "update strata_" + branch + ".big set v = v + 1 where id % " + (large / overlay) + " = 0");
      exec(db, "vacuum analyze");
      String view = "strata_" + branch + ".big";
      // a full scan as Horizon Epoch measures it: every row to the client; then an aggregate over the
      // scan, where the per-row anti-join probe is not hidden by the transfer
      double scan = ratio(db, "select * from " + view, "select * from public.big", 15);
      double sum = ratio(db, "select sum(v), count(*) from " + view, "select sum(v), count(*) from public.big", 15);
      double group = ratio(db, "select v % 100, count(*), max(pad) from " + view + " group by 1",
          "select v % 100, count(*), max(pad) from public.big group by 1", 15);
      double point = pointRatio(db, view, "public.big", large);
      System.out.printf(Locale.ROOT, "branch view with a %,d-row overlay vs the base table: full scan (SELECT *) %.3f"
          + " (target %s), sum/count over the scan %.3f, GROUP BY %.3f (target <= 1.08), point lookup %.3f"
          + " (target <= 1.15)%n", overlay, scan, overlay == 1000 ? "<= 1.03" : "<= 1.15", sum, group, point);
      send("DELETE", api + "/branches/" + branch + "?force=true", null, 204);
    }
  }

  /**
   * 100 000 new rows in one NDJSON request through the REST batch endpoint, into a branch and into
   * main, alternated over three rounds after a warm-up one: the median of each, as one request's time
   * swings with the database's checkpoints by more than the effect measured.
   */
  private static void bulkLoad(String api) throws Exception {
    send("POST", api + "/branches", "{\"name\":\"load\"}", 201);
    Map<String, List<Double>> rates = new java.util.LinkedHashMap<>();
    // round 0 warms the server's JIT up and is not counted: a long-running server is warm
    for (int round = 0; round < 4; round++) {
      for (String branch : List.of("load", "main")) {
        StringBuilder body = new StringBuilder();
        int from = (branch.equals("load") ? 10_000_000 : 20_000_000) + round * 100_000;
        for (int i = from; i < from + 100_000; i++) {
          body.append("{\"op\":\"upsert\",\"row\":{\"id\":").append(i).append(",\"v\":").append(i % 1000)
              .append(",\"pad\":\"").append(Integer.toHexString(i * 31)).append("\"}}\n");
        }
        long t0 = System.nanoTime();
        HttpResponse<String> r = BenchServer.HTTP.send(HttpRequest.newBuilder(server.uri(api + "/branches/" + branch
                + "/tables/big/rows:batch")).timeout(Duration.ofMinutes(5)).header("Content-Type", "application/x-ndjson")
            .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build(), HttpResponse.BodyHandlers.ofString());
        double secs = (System.nanoTime() - t0) / 1e9;
        if (r.statusCode() != 200) {
          throw new IllegalStateException("bulk load -> " + r.statusCode() + " " + r.body());
        }
        if (round > 0) {
          rates.computeIfAbsent(branch, b -> new ArrayList<>()).add(100_000 / secs);
        }
      }
    }
    rates.forEach((branch, values) -> System.out.printf(Locale.ROOT, "REST bulk load of 100 000 rows (one NDJSON batch)"
        + " into %s: %,.0f rows/s (median of %s; target >= 100 000)%n", branch.equals("load") ? "a branch"
        : "the default branch", median(values), values.stream().map(v -> String.format(Locale.ROOT, "%,.0f", v)).toList()));
    send("DELETE", api + "/branches/load?force=true", null, 204);
    send("DELETE", api + "/branches/main/working", "{\"tables\":[\"big\"]}", 204);
  }


  private static final List<double[]> RESULTS = new ArrayList<>();

  /** Rows updated per second by 1 000-row UPDATE statements over {@code seconds}. */
  private static double updates(Connection db, String table, double seconds) throws Exception {
    long rows = 0;
    long start = System.nanoTime();
    long end = start + (long) (seconds * 1e9);
    int from = 1;
    try (Statement st = db.createStatement()) {
      while (System.nanoTime() < end) {
        rows += st.executeUpdate("update public." + table + " set v = v + 1 where id between " + from + " and "
            + (from + 999));
        from = from >= 199000 ? 1 : from + 1000;
      }
    }
    return rows / ((System.nanoTime() - start) / 1e9);
  }

  private static String head(String api) throws Exception {
    Matcher m = Pattern.compile("\"head\":\"([0-9a-f]{64})\"").matcher(send("GET", api + "/branches/main", null, 200));
    if (!m.find()) {
      throw new IllegalStateException("no head");
    }
    return m.group(1);
  }

  private static void exec(Connection db, String sql) throws Exception {
    try (Statement st = db.createStatement()) {
      st.execute(sql);
    }
  }

  /** A request to the server ({@code path} from its base); fails unless it answers {@code expected}. */
  private static String send(String method, String path, String body, int expected) throws Exception {
    return server.send(method, path, body, expected);
  }

}
