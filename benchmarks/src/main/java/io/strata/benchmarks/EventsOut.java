package io.strata.benchmarks;

import static io.strata.benchmarks.EventsLoad.expect;
import static io.strata.benchmarks.EventsLoad.pct;
import static io.strata.benchmarks.EventsLoad.send;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Events out of Strata (benchmarks/run-events.sh): {@code EventsOut <url-events-on> <url-events-off>
 * <kafka-port> <kafka-controller-port> <seconds>}. The first server relays to a Kafka broker on
 * {@code kafka-port} that is not running yet; the second has no relay and no webhooks. In order:
 * <ol>
 *   <li>a backlog of events built by 8 committing clients while the broker is down; then the broker
 *       starts (a child JVM) and the time the relay takes to send the backlog is measured by the
 *       broker's append timestamps of the first and last record: events/s relayed;</li>
 *   <li>8 clients committing with the relay caught up: the lag from a commit's 201 to the driver's
 *       consumer reading its record, p50/p99/max;</li>
 *   <li>10 webhook endpoints (a receiver in this JVM answering 204) and commits paced at 100/s
 *       (open loop) over 2 repositories of 4 branches: the latency from each commit's 201 (and from its
 *       scheduled send) to each endpoint's receipt, p50/p99/max; every commit must reach every endpoint
 *       (duplicates counted);</li>
 *   <li>the CPU time per webhook delivery of the first server and its PostgreSQL ({@link DeliveryCost}:
 *       the same paced commits with 10 other endpoints enabled vs disabled, 3 rounds each);</li>
 *   <li>commits/s with 8 closed-loop clients on the first server (relay and the 10 webhooks on) vs the
 *       second, 5 rounds alternating which goes first, rates the medians, the ratio the median of the
 *       rounds' ratios. Before every round the first server has sent everything it owed (relay and
 *       deliveries), so neither server's round carries the other's backlog; what was still owed at the
 *       end of each events-on round is printed.</li>
 * </ol>
 */
public final class EventsOut {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int CLIENTS = 8;
  private static final int ENDPOINTS = Receiver.ENDPOINTS;
  private static final double PACE = 100; // commits/s for the webhook latency

  /** CPU time by process (the runner passes the servers' process ids and data directories). */
  private static final CpuUse cpu = new CpuUse();
  /** The events-on server's process id and data directory (0 and null: not given). */
  private static long onPid;
  private static String onDir;

  private EventsOut() {}

  public static void main(String[] args) throws Exception {
    if (args.length < 5) {
      System.err.println("usage: EventsOut <url-events-on> <url-events-off> <kafka-port> <kafka-controller-port> <seconds>");
      System.exit(2);
    }
    String on = args[0].replaceAll("/$", "");
    String off = args[1].replaceAll("/$", "");
    int kafkaPort = Integer.parseInt(args[2]);
    int controllerPort = Integer.parseInt(args[3]);
    double seconds = Double.parseDouble(args[4]);
    cpu.self("driver and receiver");
    if (args.length >= 9) {
      cpu.process("Strata (events on)", Long.parseLong(args[5])).commandLine("PostgreSQL (events on)", args[6] + "/postgres")
          .process("Strata (events off)", Long.parseLong(args[7]))
          .commandLine("PostgreSQL (events off)", args[8] + "/postgres");
    }
    if (args.length >= 9) {
      onPid = Long.parseLong(args[5]);
      onDir = args[6];
    }
    System.exit(run(on, off, kafkaPort, controllerPort, seconds) ? 0 : 1);
  }

