package io.strata.benchmarks;

import com.sun.net.httpserver.HttpServer;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Webhook endpoints /hook/0../hook/9 on loopback answering 204; records each commit's first arrival. */
final class Receiver implements AutoCloseable {
  /** Endpoints a receiver answers: /hook/0 to /hook/9. */
  static final int ENDPOINTS = 10;
  private static final Pattern SUBJECT = Pattern.compile("\"subject\"\\s*:\\s*\"commits/([0-9a-f]{64})\"");
  private static final String COMMIT_CREATED = "io.strata.commit.created";

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
