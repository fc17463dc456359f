package io.strata.benchmarks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;

/**
 * The time from a source commit to its promotion merged (issue 30): a table of {@code rows} rows on a packaged
 * server, a policy whose path from {@code dev} into a protected {@code main} requires three SQL checks (a row count
 * within bounds, no NULLs in a column, no negative value), a commit on dev changing 1 000 rows, then the request
 * opened (its preview made), the checks run on the preview, and the merge through the gate — each round on a
 * fresh commit. Prints each step's time, the checks' own time (their duration_ms) and what is left when they are
 * taken away: the promotion's own cost, which the issue bounds at 2 s.
 *
 * <p>Usage: {@code PromotionBench <server jar> [rows, default 1000000] [rounds, default 5]}.
 */
public final class PromotionBench {
  private static final ObjectMapper JSON = new ObjectMapper();

  private PromotionBench() {}

  public static void main(String[] args) throws Exception {
    String jar = args[0];
    int rows = args.length > 1 ? Integer.parseInt(args[1]) : 1_000_000;
    int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 5;
    try (BenchServer server = BenchServer.start(jar, "promotionbench")) {
      String api = "/api/v1/repositories/shop";
      server.trackedTable("shop", "orders", rows);
      server.send("POST", api + "/branches", "{\"name\":\"dev\"}", 201);
      server.send("PUT", api + "/promotion-policy", """
          {"version": 1, "protected_branches": ["main"],
           "paths": [{"source": "dev", "target": "main",
                      "required_checks": ["row_count", "no_null_pad", "no_negative_v"]}],
           "checks": [{"name": "row_count", "sql": "select count(*) from orders", "expect": {"min": 1}},
                      {"name": "no_null_pad", "sql": "select id from orders where pad is null", "expect": "no_rows"},
                      {"name": "no_negative_v", "sql": "select id from orders where v < 0", "expect": "no_rows"}]}
          """, 200);
      System.out.printf("promotion of dev into main, %,d rows, three SQL checks, %d rounds%n", rows, rounds);
      List<double[]> all = new ArrayList<>();
      for (int round = 1; round <= rounds; round++) {
        server.exec("update strata_dev.orders set v = v + 1 where id % " + Math.max(1, rows / 1000) + " = 0");
        long t0 = System.nanoTime();
        server.send("POST", api + "/branches/dev/commits", "{\"message\":\"round " + round + "\",\"all\":true}", 201);
        long t1 = System.nanoTime();
        JsonNode opened = JSON.readTree(server.send("POST", api + "/promotions",
            "{\"source\":\"dev\",\"target\":\"main\"}", 201));
        int number = opened.get("number").asInt();
        long t2 = System.nanoTime();
        JsonNode checked = JSON.readTree(server.send("POST", api + "/promotions/" + number + "/checks/run", null, 200));
        long t3 = System.nanoTime();
        if (!checked.get("state").asText().equals("approved")) {
          throw new IllegalStateException("not approved: " + checked);
        }
        server.send("POST", api + "/promotions/" + number + "/merge", null, 200);
        long t4 = System.nanoTime();
        double checks = 0;
        for (JsonNode c : checked.get("checks")) {
          checks += c.get("duration_ms").asDouble();
        }
        double total = (t4 - t1) / 1e6;
        double[] r = {(t1 - t0) / 1e6, (t2 - t1) / 1e6, (t3 - t2) / 1e6, (t4 - t3) / 1e6, total, checks, total - checks};
        all.add(r);
        System.out.printf("round %d: commit %.0f ms; open (preview) %.0f ms, checks/run %.0f ms, merge %.0f ms:"
            + " from the commit to merged %.0f ms, the checks' own %.0f ms, the rest %.0f ms%n", round, r[0], r[1], r[2],
            r[3], r[4], r[5], r[6]);
      }
      double[] median = new double[7];
      for (int i = 0; i < 7; i++) {
        final int k = i;
        List<Double> v = all.stream().map(r -> r[k]).sorted().toList();
        median[i] = v.get(v.size() / 2);
      }
      System.out.printf("median: open %.0f ms, checks/run %.0f ms, merge %.0f ms; commit to merged %.0f ms, of which"
          + " the checks' own %.0f ms and the rest %.0f ms (target: rest <= 2000 ms)%n", median[1], median[2],
          median[3], median[4], median[5], median[6]);
    }
  }
}