  private static boolean run(String on, String off, int kafkaPort, int controllerPort, double seconds)
      throws Exception {
    boolean ok = true;
    String onApi = repository(on, "out-" + Long.toHexString(System.nanoTime()), "b");
    closedLoop(onApi, "b", 2, null); // warm-up

    // 1. the relay drains a backlog
    closedLoop(onApi, "b", 2 * seconds, null);
    long backlog = lag(on, "kafka");
    long brokerStart = System.nanoTime();
    KafkaBroker broker = KafkaBroker.start(kafkaPort, controllerPort);
    cpu.process("Kafka broker", broker.pid());
    long brokerReady = System.nanoTime();
    TopicReader topic = new TopicReader(broker.bootstrap);
    topic.start();
    if (!await(() -> topic.count.get() >= backlog, 180)) {
      throw new IllegalStateException("the relay sent " + topic.count.get() + " of a backlog of " + backlog
          + " events in 180 s");
    }
    long drainMs = topic.lastTimestamp.get() - topic.firstTimestamp.get();
    long backlogDuplicates = topic.duplicates.get();
    System.out.printf(Locale.ROOT, "Kafka relay, backlog: %d events built while the broker was down (started in"
        + " %.1f s); sent in %d ms from the first record's append to the last's: %.0f events/s relayed; %.1f s"
        + " from the broker answering to the last record read; %d commits' records sent twice%n", backlog, (brokerReady - brokerStart) / 1e9,
        drainMs, (backlog - 1) * 1000.0 / Math.max(1, drainMs),
        (topic.lastReadAt.get() - brokerReady) / 1e9, backlogDuplicates);

    // 1b. the lag under steady load, the relay caught up
    if (!await(() -> lagOrMinus(on, "kafka") == 0, 120)) {
      throw new IllegalStateException("the relay did not catch up in 120 s");
    }
    Map<String, Long> acked = new ConcurrentHashMap<>();
    long wallStart = System.currentTimeMillis();
    long before = topic.count.get();
    List<String> ids = closedLoop(onApi, "b", seconds, acked);
    long wallEnd = System.currentTimeMillis();
    if (!await(() -> ids.stream().allMatch(topic.commits::containsKey), 120)) {
      throw new IllegalStateException("not every commit's record was read from the topic in 120 s");
    }
    long appendedInWindow = topic.appendedBetween(wallStart, wallEnd);
    List<Long> lags = new ArrayList<>();
    ids.forEach(id -> lags.add(topic.commits.get(id) - acked.get(id)));
    Collections.sort(lags);
    System.out.printf(Locale.ROOT, "Kafka relay, steady: %d clients commit %.0f/s; %.0f events/s appended to the"
        + " topic meanwhile (%d records in all); lag from a commit's 201 to its record read (ms): p50 %.1f"
        + "  p99 %.1f  max %.1f; %d commits' records read twice%n", CLIENTS, ids.size() / seconds,
        appendedInWindow * 1000.0 / Math.max(1, wallEnd - wallStart), topic.count.get() - before, pct(lags, 0.50),
        pct(lags, 0.99), lags.get(lags.size() - 1) / 1e6, topic.duplicates.get() - backlogDuplicates);

    // 2. commit -> webhook delivery at a paced 100 commits/s, 10 endpoints
    Receiver receiver = new Receiver();
    for (int e = 0; e < ENDPOINTS; e++) {
      expect(send("POST", on + "/api/v1/webhooks", "{\"url\":\"http://127.0.0.1:" + receiver.port() + "/hook/" + e
          + "\",\"description\":\"bench " + e + "\",\"filter\":{}}"), 201);
    }
    String stamp = Long.toHexString(System.nanoTime());
    List<String> hookApis = List.of(repository(on, "hooks-a-" + stamp, "h"), repository(on, "hooks-b-" + stamp, "h"));
    // a warm-up at the same pace, not reported: the sender's code has not run yet in this server, and
    // its first seconds (interpreted, then compiled) would be measured rather than the sender
    ok &= paced(hookApis, Math.min(seconds, 3), receiver, false);
    ok &= paced(hookApis, seconds, receiver, true);

    // 2b. CPU per delivery: the same paced commits with 10 other endpoints enabled vs disabled
    if (onPid > 0) {
      new DeliveryCost(receiver, List.of(new DeliveryCost.Server("events on", on, onPid, onDir))).run(seconds, 3);
    }

    // 3. the commit benchmark with relay + webhooks vs neither
    ok &= compare(on, off, seconds, receiver, topic);
    topic.close();
    receiver.close();
    broker.close();
    return ok;
  }

