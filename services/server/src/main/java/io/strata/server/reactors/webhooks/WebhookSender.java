package io.strata.server.reactors.webhooks;

import io.smallrye.mutiny.Uni;
import io.strata.server.reactors.webhooks.WebhookStore.Delivered;
import io.strata.server.reactors.webhooks.WebhookStore.Head;
import io.strata.server.reactors.webhooks.WebhookStore.Outcome;
import io.strata.server.reactors.webhooks.WebhookStore.Target;
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
import java.net.InetAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.jboss.logging.Logger;

/**
 * Sends the queued deliveries: per endpoint one at a time, in feed order. An endpoint's head (its
 * oldest pending delivery) is sent when due; the deliveries behind it wait until it is delivered or
 * has failed, so a receiver sees each repository's events in order even across retries (at the price
 * of head-of-line blocking: an endpoint that is down holds its queue). A server sends to an endpoint
 * only while it holds the endpoint's lease, so several servers never send to one endpoint at once.
 *
 * <p>Deliveries go in runs: up to {@link #RUN} pending deliveries are read at once, sent one after
 * the other while the receiver takes them, and recorded together, so a busy endpoint costs the
 * database two statements per run rather than several per delivery.
 *
 * <p>Everything runs on the event loop without blocking: the database through the reactive pool,
 * HTTP through the Vert.x client, and only the DNS lookup (of the SSRF guard) on a worker thread.
 */
public final class WebhookSender {
  private static final Logger LOG = Logger.getLogger(WebhookSender.class);
  /** The most of a receiver's answer that is read (the rest is cut off with the connection). */
  static final int MAX_ANSWER_BYTES = 4096;
  /** The most characters of an error (or of the receiver's answer to a failure) kept per attempt. */
  static final int MAX_ERROR_CHARS = 500;
  /** Attempts made on one endpoint under one claim, so that one busy endpoint does not hog a slot. */
  private static final int PER_CLAIM = 500;
  /** The most deliveries read, sent one after the other and then recorded together. */
  static final int RUN = 50;
  /** How long a host's resolved and checked address is used before it is looked up (and checked) again. */
  static final Duration ADDRESS_TTL = Duration.ofSeconds(5);

  /** How the sender behaves; the defaults come from STRATA_WEBHOOKS_*. */
  public record Settings(Duration timeout, List<Duration> retrySchedule, Duration disableAfter, Duration poll,
      Duration lease, int concurrency) {
    public Settings {
      if (lease.compareTo(timeout.multipliedBy(2)) < 0) {
        throw new IllegalArgumentException("STRATA_WEBHOOKS_LEASE must be at least twice STRATA_WEBHOOKS_TIMEOUT");
      }
      if (retrySchedule.isEmpty() || concurrency < 1) {
        throw new IllegalArgumentException("STRATA_WEBHOOKS_RETRY_SCHEDULE and _CONCURRENCY may not be empty or 0");
      }
    }
  }

  private final Vertx vertx;
  private final WebhookStore store;
  private final Payloads payloads;
  private final AddressGuard guard;
  private final Settings settings;
  private final String owner;
  private final HttpClient http;
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicBoolean claiming = new AtomicBoolean();
  /** Set by a wake: a claim under way may have missed what was queued, so another follows it. */
  private final AtomicBoolean claimAgain = new AtomicBoolean();
  /** Counts wakes, so a drain that found its queue empty can tell whether more came since it looked. */
  private final AtomicLong wakes = new AtomicLong();
  /** A host's checked address, kept for {@link #ADDRESS_TTL}. */
  private final Map<String, Checked> addresses = new ConcurrentHashMap<>();
  private volatile boolean stopped = true;
  private volatile long timer = -1;
  private volatile int failuresInARow;

