package io.strata.benchmarks;

import static io.strata.benchmarks.QueryTiming.median;
import static io.strata.benchmarks.QueryTiming.timed;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * DataBench's merges and history rewriting (its {@code merges} and {@code history} subsets): each on the
 * large table vs a 10K-row one, side by side in one run.
 */
final class MergeBench {
  private final BenchServer server;
  private final int large;

  MergeBench(BenchServer server, int large) {
    this.server = server;
    this.large = large;
  }

  /**
   * Merges (issue 14): 1 000 changed rows on each side, no conflicts, into the large vs a 10K-row table
   * (alternating rounds, medians); 100 000 changed rows from a branch into the default branch, merge
   * and dry run; and the listing of 10 000 conflicts as an NDJSON stream.
   */
  void merges() throws Exception {
    String repos = "/api/v1/repositories";
    Map<String, Integer> sizes = Map.of("m_big", large, "m_small", 10_000);
    for (String t : List.of("m_big", "m_small")) {
      server.trackedTable(t, t, sizes.get(t));
    }
    Map<String, List<Double>> times = new java.util.HashMap<>();
    for (int round = 0; round < 7; round++) {
      for (String t : List.of("m_big", "m_small")) {
        String api = repos + "/" + t;
        int step = sizes.get(t) / 1000;
        String branch = "f" + round;
        server.send("POST", api + "/branches", "{\"name\":\"" + branch + "\"}", 201);
        server.exec("update strata_" + branch + "." + t + " set v = v + 1 where id % " + step + " = " + (2 * round % step));
        server.send("POST", api + "/branches/" + branch + "/commits", "{\"message\":\"theirs\",\"all\":true}", 201);
        server.exec("update public." + t + " set v = v + 1 where id % " + step + " = " + ((2 * round + 1) % step));
        server.send("POST", api + "/branches/main/commits", "{\"message\":\"ours\",\"all\":true}", 201);
        double ms = timed(() -> server.send("POST", api + "/branches/main/merge", "{\"source\":\"" + branch + "\"}", 200));
        if (round > 1) {
          times.computeIfAbsent(t, k -> new ArrayList<>()).add(ms);
        }
      }
    }
    double big = median(times.get("m_big"));
    double small = median(times.get("m_small"));
    System.out.printf(Locale.ROOT, "merge of 1 000 changed rows on each side, no conflicts, %,d-row vs 10K-row table:"
        + " %.1f vs %.1f ms, ratio %.2f (target <= 1.3)%n", large, big, small, big / small);

    // 100 000 changed rows from a branch into the default branch (not a fast-forward: main moved too)
    String api = repos + "/m_big";
    int rows = server.bulkBranch("m_big", "m_big", large);
    double dry = timed(() -> server.send("POST", api + "/branches/main/merge", "{\"source\":\"bulk\",\"dry_run\":true}", 200));
    double merge = timed(() -> server.send("POST", api + "/branches/main/merge", "{\"source\":\"bulk\"}", 200));
    System.out.printf(Locale.ROOT, "merge of %,d changed rows from a branch into the default branch: %.0f ms, %,.0f"
        + " rows/s (target >= 50 000); as a dry run: %.0f ms, %,.0f rows/s (target: no slower than the merge)%n",
        rows, merge, rows / (merge / 1000), dry, rows / (dry / 1000));

    // 10 000 conflicts, listed as a stream
    String small10k = repos + "/m_small";
    server.send("POST", small10k + "/branches", "{\"name\":\"clash\"}", 201);
    server.exec("update strata_clash.m_small set v = v + 1000000");
    server.send("POST", small10k + "/branches/clash/commits", "{\"message\":\"theirs\",\"all\":true}", 201);
    server.exec("update public.m_small set v = v + 2000000");
    server.send("POST", small10k + "/branches/main/commits", "{\"message\":\"ours\",\"all\":true}", 201);
    double stop = timed(() -> server.send("POST", small10k + "/branches/main/merge", "{\"source\":\"clash\"}", 409));
    long[] lines = {0};
    double list = timed(() -> {
      HttpResponse<java.io.InputStream> stream = BenchServer.HTTP.send(HttpRequest.newBuilder(server.uri(small10k
          + "/branches/main/merge")).header("Accept", "application/x-ndjson").build(), HttpResponse.BodyHandlers.ofInputStream());
      try (var reader = new java.io.BufferedReader(new java.io.InputStreamReader(stream.body(),
          java.nio.charset.StandardCharsets.UTF_8), 1 << 16)) {
        while (reader.readLine() != null) {
          lines[0]++;
        }
      }
    });
    if (lines[0] != 10_000) {
      throw new IllegalStateException("listed " + lines[0] + " conflicts of 10 000");
    }
    System.out.printf(Locale.ROOT, "10 000 conflicts: the merge that finds them %.0f ms; listing them as NDJSON %.0f ms"
        + " (streamed through a cursor, 500 at a time)%n", stop, list);
  }

