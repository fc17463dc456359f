package io.strata.server.reactors.webhooks;

import io.strata.server.reactors.webhooks.SenderStore.Head;
import io.strata.server.reactors.webhooks.SenderStore.Outcome;
import io.strata.server.reactors.webhooks.SenderStore.Target;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.net.TrustOptions;
import java.net.InetAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import javax.crypto.spec.SecretKeySpec;

/**
 * One attempt at a delivery: the receiver's address resolved and checked by the SSRF guard, the
 * body signed (Standard Webhooks) and POSTed to that address, and the answer judged. Built on Vert.x
 * futures on the event loop, without Mutiny's per-operator wrapping: this runs once per delivery.
 */
final class Attempts {
  /** The most of a receiver's answer that is read (the rest is cut off with the connection). */
  static final int MAX_ANSWER_BYTES = 4096;
  /** The most characters of an error (or of the receiver's answer to a failure) kept per attempt. */
  static final int MAX_ERROR_CHARS = 500;
  /** How long a host's resolved and checked address is used before it is looked up (and checked) again. */
  static final Duration ADDRESS_TTL = Duration.ofSeconds(5);

  private final Vertx vertx;
  private final AddressGuard guard;
  private final Duration timeout;
  private final List<Duration> retrySchedule;
  private final HttpClient http;
  /** A host's checked address, kept for {@link #ADDRESS_TTL}. */
  private final Map<String, Checked> addresses = new ConcurrentHashMap<>();

  Attempts(Vertx vertx, AddressGuard guard, WebhookSender.Settings settings) {
    this.vertx = vertx;
    this.guard = guard;
    this.timeout = settings.timeout();
    this.retrySchedule = settings.retrySchedule();
    int ms = (int) Math.min(Integer.MAX_VALUE, timeout.toMillis());
    HttpClientOptions options = new HttpClientOptions()
        .setConnectTimeout(ms)
        .setIdleTimeout(ms)
        .setIdleTimeoutUnit(TimeUnit.MILLISECONDS)
        .setVerifyHost(true)
        .setForceSni(true)
        .setMaxPoolSize(settings.concurrency())
        .setMaxRedirects(0);
    if (!settings.trustedCertificates().isEmpty()) {
      options.setTrustOptions(TrustOptions.wrap(ReceiverTrust.of(settings.trustedCertificates())));
    }
    this.http = vertx.createHttpClient(options);
  }

  /**
   * Where a run's attempts go and what signs them: the endpoint's URL taken apart and its secrets'
   * keys decoded once per run (a changed URL or a rotated secret applies from the next run on).
   */
  record Destination(String id, String url, String host, int port, boolean tls, String path, SecretKeySpec key,
      SecretKeySpec previousKey, Instant previousUntil) {
    static Destination of(Target t) {
      URI uri = URI.create(t.url());
      boolean tls = "https".equalsIgnoreCase(uri.getScheme());
      String path = (uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath())
          + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
      return new Destination(t.id(), t.url(), unbracket(uri.getHost()), uri.getPort() > 0 ? uri.getPort() : tls ? 443 : 80,
          tls, path, WebhookSigner.key(t.secret()),
          t.previousSecret() == null ? null : WebhookSigner.key(t.previousSecret()), t.previousSecretUntil());
    }

    /** The webhook-signature: the current secret's, and the previous one's during its overlap. */
    String signature(String id, long timestamp, byte[] body, Instant now) {
      String current = WebhookSigner.sign(key, id, timestamp, body);
      return previousKey != null && previousUntil != null && previousUntil.isAfter(now)
          ? current + " " + WebhookSigner.sign(previousKey, id, timestamp, body) : current;
    }
  }

  /** The receiver's status and the start of its answer. */
  record Answer(int status, String body) {}

  /** A host's checked address, and until when (System.nanoTime) it is used without a new lookup. */
  private record Checked(InetAddress address, long until) {}

  /** One attempt: resolve and check the address, POST the body, and judge the answer (never fails). */
  Future<Outcome> attempt(Destination target, Head head) {
    Instant at = Instant.now();
    long started = System.nanoTime();
    // one deadline for the whole attempt, the DNS lookup included: an attempt never outlives the
    // timeout (nor, then, the endpoint's lease, at least twice as long), and a lookup answering late
    // sends nothing
    Promise<Answer> done = Promise.promise();
    HttpClientRequest[] inHand = new HttpClientRequest[1];
    long deadline = vertx.setTimer(timeout.toMillis(), t -> {
      if (done.tryFail("no answer within " + timeout.toSeconds() + " s (timeout)") && inHand[0] != null) {
        inHand[0].reset();
      }
    });
    address(target.host())
        .onSuccess(address -> {
          if (!done.future().isComplete()) {
            post(target, address, head, done, inHand);
          }
        })
        .onFailure(done::tryFail);
    return done.future().transform(answered -> {
      vertx.cancelTimer(deadline);
      return Future.succeededFuture(answered.succeeded() ? judge(at, started, answered.result(), head, null)
          : judge(at, started, null, head, answered.cause()));
    });
  }