  WebhookSender(Vertx vertx, WebhookStore store, Payloads payloads, AddressGuard guard, Settings settings,
      String owner) {
    this.vertx = vertx;
    this.store = store;
    this.payloads = payloads;
    this.guard = guard;
    this.settings = settings;
    this.owner = owner;
    int ms = (int) Math.min(Integer.MAX_VALUE, settings.timeout().toMillis());
    this.http = vertx.createHttpClient(new HttpClientOptions()
        .setConnectTimeout(ms)
        .setIdleTimeout(ms)
        .setIdleTimeoutUnit(TimeUnit.MILLISECONDS)
        .setVerifyHost(true)
        .setForceSni(true)
        .setMaxPoolSize(settings.concurrency())
        .setMaxRedirects(0));
  }

  public synchronized void start() {
    if (!stopped) {
      return;
    }
    stopped = false;
    timer = vertx.setPeriodic(settings.poll().toMillis(), id -> tick());
    vertx.runOnContext(v -> tick());
  }

  /** Looks for due deliveries now (the reactor just queued some). */
  public void wake() {
    wakes.incrementAndGet();
    tickSoon();
  }

  /** Claims again as soon as the claim under way (if any) is done. */
  private void tickSoon() {
    if (!stopped) {
      claimAgain.set(true);
      vertx.runOnContext(v -> tick());
    }
  }

  /** Stops claiming; the attempts in hand finish (up to the timeout), then every lease is released. */
  public Uni<Void> stop() {
    synchronized (this) {
      stopped = true;
      if (timer >= 0) {
        vertx.cancelTimer(timer);
        timer = -1;
      }
    }
    long deadline = System.nanoTime() + settings.timeout().plusSeconds(1).toNanos();
    return idle(deadline)
        .chain(() -> store.releaseAll(owner))
        .onFailure().recoverWithNull().replaceWithVoid();
  }

  /** Completes once no attempt is in flight here, or at the deadline (an attempt may take the timeout). */
  private Uni<Void> idle(long deadline) {
    CompletableFuture<Void> idle = new CompletableFuture<>();
    if (inFlight.get() == 0) {
      return Uni.createFrom().voidItem();
    }
    vertx.setPeriodic(50, id -> {
      if (inFlight.get() == 0 || System.nanoTime() > deadline) {
        vertx.cancelTimer(id);
        idle.complete(null);
      }
    });
    return Uni.createFrom().completionStage(idle);
  }

  /** Endpoints being sent to by this server now. */
  public int inFlight() {
    return inFlight.get();
  }

  private void tick() {
    if (stopped || !claiming.compareAndSet(false, true)) {
      return; // a claim under way: claimAgain, if a wake set it, runs another once it is done
    }
    int room = settings.concurrency() - inFlight.get();
    if (room <= 0) {
      claiming.set(false);
      return; // a drain ending ticks again if a wake came meanwhile
    }
    claimAgain.set(false);
    store.claim(owner, settings.lease(), room).subscribe().with(targets -> {
      failuresInARow = 0;
      claiming.set(false);
      for (Target t : targets) {
        inFlight.incrementAndGet();
        drain(t, 0).subscribe().with(
            again -> {
              inFlight.decrementAndGet();
              if (again || claimAgain.get()) {
                tickSoon(); // a slot is free for an endpoint a wake found busy or full
              }
            },
            e -> {
              inFlight.decrementAndGet();
              LOG.warnf("webhooks: sending to endpoint %s failed; it is retried once its lease lapses: %s", t.id(),
                  e.getMessage());
            });
      }
      if (claimAgain.get()) {
        tickSoon(); // a wake came while claiming: the claim may have missed what it announced
      }
    }, e -> {
      claiming.set(false);
      if (failuresInARow++ % 20 == 0) {
        LOG.warnf("webhooks: looking for due deliveries failed (retried every %s): %s", settings.poll(),
            e.getMessage());
      }
    });
  }