  /**
   * Commits at {@link #PACE}/s for {@code seconds}, round robin over the repositories' 4 branches each,
   * and waits for their deliveries; prints the latencies if {@code report}.
   */
  private static boolean paced(List<String> apis, double seconds, Receiver receiver, boolean report)
      throws Exception {
    Paced p = Paced.commit(apis, PACE, seconds);
    int total = p.total();
    long[] scheduled = p.scheduled;
    long[] acked = p.acked;
    String[] ids = p.ids;
    long t0 = p.t0;
    long lastSend = p.lastSend;
    List<Long> commitLatency = new ArrayList<>();
    for (int i = 0; i < total; i++) {
      commitLatency.add(acked[i] - scheduled[i]);
    }
    Collections.sort(commitLatency);
    List<String> all = List.of(ids);
    long sentDone = System.nanoTime();
    boolean complete = await(() -> receiver.received(all) == (long) total * ENDPOINTS, 300);
    long drained = System.nanoTime();
    List<Long> fromAck = new ArrayList<>();
    List<Long> fromSend = new ArrayList<>();
    long missing = 0;
    for (int i = 0; i < total; i++) {
      long[] first = receiver.firsts(ids[i]);
      for (int e = 0; e < ENDPOINTS; e++) {
        if (first == null || first[e] == 0) {
          missing++;
        } else {
          fromAck.add(first[e] - acked[i]);
          fromSend.add(first[e] - scheduled[i]);
        }
      }
    }
    Collections.sort(fromAck);
    Collections.sort(fromSend);
    if (!report && complete && missing == 0) {
      return true;
    }
    System.out.printf(Locale.ROOT, "webhooks, %d endpoints, commits paced at %.0f/s for %.0f s (%.0f/s achieved,"
        + " over %d repositories x 4 branches; commit latency from its scheduled send p50 %.1f p99 %.1f ms): %d"
        + " commits, %d deliveries of them expected, %d received once, %d missing, %d duplicates; the last"
        + " arrived %.1f s after the last commit's 201%n", ENDPOINTS, PACE, seconds, (total - 1) / ((lastSend - t0) / 1e9),
        apis.size(), pct(commitLatency, 0.5), pct(commitLatency, 0.99), total, (long) total * ENDPOINTS,
        fromAck.size(), missing, receiver.duplicates(all), (receiver.lastArrival(all) - maxOf(acked)) / 1e9);
    if (!fromAck.isEmpty()) {
      System.out.printf(Locale.ROOT, "webhook latency from the commit's 201 to the endpoint's receipt (ms): p50 %.1f"
          + "  p99 %.1f  max %.1f; from the commit's scheduled send: p50 %.1f  p99 %.1f  max %.1f%n",
          pct(fromAck, 0.5), pct(fromAck, 0.99), fromAck.get(fromAck.size() - 1) / 1e6, pct(fromSend, 0.5),
          pct(fromSend, 0.99), fromSend.get(fromSend.size() - 1) / 1e6);
    }
    if (!complete || missing > 0) {
      System.out.printf(Locale.ROOT, "FAILED: %d deliveries missing %.0f s after the last commit%n", missing,
          (drained - sentDone) / 1e9);
      return false;
    }
    return true;
  }

  /** Commits/s, 8 clients on own branches: relay and webhooks on vs off, 5 alternating rounds. */
  private static boolean compare(String on, String off, double seconds, Receiver receiver, TopicReader topic)
      throws Exception {
    String repo = "cmp-" + Long.toHexString(System.nanoTime());
    String[] apis = {repository(on, repo, "a"), repository(off, repo, "a")};
    List<String> owed = new ArrayList<>(closedLoop(apis[0], "a", 2, null));
    closedLoop(apis[1], "a", 2, null);
    int rounds = 5;
    List<List<Double>> rates = List.of(new ArrayList<>(), new ArrayList<>());
    List<String> behind = new ArrayList<>();
    List<Map<String, Long>> cpuSpent = List.of(new LinkedHashMap<>(), new LinkedHashMap<>());
    long[] commits = new long[2];
    for (int round = 0; round < rounds; round++) {
      for (int k = 0; k < 2; k++) {
        int s = (round + k) % 2;
        List<String> all = owed;
        if (!await(() -> receiver.received(all) == (long) all.size() * ENDPOINTS
            && lagOrMinus(on, "kafka") == 0 && lagOrMinus(on, "webhooks") == 0, 600)) {
          System.out.println("FAILED: the events-on server did not send what it owed within 600 s");
          return false;
        }
        long t0 = System.nanoTime();
        Map<String, Long> cpuBefore = cpu.sample();
        List<String> ids = closedLoop(apis[s], "a", seconds, null);
        double elapsed = (System.nanoTime() - t0) / 1e9;
        CpuUse.spent(cpuBefore, cpu.sample()).forEach((group, ms) -> cpuSpent.get(s).merge(group, ms, Long::sum));
        commits[s] += ids.size();
        rates.get(s).add(ids.size() / elapsed);
        if (s == 0) {
          long delivered = receiver.received(ids);
          long relayLag = lag(on, "kafka");
          long hooksLag = lag(on, "webhooks");
          long drainStart = System.nanoTime();
          owed.addAll(ids);
          await(() -> receiver.received(all) == (long) all.size() * ENDPOINTS, 600);
          behind.add(String.format(Locale.ROOT, "%d commits: %d of %d deliveries made, relay lag %d, webhooks"
              + " reactor lag %d; all delivered %.1f s later", ids.size(), delivered, (long) ids.size() * ENDPOINTS,
              relayLag, hooksLag, (System.nanoTime() - drainStart) / 1e9));
        }
      }
    }
    List<Double> ratios = new ArrayList<>();
    for (int r = 0; r < rounds; r++) {
      ratios.add(rates.get(0).get(r) / rates.get(1).get(r));
    }
    System.out.printf(Locale.ROOT, "%-34s %8s %12s %22s %7s%n", "operation", "clients", "events off/s",
        "relay + 10 webhooks/s", "ratio");
    System.out.printf(Locale.ROOT, "%-34s %8d %12.0f %22.0f %7.2f%n", "commit (own branch), median of " + rounds,
        CLIENTS, median(rates.get(1)), median(rates.get(0)), median(ratios));
    System.out.printf(Locale.ROOT, "rounds' ratios: %s; owed at the end of each events-on round:%n",
        ratios.stream().map(x -> String.format(Locale.ROOT, "%.2f", x)).toList());
    behind.forEach(b -> System.out.println("  " + b));
    System.out.println("CPU time per commit in those rounds (ms; 2 cores give 2000 ms per second to share):");
    System.out.printf(Locale.ROOT, "  %-24s %12s %22s%n", "", "events off", "relay + 10 webhooks");
    for (String group : cpuSpent.get(0).keySet()) {
      System.out.printf(Locale.ROOT, "  %-24s %12.2f %22.2f%n", group,
          cpuSpent.get(1).getOrDefault(group, 0L) / (double) Math.max(1, commits[1]),
          cpuSpent.get(0).getOrDefault(group, 0L) / (double) Math.max(1, commits[0]));
    }
    double offOwn = own(cpuSpent.get(1), "off") / (double) Math.max(1, commits[1]);
    double onOwn = own(cpuSpent.get(0), "on") / (double) Math.max(1, commits[0]);
    if (offOwn > 0 && onOwn > 0) {
      System.out.printf(Locale.ROOT, "  Strata and its PostgreSQL alone: %.2f ms per commit off, %.2f on: %.2f (derived"
          + " from CPU time, not measured: what the ratio would be if nothing else shared the cores)%n", offOwn, onOwn,
          offOwn / onOwn);
    }
    long duplicates = receiver.duplicates(owed);
    System.out.printf(Locale.ROOT, "every commit of those rounds delivered to all %d endpoints, %d duplicate"
        + " deliveries of their commits (%d of any event, by webhook-id, in the whole run); %d commits' Kafka records"
        + " read twice in the whole run; the relay now: %s%n", ENDPOINTS, duplicates, receiver.redelivered.get(),
        topic.duplicates.get(), relayState(on));
    return true;
  }

