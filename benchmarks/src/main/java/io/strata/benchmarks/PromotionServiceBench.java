package io.strata.benchmarks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The promotion service at rest and at work (issue 30): {@code pipelines} repositories, each with a policy whose
 * path auto-merges development into a protected staging, on a packaged server; the packaged promotion service
 * started against it. Measured: the service's (and the server's) CPU time over a window in which nothing happens
 * (the feed's heartbeats only), the same over a window holding a full resync of every repository, and the time
 * from a commit on one repository's development to its promotion merged by the service (the feed's latency, the
 * service's reading and its calls), over several rounds.
 *
 * <p>Usage: {@code PromotionServiceBench <server jar> <service jar> [pipelines, default 100] [window s, default 60]}.
 */
public final class PromotionServiceBench {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final long TICKS = 100; // USER_HZ: /proc's clock ticks per second on Linux

  private PromotionServiceBench() {}

  public static void main(String[] args) throws Exception {
    String serverJar = args[0];
    String serviceJar = args[1];
    int pipelines = args.length > 2 ? Integer.parseInt(args[2]) : 100;
    int window = args.length > 3 ? Integer.parseInt(args[3]) : 60;
    try (BenchServer server = BenchServer.start(serverJar, "promotionservicebench")) {
      for (int i = 0; i < pipelines; i++) {
        String api = "/api/v1/repositories/p" + i;
        server.send("POST", "/api/v1/repositories", "{\"name\":\"p" + i + "\"}", 201);
        server.send("POST", api + "/branches", "{\"name\":\"staging\"}", 201);
        server.send("POST", api + "/branches", "{\"name\":\"development\"}", 201);
        server.send("PUT", api + "/promotion-policy", """
            {"version": 1, "protected_branches": ["staging"],
             "paths": [{"source": "development", "target": "staging", "auto_merge": true, "tag": "staging-{seq}"}]}
            """, 200);
      }
      System.out.printf("%d pipelines (repositories with a policy, development -> staging, auto-merge)%n", pipelines);
      for (String resync : List.of("5m", "20s")) {
        Path log = server.dir().resolve("promotion-" + resync + ".log");
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-jar", serviceJar).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("STRATA_URL", server.base);
        pb.environment().put("STRATA_PROMOTION_PORT", "0");
        pb.environment().put("STRATA_PROMOTION_RESYNC", resync);
        Process service = pb.start();
        try {
          awaitLog(log, "following the event feed");
          Thread.sleep(10_000); // the first pass over every repository (on connecting), then rest
          long serviceBefore = cpuTicks(service.pid());
          long serverBefore = cpuTicks(server.pid());
          long t0 = System.nanoTime();
          Thread.sleep(window * 1000L);
          double seconds = (System.nanoTime() - t0) / 1e9;
          double serviceCpu = (cpuTicks(service.pid()) - serviceBefore) / (double) TICKS;
          double serverCpu = (cpuTicks(server.pid()) - serverBefore) / (double) TICKS;
          System.out.printf("resync every %s, %.0f s idle: the service used %.2f s of CPU (%.2f %% of one core),"
              + " the server %.2f s (%.2f %%)%n", resync, seconds, serviceCpu, 100 * serviceCpu / seconds, serverCpu,
              100 * serverCpu / seconds);
          if (resync.equals("5m")) {
            latency(server);
          }
        } finally {
          service.destroy();
          service.waitFor();
        }
      }
    }
  }

  /** Commits on p0's development and waits for the service to merge it into staging; several rounds. */
  private static void latency(BenchServer server) throws Exception {
    String api = "/api/v1/repositories/p0";
    List<Double> times = new ArrayList<>();
    for (int round = 1; round <= 5; round++) {
      long t0 = System.nanoTime();
      server.send("POST", api + "/branches/development/commits",
          "{\"message\":\"round " + round + "\",\"allow_empty\":true}", 201);
      String head = JSON.readTree(server.send("GET", api + "/branches/development", null, 200)).get("head").asText();
      while (true) {
        JsonNode page = JSON.readTree(server.send("GET", api + "/promotions?limit=1", null, 200));
        JsonNode p = page.get("items").size() == 0 ? null : page.get("items").get(0);
        if (p != null && head.equals(p.path("source_commit").asText()) && p.get("state").asText().equals("merged")) {
          break;
        }
        if (System.nanoTime() - t0 > 60_000_000_000L) {
          throw new IllegalStateException("not promoted in 60 s: " + p);
        }
        Thread.sleep(10);
      }
      double ms = (System.nanoTime() - t0) / 1e6;
      times.add(ms);
      System.out.printf("round %d: commit on development to merged into staging by the service: %.0f ms%n", round, ms);
    }
    List<Double> sorted = times.stream().sorted().toList();
    System.out.printf("median commit to merged by the service: %.0f ms%n", sorted.get(sorted.size() / 2));
  }

  private static void awaitLog(Path log, String line) throws Exception {
    for (int i = 0; i < 600; i++) {
      if (Files.exists(log) && Files.readString(log).contains(line)) {
        return;
      }
      Thread.sleep(100);
    }
    throw new IllegalStateException("the promotion service did not start: " + Files.readString(log));
  }

  /** utime + stime of a process (/proc/<pid>/stat, fields 14 and 15), in clock ticks. */
  private static long cpuTicks(long pid) throws Exception {
    String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return Long.parseLong(f[11]) + Long.parseLong(f[12]);
  }
}