  /**
   * Sends the endpoint's due deliveries, a run at a time, then gives its lease back. Answers whether
   * to look for due endpoints again at once: the claim is used up, or deliveries were queued after
   * the queue was last read (their wake found this endpoint leased here, so no claim took them).
   */
  private Uni<Boolean> drain(Target target, int sent) {
    if (stopped || sent >= PER_CLAIM) {
      return store.release(target.id(), owner).replaceWith(!stopped);
    }
    long seen = wakes.get();
    return store.heads(target.id(), RUN).chain(heads -> {
      if (heads.isEmpty() || !heads.get(0).due()) {
        return store.release(target.id(), owner).replaceWith(() -> !stopped && wakes.get() != seen);
      }
      return withPayloads(heads).chain(sendable -> run(target, sendable, 0, new Run(System.nanoTime())))
          .chain(run -> run.attempts() == 0 ? store.release(target.id(), owner).replaceWith(false) // stopped
              : record(target, run).chain(held -> held.isPresent()
                  ? drain(held.get(), sent + run.attempts())
                  : store.release(target.id(), owner).replaceWith(false))); // disabled, deleted or lease lost
    });
  }

  /**
   * The heads with their bodies. An event the log does not answer (it cannot vanish: the log is never
   * trimmed) ends the run before it, so nothing is sent out of order.
   */
  private Uni<List<Head>> withPayloads(List<Head> heads) {
    return payloads.at(heads.stream().map(Head::position).toList()).map(bodies -> {
      List<Head> out = new ArrayList<>(heads.size());
      for (Head h : heads) {
        String body = bodies.get(h.position());
        if (body == null) {
          LOG.errorf("webhooks: no event at position %d for delivery %d; its endpoint's queue waits", h.position(),
              h.id());
          break;
        }
        out.add(h.withPayload(body));
      }
      return out;
    });
  }

  /**
   * A run of attempts on one endpoint: the deliveries the receiver took, in order, and the attempt
   * that failed, which ends the run (the deliveries behind it wait for its retry).
   */
  private static final class Run {
    final long started;
    final List<Delivered> delivered = new ArrayList<>();
    Head failed;
    Outcome failure;

    Run(long started) {
      this.started = started;
    }

    int attempts() {
      return delivered.size() + (failed == null ? 0 : 1);
    }
  }

  /**
   * Sends {@code heads} from {@code i} on, one after the other, until one fails, one is not due, or
   * the run has taken the timeout: a run then lasts at most twice the timeout, within the lease.
   */
  private Uni<Run> run(Target target, List<Head> heads, int i, Run run) {
    if (i >= heads.size() || stopped || !heads.get(i).due()
        || System.nanoTime() - run.started > settings.timeout().toNanos()) {
      return Uni.createFrom().item(run);
    }
    Head head = heads.get(i);
    return attempt(target, head).chain(outcome -> {
      if (outcome.success()) {
        run.delivered.add(new Delivered(head.id(), outcome));
        return run(target, heads, i + 1, run);
      }
      run.failed = head;
      run.failure = outcome;
      return Uni.createFrom().item(run);
    });
  }

  /**
   * Records a run: its deliveries in one statement, then its failed attempt, if any, on its own (it
   * may disable the endpoint). Until the run is recorded its deliveries stay pending, so a crash
   * sends them again: at least once. Answers the endpoint's target if this server still holds it.
   */
  private Uni<Optional<Target>> record(Target target, Run run) {
    Uni<Optional<Target>> delivered = run.delivered.isEmpty() ? Uni.createFrom().item(Optional.of(target))
        : store.delivered(target.id(), run.delivered, owner, settings.lease());
    if (run.failed == null) {
      return delivered;
    }
    return delivered.chain(() -> store.record(target.id(), run.failed.id(), run.failure, settings.disableAfter()))
        .invoke(disabled -> disabled.ifPresent(reason -> LOG.warnf(
            "webhooks: endpoint %s (%s) disabled (event io.strata.webhook.disabled.v1): %s", target.id(),
            target.url(), reason)))
        .chain(() -> store.renew(target.id(), owner, settings.lease()));
  }