  /** The relay's failures in a row and last error, as GET /api/v1/admin/reactors shows them. */
  private static String relayState(String base) throws Exception {
    for (JsonNode item : JSON.readTree(expect(send("GET", base + "/api/v1/admin/reactors", null), 200)).path("items")) {
      if (item.path("name").asText().equals("kafka")) {
        return "here " + item.path("here");
      }
    }
    return "not listed";
  }

  /** The CPU time of the server with events "on" or "off", and of its PostgreSQL. */
  private static long own(Map<String, Long> spent, String which) {
    return spent.getOrDefault("Strata (events " + which + ")", 0L)
        + spent.getOrDefault("PostgreSQL (events " + which + ")", 0L);
  }

  static double median(List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    return sorted.get(sorted.size() / 2);
  }

  private static long maxOf(long[] values) {
    long max = Long.MIN_VALUE;
    for (long v : values) {
      max = Math.max(max, v);
    }
    return max;
  }

  /** Creates the repository with branches prefix0..prefix7 (the clients'); answers its API URL. */
  static String repository(String base, String name, String prefix) throws Exception {
    expect(send("POST", base + "/api/v1/repositories", "{\"name\":\"" + name + "\"}"), 201);
    String api = base + "/api/v1/repositories/" + name;
    for (int c = 0; c < CLIENTS; c++) {
      expect(send("POST", api + "/branches", "{\"name\":\"" + prefix + c + "\"}"), 201);
    }
    return api;
  }

  /** {@link #CLIENTS} closed-loop clients commit on {@code prefix}0.. for {@code seconds}: their ids. */
  private static List<String> closedLoop(String api, String prefix, double seconds, Map<String, Long> acked)
      throws Exception {
    return EventsLoad.closedLoop(api, prefix, CLIENTS, seconds, acked);
  }

  /** The reactor's lag (events after its checkpoint) from GET /api/v1/admin/reactors. */
  private static long lag(String base, String reactor) throws Exception {
    long lag = lagOrMinus(base, reactor);
    if (lag < 0) {
      throw new IllegalStateException("reactor " + reactor + " has no lag yet: "
          + send("GET", base + "/api/v1/admin/reactors", null).body());
    }
    return lag;
  }

  static long lagOrMinus(String base, String reactor) {
    try {
      for (JsonNode item : JSON.readTree(expect(send("GET", base + "/api/v1/admin/reactors", null), 200)).path("items")) {
        if (item.path("name").asText().equals(reactor)) {
          return item.path("lag").isNumber() ? item.path("lag").asLong() : -1;
        }
      }
      return -1;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  static boolean await(BooleanSupplier done, int seconds) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (!done.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        return false;
      }
      Thread.sleep(20);
    }
    return true;
  }
}
