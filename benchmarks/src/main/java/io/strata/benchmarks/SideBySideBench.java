package io.strata.benchmarks;

import static io.strata.benchmarks.QueryTiming.median;
import static io.strata.benchmarks.QueryTiming.timed;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;

/**
 * Commands on one branch while another branch of the same repository does long data work (issue 28,
 * "short appends"): commits of 10 rows on branch {@code other} of a repository whose default branch is
 * merging 100 000 changed rows, against the same commits with nothing else running, in one run. A
 * repository that runs one command with data work at a time makes the commits wait for the merge. Each
 * round also times the UPDATE of 100 000 rows through a new branch's view that gives the merge its rows
 * (from round 1 on, the pre-image log holds the previous merge's 100 000 pre-images).
 *
 * <p>Usage: {@code SideBySideBench <server jar> [rows, default 1000000] [rounds, default 3]}.
 */
public final class SideBySideBench {
  private SideBySideBench() {}

  public static void main(String[] args) throws Exception {
    String jar = args[0];
    int rows = args.length > 1 ? Integer.parseInt(args[1]) : 1_000_000;
    int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 3;
    try (BenchServer server = BenchServer.start(jar, "sidebysidebench")) {
      String api = "/api/v1/repositories/s";
      server.trackedTable("s", "s", rows);
      server.send("POST", api + "/branches", "{\"name\":\"other\"}", 201);
      int[] n = {0};
      Commit commitOnOther = () -> {
        int k = n[0]++;
        server.exec("update strata_other.s set pad = 'o" + k + "' where id between " + (10 * k + 1) + " and "
            + (10 * k + 10));
        return timed(() -> server.send("POST", api + "/branches/other/commits", "{\"message\":\"10 rows\",\"all\":true}",
            201));
      };
      List<Double> quiet = new ArrayList<>();
      List<Double> during = new ArrayList<>();
      List<Double> merges = new ArrayList<>();
      for (int round = 0; round < rounds; round++) {
        for (int i = 0; i < 10; i++) {
          quiet.add(commitOnOther.run());
        }
        BenchServer.Bulk bulk = server.bulkBranch("s", "s", rows, "bulk" + round);
        System.out.printf(Locale.ROOT, "round %d: UPDATE of %,d rows through a new branch's view %.0f ms%n", round,
            bulk.rows(), bulk.updateMs());
        String body = "{\"source\":\"bulk" + round + "\"}";
        long t0 = System.nanoTime();
        CompletableFuture<Double> merge = CompletableFuture.supplyAsync(() -> {
          try {
            server.send("POST", api + "/branches/main/merge", body, 200);
            return (System.nanoTime() - t0) / 1e6;
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        });
        Thread.sleep(50);
        while (!merge.isDone()) {
          during.add(commitOnOther.run()); // a commit begun while the merge ran
        }
        merges.add(merge.get());
        System.out.printf(Locale.ROOT, "round %d: merge of %,d rows %.0f ms%n", round, bulk.rows(), merge.get());
      }
      Collections.sort(during);
      System.out.printf(Locale.ROOT, "commit of 10 rows on another branch of a %,d-row table: alone %.1f ms (median of"
          + " %d); begun while the default branch merges 100 000 rows (median merge %.0f ms): median %.1f ms, max"
          + " %.1f ms (%d commits)%n", rows, median(quiet), quiet.size(), median(merges),
          during.isEmpty() ? Double.NaN : median(during), during.isEmpty() ? Double.NaN : during.get(during.size() - 1),
          during.size());
    }
  }

  @FunctionalInterface
  private interface Commit {
    double run() throws Exception;
  }
}