  /** One attempt: resolve and check the address, POST the body, and judge the answer. */
  Uni<Outcome> attempt(Target target, Head head) {
    Instant at = Instant.now();
    long started = System.nanoTime();
    URI uri = URI.create(target.url());
    String host = unbracket(uri.getHost());
    // one deadline for the whole attempt, the DNS lookup included: an attempt never outlives the
    // timeout (nor, then, the endpoint's lease, at least twice as long), and a lookup answering late
    // sends nothing
    Promise<Answer> done = Promise.promise();
    HttpClientRequest[] inHand = new HttpClientRequest[1];
    long deadline = vertx.setTimer(settings.timeout().toMillis(), t -> {
      if (done.tryFail("no answer within " + settings.timeout().toSeconds() + " s (timeout)") && inHand[0] != null) {
        inHand[0].reset();
      }
    });
    address(host)
        .onSuccess(address -> {
          if (!done.future().isComplete()) {
            post(uri, host, address, target, head, done, inHand);
          }
        })
        .onFailure(done::tryFail);
    Future<Answer> answered = done.future().onComplete(r -> vertx.cancelTimer(deadline));
    return Uni.createFrom().completionStage(answered.toCompletionStage())
        .map(answer -> judge(at, started, answer, head, null))
        .onFailure().recoverWithItem(e -> judge(at, started, null, head, e));
  }

  /** A host's checked address, and until when (System.nanoTime) it is used without a new lookup. */
  private record Checked(InetAddress address, long until) {}

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

  /** The receiver's status and the start of its answer. */
  record Answer(int status, String body) {}

  /**
   * POSTs to the checked address, naming the host only in Host and SNI; redirects are not followed,
   * and the answer is read up to {@link #MAX_ANSWER_BYTES}. Completes {@code done}; the request in
   * flight is kept in {@code inHand} for the deadline to cut.
   */
  private void post(URI uri, String host, InetAddress address, Target target, Head head, Promise<Answer> done,
      HttpClientRequest[] inHand) {
    boolean tls = "https".equalsIgnoreCase(uri.getScheme());
    int port = uri.getPort() > 0 ? uri.getPort() : tls ? 443 : 80;
    String path = (uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath())
        + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
    String id = head.eventId().toString();
    long timestamp = Instant.now().getEpochSecond();
    String signature = target.signingSecrets(Instant.now()).stream()
        .map(secret -> WebhookSigner.sign(secret, id, timestamp, head.payload()))
        .collect(Collectors.joining(" "));
    RequestOptions options = new RequestOptions()
        .setMethod(HttpMethod.POST)
        .setServer(SocketAddress.inetSocketAddress(port, address.getHostAddress()))
        .setHost(host)
        .setPort(port)
        .setSsl(tls)
        .setURI(path)
        .setFollowRedirects(false)
        .putHeader("content-type", "application/cloudevents+json; charset=utf-8")
        .putHeader("user-agent", "Strata-Webhooks/1")
        .putHeader("webhook-id", id)
        .putHeader("webhook-timestamp", String.valueOf(timestamp))
        .putHeader("webhook-signature", signature);
    http.request(options)
        .compose(request -> {
          inHand[0] = request;
          if (done.future().isComplete()) { // the deadline passed while connecting
            request.reset();
            return Future.failedFuture("timed out while connecting");
          }
          return request.send(Buffer.buffer(head.payload().getBytes(StandardCharsets.UTF_8)));
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
    boolean last = !success && retry >= settings.retrySchedule().size();
    Duration wait = success || last ? Duration.ZERO : jitter(settings.retrySchedule().get(retry));
    return new Outcome(at, status, latency, error == null ? null : clip(error), success,
        status != null && status == 410, wait, last);
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