  /**
   * The host's address, resolved and checked by the guard on a worker thread; kept for
   * {@link #ADDRESS_TTL}, so a busy endpoint is not looked up at every delivery. It is the address
   * connected to, so what was checked is what is reached; a refusal is not kept.
   */
  private Future<InetAddress> address(String host) {
    Checked known = addresses.get(host);
    if (known != null && System.nanoTime() - known.until() < 0) {
      return Future.succeededFuture(known.address());
    }
    return vertx.<InetAddress>executeBlocking(() -> guard.resolve(host), false).onSuccess(a -> {
      if (addresses.size() >= 10_000) {
        addresses.clear(); // many hosts: forget them all rather than grow
      }
      addresses.put(host, new Checked(a, System.nanoTime() + ADDRESS_TTL.toNanos()));
    });
  }

  /**
   * POSTs to the checked address, naming the host only in Host and SNI; redirects are not followed,
   * and the answer is read up to {@link #MAX_ANSWER_BYTES}. Completes {@code done}; the request in
   * flight is kept in {@code inHand} for the deadline to cut.
   */
  private void post(Destination target, InetAddress address, Head head, Promise<Answer> done,
      HttpClientRequest[] inHand) {
    String id = head.eventId().toString();
    Instant now = Instant.now();
    long timestamp = now.getEpochSecond();
    RequestOptions options = new RequestOptions()
        .setMethod(HttpMethod.POST)
        .setServer(SocketAddress.inetSocketAddress(target.port(), address.getHostAddress()))
        .setHost(target.host())
        .setPort(target.port())
        .setSsl(target.tls())
        .setURI(target.path())
        .setFollowRedirects(false)
        .putHeader("content-type", "application/cloudevents+json; charset=utf-8")
        .putHeader("user-agent", "Strata-Webhooks/1")
        .putHeader("webhook-id", id)
        .putHeader("webhook-timestamp", String.valueOf(timestamp))
        .putHeader("webhook-signature", target.signature(id, timestamp, head.payload(), now));
    http.request(options)
        .compose(request -> {
          inHand[0] = request;
          if (done.future().isComplete()) { // the deadline passed while connecting
            request.reset();
            return Future.failedFuture("timed out while connecting");
          }
          return request.send(Buffer.buffer(head.payload()));
        })
        .onSuccess(response -> {
          Buffer got = Buffer.buffer();
          response.handler(chunk -> {
            int room = MAX_ANSWER_BYTES - got.length();
            if (room > 0) {
              got.appendBuffer(chunk.length() <= room ? chunk : chunk.getBuffer(0, room));
            } else if (done.tryComplete(new Answer(response.statusCode(), got.toString(StandardCharsets.UTF_8)))) {
              inHand[0].reset(); // an endless answer: enough of it was read
            }
          });
          response.endHandler(v -> done.tryComplete(new Answer(response.statusCode(),
              got.toString(StandardCharsets.UTF_8))));
          response.exceptionHandler(e -> done.tryComplete(new Answer(response.statusCode(),
              got.toString(StandardCharsets.UTF_8)))); // the status came: the answer is what counts
        })
        .onFailure(done::tryFail);
  }

  /**
   * 2xx is delivered; 410 Gone disables the endpoint; everything else (other statuses, redirects,
   * timeouts, refused connections and addresses) is retried after the schedule's next wait, with
   * jitter, and fails the delivery once the schedule is spent.
   */
  private Outcome judge(Instant at, long started, Answer answer, Head head, Throwable failure) {
    int latency = (int) Math.min(Integer.MAX_VALUE, (System.nanoTime() - started) / 1_000_000);
    Integer status = answer == null ? null : answer.status();
    boolean success = status != null && status >= 200 && status < 300;
    String error = null;
    if (failure != null) {
      error = failure instanceof AddressGuard.Refused ? "refused: " + failure.getMessage() : describe(failure);
    } else if (!success) {
      error = "HTTP " + status + (answer.body().isBlank() ? "" : ": " + answer.body());
    }
    int retry = head.attempts(); // the waits before retries 1, 2, ...: attempt n+1 waits schedule[n]
    boolean last = !success && retry >= retrySchedule.size();
    Duration wait = success || last ? Duration.ZERO : jitter(retrySchedule.get(retry));
    Outcome outcome = new Outcome(at, status, latency, error == null ? null : clip(error), success,
        status != null && status == 410, wait, last);
    observer.accept(outcome);
    return outcome;
  }

  /** Told every attempt's outcome (the metrics). */
  private volatile java.util.function.Consumer<Outcome> observer = o -> { };

  void observe(java.util.function.Consumer<Outcome> observer) {
    this.observer = observer;
  }

  /** A failure and its root cause ("Failed to create SSL connection: PKIX path building failed ..."). */
  static String describe(Throwable failure) {
    String message = failure.getMessage() == null ? failure.getClass().getSimpleName() : failure.getMessage();
    Throwable root = failure;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String cause = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
    return root == failure || message.contains(cause) ? message : message + ": " + cause;
  }

  /** The wait, give or take a fifth, so receivers coming back are not met by every sender at once. */
  static Duration jitter(Duration wait) {
    long ms = wait.toMillis();
    return Duration.ofMillis(Math.max(0, ms + ThreadLocalRandom.current().nextLong(-ms / 5, ms / 5 + 1)));
  }

  /** Printable, at most {@link #MAX_ERROR_CHARS}: a receiver's answer may be anything. */
  static String clip(String text) {
    StringBuilder out = new StringBuilder();
    text.codePoints().limit(MAX_ERROR_CHARS).forEach(c -> out.appendCodePoint(Character.isISOControl(c) ? ' ' : c));
    return text.codePointCount(0, text.length()) > MAX_ERROR_CHARS ? out + "…" : out.toString();
  }

  static String unbracket(String host) {
    return host != null && host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
  }
}
