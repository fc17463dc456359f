package io.strata.benchmarks;

import static io.strata.benchmarks.EventsLoad.expect;
import static io.strata.benchmarks.EventsLoad.pct;
import static io.strata.benchmarks.EventsLoad.send;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

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
 *   <li>commits/s with 8 closed-loop clients on the first server (relay and the 10 webhooks on) vs the
 *       second, 5 rounds alternating which goes first, rates the medians, the ratio the median of the
 *       rounds' ratios. Before every round the first server has sent everything it owed (relay and
 *       deliveries), so neither server's round carries the other's backlog; what was still owed at the
 *       end of each events-on round is printed.</li>
 * </ol>
 */
public final class EventsOut {
  private static final Pattern ID = Pattern.compile("\"id\":\"([0-9a-f]{64})\"");
  private static final Pattern SUBJECT = Pattern.compile("\"subject\"\\s*:\\s*\"commits/([0-9a-f]{64})\"");
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String TOPIC = "strata.events";
  private static final String COMMIT_CREATED = "io.strata.commit.created";
  private static final int CLIENTS = 8;
  private static final int ENDPOINTS = 10;
  private static final double PACE = 100; // commits/s for the webhook latency
  private static final HttpClient ASYNC = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();

  /** CPU time by process (the runner passes the servers' process ids and data directories). */
  private static final CpuUse cpu = new CpuUse();

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
    int total = (int) Math.round(PACE * seconds);
    long period = (long) (1e9 / PACE);
    long[] scheduled = new long[total];
    long[] acked = new long[total];
    String[] ids = new String[total];
    List<CompletableFuture<Void>> sent = new ArrayList<>();
    long t0 = System.nanoTime() + 50_000_000L;
    for (int i = 0; i < total; i++) {
      long at = t0 + i * period;
      long wait;
      while ((wait = at - System.nanoTime()) > 0) {
        LockSupport.parkNanos(wait);
      }
      scheduled[i] = at;
      int n = i;
      String api = apis.get(i % apis.size());
      HttpRequest request = HttpRequest.newBuilder(URI.create(api + "/branches/h" + (i / apis.size()) % 4 + "/commits"))
          .timeout(Duration.ofSeconds(60)).header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString("{\"message\":\"paced " + i + " " + t0 + "\",\"allow_empty\":true}")).build();
      sent.add(ASYNC.sendAsync(request, HttpResponse.BodyHandlers.ofString()).thenAccept(r -> {
        acked[n] = System.nanoTime();
        Matcher m = ID.matcher(expect(r, 201));
        if (!m.find()) {
          throw new IllegalStateException("no id in " + r.body());
        }
        ids[n] = m.group(1);
      }));
    }
    long lastSend = System.nanoTime();
    CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
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

  private static double median(List<Double> values) {
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
  private static String repository(String base, String name, String prefix) throws Exception {
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

  private static long lagOrMinus(String base, String reactor) {
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

  private static boolean await(BooleanSupplier done, int seconds) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (!done.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        return false;
      }
      Thread.sleep(20);
    }
    return true;
  }

  /** Reads the relay's topic from its start on a thread of its own: records, their append times, commits. */
  private static final class TopicReader extends Thread implements AutoCloseable {
    private final KafkaConsumer<String, byte[]> consumer;
    final AtomicLong count = new AtomicLong();
    final AtomicLong firstTimestamp = new AtomicLong(Long.MAX_VALUE);
    final AtomicLong lastTimestamp = new AtomicLong(Long.MIN_VALUE);
    final AtomicLong lastReadAt = new AtomicLong();
    final AtomicLong duplicates = new AtomicLong();
    /** Commit id to when its commit.created record was read (nanoTime). */
    final Map<String, Long> commits = new ConcurrentHashMap<>();
    private final List<Long> timestamps = Collections.synchronizedList(new ArrayList<>());
    private volatile boolean stop;

    TopicReader(String bootstrap) {
      super("topic-reader");
      setDaemon(true);
      Properties p = new Properties();
      p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
      p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
      p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
      p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
      p.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, "10"); // read a record as soon as it is there
      consumer = new KafkaConsumer<>(p);
    }

    long appendedBetween(long fromMs, long toMs) {
      synchronized (timestamps) {
        return timestamps.stream().filter(t -> t >= fromMs && t <= toMs).count();
      }
    }

    @Override
    public void run() {
      List<TopicPartition> partitions = new ArrayList<>();
      while (partitions.isEmpty() && !stop) {
        consumer.listTopics(Duration.ofSeconds(5)).getOrDefault(TOPIC, List.of())
            .forEach(info -> partitions.add(new TopicPartition(TOPIC, info.partition())));
        if (partitions.isEmpty()) {
          LockSupport.parkNanos(50_000_000L);
        }
      }
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      while (!stop) {
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(100))) {
          long now = System.nanoTime();
          String type = header(r, "ce_type");
          String subject = header(r, "ce_subject");
          if (type != null && type.startsWith(COMMIT_CREATED) && subject != null && subject.startsWith("commits/")) {
            if (commits.putIfAbsent(subject.substring("commits/".length()), now) != null) {
              duplicates.incrementAndGet();
            }
          }
          firstTimestamp.accumulateAndGet(r.timestamp(), Math::min);
          lastTimestamp.accumulateAndGet(r.timestamp(), Math::max);
          timestamps.add(r.timestamp());
          lastReadAt.set(now);
          count.incrementAndGet();
        }
      }
      consumer.close();
    }

    private static String header(ConsumerRecord<String, byte[]> r, String name) {
      Header h = r.headers().lastHeader(name);
      return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    @Override
    public void close() throws InterruptedException {
      stop = true;
      join(5000);
    }
  }

  /** Webhook endpoints /hook/0../hook/9 on loopback answering 204; records each commit's first arrival. */
  private static final class Receiver implements AutoCloseable {
    private final HttpServer server;
    /** Commit id to, per endpoint, the first arrival (nanoTime, 0: none) and the number of arrivals. */
    private final Map<String, long[][]> arrivals = new ConcurrentHashMap<>();
    private final AtomicLong unsigned = new AtomicLong();
    /** Event id (webhook-id) to its arrivals per endpoint, and the arrivals of an event already received. */
    private final Map<String, int[]> events = new ConcurrentHashMap<>();
    final AtomicLong redelivered = new AtomicLong();

    Receiver() throws Exception {
      server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 256);
      server.createContext("/hook/", exchange -> {
        long now = System.nanoTime();
        int endpoint = Integer.parseInt(exchange.getRequestURI().getPath().substring("/hook/".length()));
        byte[] body;
        try (InputStream in = exchange.getRequestBody()) {
          body = in.readAllBytes();
        }
        if (exchange.getRequestHeaders().getFirst("webhook-signature") == null) {
          unsigned.incrementAndGet();
        }
        String eventId = exchange.getRequestHeaders().getFirst("webhook-id");
        int[] seen = events.computeIfAbsent(eventId == null ? "none" : eventId, k -> new int[ENDPOINTS]);
        synchronized (seen) {
          if (seen[endpoint]++ > 0) {
            redelivered.incrementAndGet();
          }
        }
        String text = new String(body, StandardCharsets.UTF_8);
        Matcher m = SUBJECT.matcher(text);
        if (text.contains(COMMIT_CREATED) && m.find()) {
          long[][] a = arrivals.computeIfAbsent(m.group(1), k -> new long[2][ENDPOINTS]);
          synchronized (a) {
            if (a[0][endpoint] == 0) {
              a[0][endpoint] = now;
            }
            a[1][endpoint]++;
          }
        }
        exchange.sendResponseHeaders(204, -1);
        exchange.close();
      });
      // handled on the server's own thread: the handler is short, and a hand-off to a pool per request
      // cost this JVM (which shares the cores with the servers) more than the handling
      server.setExecutor(null);
      server.start();
    }

    int port() {
      return server.getAddress().getPort();
    }

    long[] firsts(String commit) {
      long[][] a = arrivals.get(commit);
      if (a == null) {
        return null;
      }
      synchronized (a) {
        return a[0].clone();
      }
    }

    /** (endpoint, commit) pairs of these commits that arrived at least once. */
    long received(List<String> commits) {
      long n = 0;
      for (String c : commits) {
        long[] f = firsts(c);
        if (f != null) {
          for (long t : f) {
            n += t == 0 ? 0 : 1;
          }
        }
      }
      return n;
    }

    /** Arrivals of these commits beyond the first per endpoint. */
    long duplicates(List<String> commits) {
      long n = 0;
      for (String c : commits) {
        long[][] a = arrivals.get(c);
        if (a != null) {
          synchronized (a) {
            for (long k : a[1]) {
              n += Math.max(0, k - 1);
            }
          }
        }
      }
      return n;
    }

    long lastArrival(List<String> commits) {
      long last = 0;
      for (String c : commits) {
        long[] f = firsts(c);
        if (f != null) {
          for (long t : f) {
            last = Math.max(last, t);
          }
        }
      }
      return last;
    }

    @Override
    public void close() {
      if (unsigned.get() > 0) {
        System.out.println("WARNING: " + unsigned.get() + " deliveries without a webhook-signature header");
      }
      server.stop(0);
    }
  }
}