  /**
   * History rewriting (issue 15): the revert of a 1 000-row commit, and the hard reset that drops that
   * revert again (1 000 rows back), on the default branch of the large vs a 10K-row table (alternating
   * rounds, medians).
   */
  void history() throws Exception {
    String repos = "/api/v1/repositories";
    Map<String, Integer> sizes = Map.of("h_big", large, "h_small", 10_000);
    for (String t : List.of("h_big", "h_small")) {
      server.trackedTable(t, t, sizes.get(t));
    }
    Map<String, List<Double>> reverts = new java.util.HashMap<>();
    Map<String, List<Double>> resets = new java.util.HashMap<>();
    for (int round = 0; round < 7; round++) {
      for (String t : List.of("h_big", "h_small")) {
        String api = repos + "/" + t;
        int step = sizes.get(t) / 1000;
        server.exec("update public." + t + " set v = v + 1 where id % " + step + " = " + (round % step));
        server.send("POST", api + "/branches/main/commits", "{\"message\":\"1000 rows\",\"all\":true}", 201);
        double revert = timed(() -> server.send("POST", api + "/branches/main/revert", "{\"commit\":\"main\"}", 201));
        double reset = timed(() -> server.send("POST", api + "/branches/main/reset", "{\"to\":\"main~1\",\"mode\":\"hard\"}",
            200));
        if (round > 1) {
          reverts.computeIfAbsent(t, k -> new ArrayList<>()).add(revert);
          resets.computeIfAbsent(t, k -> new ArrayList<>()).add(reset);
        }
      }
    }
    for (var figure : List.of(Map.entry("revert", reverts), Map.entry("hard reset", resets))) {
      double big = median(figure.getValue().get("h_big"));
      double small = median(figure.getValue().get("h_small"));
      System.out.printf(Locale.ROOT, "%s of a 1 000-row commit on the default branch, %,d-row vs 10K-row table:"
          + " %.1f vs %.1f ms, ratio %.2f (target <= 1.3)%n", figure.getKey(), large, big, small, big / small);
    }

    // a rebase of 10 commits of 1 000 rows each onto a default branch that moved on
    String api = repos + "/h_big";
    server.send("POST", api + "/branches", "{\"name\":\"topic\"}", 201);
    int step = large / 1000;
    for (int c = 0; c < 10; c++) { // modulo step: a table under 110K rows still gets 10 distinct sets of rows
      server.exec("update strata_topic.h_big set pad = 'topic " + c + "' where id % " + step + " = " + (100 + c) % step);
      server.send("POST", api + "/branches/topic/commits", "{\"message\":\"topic " + c + "\",\"all\":true}", 201);
    }
    server.exec("update public.h_big set v = v + 1 where id % " + step + " = " + step / 2);
    server.send("POST", api + "/branches/main/commits", "{\"message\":\"main moves\",\"all\":true}", 201);
    double rebase = timed(() -> server.send("POST", api + "/branches/topic/rebase", "{\"onto\":\"main\"}", 200));
    System.out.printf(Locale.ROOT, "rebase of 10 commits of 1 000 rows each on a %,d-row table: %.0f ms (%.0f ms a"
        + " commit)%n", large, rebase, rebase / 10);
  }
}
