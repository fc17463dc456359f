package io.strata.server.reactors.webhooks;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A webhook receiver on loopback for tests: it records every request it gets (headers and body) and
 * answers the status it is set to; {@link #HANG} holds the request past any timeout and {@link #DOWN}
 * closes the listener altogether (connections refused) until {@link #answer} opens it again.
 */
public final class WebhookReceiver implements AutoCloseable {
  public static final int HANG = -1;
  public static final int DOWN = -2;
  /** 200 with an answer of 64 MB, sent slowly enough that a reader without a cap would keep reading. */
  public static final int ENDLESS = -3;

  /** A request as it arrived. */
  public record Received(Instant at, String path, String host, String id, String timestamp, String signature,
      String contentType, String body, int answered) {}

  private final List<Received> received = new CopyOnWriteArrayList<>();
  private final AtomicInteger status = new AtomicInteger(200);
  private final AtomicInteger inProgress = new AtomicInteger();
  private static final String ANSWERING = "strata.answering";
  private final AtomicInteger mostAtOnce = new AtomicInteger();
  private volatile long delayMillis;
  private final int port;
  private HttpServer server;

  public WebhookReceiver() throws IOException {
    server = listen(0);
    port = server.getAddress().getPort();
  }

  private HttpServer listen(int on) throws IOException {
    HttpServer s = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), on), 50);
    s.setExecutor(Executors.newCachedThreadPool());
    s.createContext("/", this::handle);
    s.start();
    return s;
  }

  /** The URL to register, e.g. {@code http://127.0.0.1:port/hook}. */
  public String url(String path) {
    return "http://127.0.0.1:" + port + path;
  }

  /** From now on, answer {@code code} (or HANG, or DOWN). */
  public synchronized void answer(int code) throws IOException {
    int before = status.getAndSet(code);
    if (code == DOWN && before != DOWN) {
      server.stop(0);
    } else if (code != DOWN && before == DOWN) {
      server = listen(port);
    }
  }

  /** Each answer waits this long first (a slow receiver). */
  public void delay(long millis) {
    delayMillis = millis;
  }

  /** The most requests this receiver was handling at one time. */
  public int mostAtOnce() {
    return mostAtOnce.get();
  }

  public List<Received> received() {
    return List.copyOf(received);
  }

  /** Requests answered 2xx, in arrival order. */
  public List<Received> accepted() {
    return received.stream().filter(r -> r.answered() >= 200 && r.answered() < 300).toList();
  }

  /**
   * A request is in progress from its arrival until its answer starts: once the answer is on its way
   * the sender may send the next one, before this thread has left the handler.
   */
  private void handle(HttpExchange exchange) throws IOException {
    mostAtOnce.accumulateAndGet(inProgress.incrementAndGet(), Math::max);
    AtomicBoolean answering = new AtomicBoolean();
    exchange.setAttribute(ANSWERING, answering);
    try {
      answer(exchange);
    } finally {
      answering(exchange);
    }
  }

  /** Counts the request out of those in progress (once). */
  private void answering(HttpExchange exchange) {
    if (((AtomicBoolean) exchange.getAttribute(ANSWERING)).compareAndSet(false, true)) {
      inProgress.decrementAndGet();
    }
  }

  private void answer(HttpExchange exchange) throws IOException {
    String body;
    try (InputStream in = exchange.getRequestBody()) {
      body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    if (delayMillis > 0) {
      try {
        Thread.sleep(delayMillis);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    int code = status.get();
    var h = exchange.getRequestHeaders();
    received.add(new Received(Instant.now(), exchange.getRequestURI().toString(), h.getFirst("host"),
        h.getFirst("webhook-id"),
        h.getFirst("webhook-timestamp"), h.getFirst("webhook-signature"), h.getFirst("content-type"), body,
        code == ENDLESS ? 200 : code));
    if (code == HANG) {
      try {
        Thread.sleep(30_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      exchange.close();
      return;
    }
    if (code == ENDLESS) {
      exchange.sendResponseHeaders(200, 0);
      byte[] chunk = new byte[64 * 1024];
      try {
        for (int i = 0; i < 1024; i++) {
          exchange.getResponseBody().write(chunk);
          Thread.sleep(5);
        }
      } catch (IOException | InterruptedException e) {
        // the sender hung up: it read enough
      }
      exchange.close();
      return;
    }
    if (code >= 300 && code < 400) {
      exchange.getResponseHeaders().add("Location", "http://127.0.0.1:" + port + "/elsewhere");
    }
    byte[] answer = ("{\"answered\":" + code + "}").getBytes(StandardCharsets.UTF_8);
    answering(exchange);
    exchange.sendResponseHeaders(code, answer.length);
    exchange.getResponseBody().write(answer);
    exchange.close();
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
