package io.strata.benchmarks;

import static io.strata.benchmarks.QueryTiming.median;
import static io.strata.benchmarks.QueryTiming.timed;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What the atomicity protocol of a command's data work costs, side by side in one run: the same
 * operations on a table in the server's own database tracked as {@code local} (the data work joins the
 * append's transaction) and on a table in the same database tracked through a registered storage
 * (the cross-storage protocol: an intent committed first, the data work in the storage's own
 * transaction with recovery sidecars, the append deleting the intent, the sidecars dropped after).
 * Same PostgreSQL, same table shape and size, rounds alternated, medians: the ratio is what running
 * every command under the second protocol would cost. Operations: a commit of 1 000 rows on the
 * default branch, and a merge of a branch with 10 000 changed rows into it (a new branch each round).
 *
 * <p>Usage: {@code ProtocolBench <server jar> [rows, default 1000000] [rounds, default 9]}.
 */
public final class ProtocolBench {
  private ProtocolBench() {}

  public static void main(String[] args) throws Exception {
    String jar = args[0];
    int rows = args.length > 1 ? Integer.parseInt(args[1]) : 1_000_000;
    int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 9;
    try (BenchServer server = BenchServer.start(jar, "protocolbench")) {
      server.send("POST", "/api/v1/repositories", "{\"name\":\"p_local\"}", 201);
      server.send("POST", "/api/v1/repositories", "{\"name\":\"p_other\"}", 201);
      server.sameDatabaseAsStorage("p_other", "same");
      server.trackedTableIn("p_local", "local", "t_local", rows);
      server.trackedTableIn("p_other", "same", "t_other", rows);
      Map<String, String> tables = new LinkedHashMap<>();
      tables.put("p_local", "t_local");
      tables.put("p_other", "t_other");
      Map<String, List<Double>> commits = new LinkedHashMap<>();
      Map<String, List<Double>> merges = new LinkedHashMap<>();
      int every = rows / 1000;
      int everyMerged = rows / 10_000;
      for (int round = -1; round < rounds; round++) { // round -1 warms up
        for (Map.Entry<String, String> e : tables.entrySet()) {
          String api = "/api/v1/repositories/" + e.getKey();
          String t = e.getValue();
          int r = round + 1;
          server.exec("update public." + t + " set v = v + 1 where id % " + every + " = " + r % every);
          double commit = timed(() -> server.send("POST", api + "/branches/main/commits",
              "{\"message\":\"1000 rows\",\"all\":true}", 201));
          String branch = "b" + r;
          server.send("POST", api + "/branches", "{\"name\":\"" + branch + "\"}", 201);
          server.exec("update strata_" + branch + "." + t + " set pad = 'r" + r + "' where id % " + everyMerged
              + " = " + (r + 7) % everyMerged);
          server.send("POST", api + "/branches/" + branch + "/commits", "{\"message\":\"10k\",\"all\":true}", 201);
          server.exec("update public." + t + " set v = v - 1 where id = " + (r + 3)); // main moves on: a real merge
          server.send("POST", api + "/branches/main/commits", "{\"message\":\"moves\",\"all\":true}", 201);
          double merge = timed(() -> server.send("POST", api + "/branches/main/merge", "{\"source\":\"" + branch
              + "\"}", 200));
          server.send("DELETE", api + "/branches/" + branch, null, 204);
          if (round >= 0) {
            commits.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(commit);
            merges.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(merge);
          }
        }
      }
      print("commit of 1 000 rows on the default branch", rows, commits);
      print("merge of a branch with 10 000 changed rows into the default branch", rows, merges);
    }
  }

  private static void print(String what, int rows, Map<String, List<Double>> times) {
    double local = median(times.get("p_local"));
    double other = median(times.get("p_other"));
    System.out.printf(Locale.ROOT, "%s, %,d-row table: in the append's transaction %.1f ms, under the cross-storage"
        + " protocol %.1f ms, ratio %.2f%n", what, rows, local, other, other / local);
  }
}
