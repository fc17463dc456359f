package io.strata.server.reactors.webhooks;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.strata.server.reactors.webhooks.WebhookStore.Delivered;
import io.strata.server.reactors.webhooks.WebhookStore.Head;
import io.strata.server.reactors.webhooks.WebhookStore.Queue;
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
import io.vertx.core.net.TrustOptions;
import java.net.InetAddress;
import java.net.URI;
import java.nio.file.Path;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.jboss.logging.Logger;

/**
 * Sends the queued deliveries: per endpoint one at a time, in feed order. An endpoint's head (its
 * oldest pending delivery) is sent when due; the deliveries behind it wait until it is delivered or
 * has failed, so a receiver sees each repository's events in order even across retries (at the price
 * of head-of-line blocking: an endpoint that is down holds its queue). A server sends to an endpoint
 * only while it holds the endpoint's lease, so several servers never send to one at once.
 *
 * <p>A server keeps the leases it took (renewing them every quarter lease, all in one statement)
 * while it has room for them, up to {@link Settings#concurrency()} endpoints; it lets one go when
 * that room is wanted, when the endpoint is disabled or deleted, and when it stops. Deliveries go in
 * runs: up to {@link #RUN} pending deliveries are read at once, sent one after the other while the
 * receiver takes them, and recorded together. The reads and the records of endpoints busy at once
 * are each made in one statement ({@link Coalescer}), so a busy feed costs the database two
 * statements per round of runs, whatever the number of endpoints.
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
  /**
   * Attempts made on one endpoint before its lease is given back when every slot is taken, so that
   * a busy endpoint does not keep others waiting for a slot.
   */
  private static final int PER_CLAIM = 500;
  /** The most deliveries read, sent one after the other and then recorded together. */
  static final int RUN = 50;
  /** How long a host's resolved and checked address is used before it is looked up (and checked) again. */
  static final Duration ADDRESS_TTL = Duration.ofSeconds(5);

  /** How the sender behaves; the defaults come from STRATA_WEBHOOKS_*. */
  public record Settings(Duration timeout, List<Duration> retrySchedule, Duration disableAfter, Duration poll,
      Duration lease, int concurrency, List<Path> trustedCertificates) {
    public Settings {
      if (lease.compareTo(timeout.multipliedBy(2)) < 0) {
        throw new IllegalArgumentException("STRATA_WEBHOOKS_LEASE must be at least twice STRATA_WEBHOOKS_TIMEOUT");
      }
      if (retrySchedule.isEmpty() || concurrency < 1) {
        throw new IllegalArgumentException("STRATA_WEBHOOKS_RETRY_SCHEDULE and _CONCURRENCY may not be empty or 0");
      }
    }
  }

  /** An endpoint whose lease this server holds. Its flags change under its own lock. */
  private static final class Slot {
    final String id;
    /** Until when (System.nanoTime) the lease surely holds: its last renewal's start plus the lease. */
    volatile long leasedUntil;
    /** A drain is under way; a second one never runs beside it. */
    boolean draining;
    /** Deliveries may have been queued since the queue was last read: the drain reads it again. */
    boolean dirty;
    /** Attempts since the lease was taken. */
    int attempts;
    /** Let go (or being let go): no drain starts on it any more; a new claim makes a new slot. */
    boolean gone;

    Slot(String id, long leasedUntil) {
      this.id = id;
      this.leasedUntil = leasedUntil;
    }
  }

  private final Vertx vertx;
  private final WebhookStore store;
  private final Payloads payloads;
  private final AddressGuard guard;
  private final Settings settings;
  private final String owner;
  private final HttpClient http;
  /** The queues of held endpoints, read together when several are wanted at once. */
  private final Coalescer<String, Queue> queues;
  /** The runs of held endpoints, recorded together when several end at once. */
  private final Coalescer<WebhookStore.Run, Boolean> records;
  private final Map<String, Slot> held = new ConcurrentHashMap<>();
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicBoolean claiming = new AtomicBoolean();
  /** Set by a wake for an endpoint not held here: a claim under way may have missed it, so another follows. */
  private final AtomicBoolean claimAgain = new AtomicBoolean();
  /** A host's checked address, kept for {@link #ADDRESS_TTL}. */
  private final Map<String, Checked> addresses = new ConcurrentHashMap<>();
  private volatile boolean stopped = true;
  private volatile long timer = -1;
  private volatile long renewedAt;
  private volatile int failuresInARow;

  WebhookSender(Vertx vertx, WebhookStore store, Payloads payloads, AddressGuard guard, Settings settings,
      String owner) {
    this.vertx = vertx;
    this.store = store;
    this.payloads = payloads;
    this.guard = guard;
    this.settings = settings;
    this.owner = owner;
    this.queues = new Coalescer<>(ids -> store.queues(ids, owner, RUN));
    this.records = new Coalescer<>(this::recordTogether);
    int ms = (int) Math.min(Integer.MAX_VALUE, settings.timeout().toMillis());
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

  public synchronized void start() {
    if (!stopped) {
      return;
    }
    stopped = false;
    renewedAt = System.nanoTime();
    timer = vertx.setPeriodic(settings.poll().toMillis(), id -> tick());
    vertx.runOnContext(v -> tick());
  }

  /**
   * Deliveries were just queued for {@code endpoints}: those held here are read again at once, and
   * the others are claimed.
   */
  public void wake(Collection<String> endpoints) {
    boolean unheld = false;
    for (String id : endpoints) {
      Slot slot = held.get(id);
      if (slot == null) {
        unheld = true;
      } else {
        kick(slot);
      }
    }
    if (unheld) {
      tickSoon();
    }
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
        .invoke(() -> held.values().forEach(slot -> {
          synchronized (slot) {
            slot.gone = true;
          }
        }))
        .chain(() -> store.releaseAll(owner))
        .onFailure().recoverWithNull()
        .invoke(held::clear)
        .replaceWithVoid();
  }

  /**
   * Completes once no attempt and no claim is in flight here, or at the deadline (an attempt may take
   * the timeout): a claim ending after the leases were released would keep the ones it took.
   */
  private Uni<Void> idle(long deadline) {
    CompletableFuture<Void> idle = new CompletableFuture<>();
    if (inFlight.get() == 0 && !claiming.get()) {
      return Uni.createFrom().voidItem();
    }
    vertx.setPeriodic(50, id -> {
      if ((inFlight.get() == 0 && !claiming.get()) || System.nanoTime() > deadline) {
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

  /**
   * Every poll: renews the leases held (every quarter lease), claims endpoints with due deliveries
   * while there is room, and reads every held endpoint's queue (retries come due, other servers queue
   * deliveries, operators ask for redeliveries).
   */
  private void tick() {
    if (stopped || !claiming.compareAndSet(false, true)) {
      return; // a claim under way: claimAgain, if a wake set it, runs another once it is done
    }
    if (stopped) { // stopped meanwhile: stop() saw no claim under way and releases without waiting
      claiming.set(false);
      return;
    }
    claimAgain.set(false);
    renewIfDue().chain(this::claim).subscribe().with(v -> {
      failuresInARow = 0;
      claiming.set(false);
      held.values().forEach(this::kick);
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

  private Uni<Void> renewIfDue() {
    long started = System.nanoTime();
    if (held.isEmpty() || started - renewedAt < settings.lease().toNanos() / 4) {
      return Uni.createFrom().voidItem();
    }
    List<Slot> slots = List.copyOf(held.values());
    return store.renew(owner, slots.stream().map(slot -> slot.id).toList(), settings.lease()).invoke(renewed -> {
      renewedAt = started;
      Set<String> still = Set.copyOf(renewed);
      for (Slot slot : slots) {
        if (still.contains(slot.id)) {
          slot.leasedUntil = started + settings.lease().toNanos();
        } else {
          // disabled, deleted, or lapsed (to another server, perhaps): its drain, if one is under way,
          // cannot begin an attempt on the lease it had, and none starts again
          letGo(slot).subscribe().with(x -> { }, e -> { });
        }
      }
    }).replaceWithVoid();
  }

  private Uni<Void> claim() {
    int room = settings.concurrency() - held.size();
    if (room <= 0) {
      return Uni.createFrom().voidItem();
    }
    long started = System.nanoTime();
    return store.claim(owner, settings.lease(), room).invoke(ids -> {
      long until = started + settings.lease().toNanos();
      for (String claimed : ids) {
        // an endpoint still held here whose lease lapsed (the database was away) keeps its slot, so its
        // drain stays the only one; one being let go keeps its place until its release is done (that
        // release then undoes this claim, and the endpoint is claimed afresh)
        held.compute(claimed, (id, slot) -> {
          if (slot == null) {
            return new Slot(id, until);
          }
          synchronized (slot) {
            if (!slot.gone) {
              slot.leasedUntil = until;
            }
          }
          return slot;
        });
      }
    }).replaceWithVoid();
  }

  /** Has the endpoint's queue read (again), by a drain starting now or by the one under way. */
  private void kick(Slot slot) {
    synchronized (slot) {
      slot.dirty = true;
      if (slot.draining || slot.gone || stopped) {
        return;
      }
      slot.draining = true;
    }
    inFlight.incrementAndGet();
    drain(slot);
  }

  /**
   * Sends the endpoint's due deliveries, a pass at a time, for as long as deliveries may be waiting
   * (a run used up what was read, or a wake came since the read). Each pass is a subscription of its
   * own, so a drain that goes on for hours holds no chain of the passes before.
   */
  private void drain(Slot slot) {
    pass(slot).subscribe().with(
        again -> {
          if (again) {
            drain(slot);
          } else {
            inFlight.decrementAndGet();
          }
        },
        e -> {
          synchronized (slot) {
            slot.draining = false;
          }
          inFlight.decrementAndGet();
          LOG.warnf("webhooks: sending to endpoint %s failed; it is tried again at the next poll: %s", slot.id,
              e.getMessage());
        });
  }

  /**
   * One pass: reads the endpoint's queue and sends a run of its due deliveries. Answers whether
   * another pass follows; when none does, the drain has ended (the slot says so under its lock, so a
   * wake either sees the drain under way, which reads again, or starts one).
   */
  private Uni<Boolean> pass(Slot slot) {
    synchronized (slot) {
      if (stopped || slot.gone || !slot.dirty || !covers(slot)) {
        slot.draining = false; // a lease too short to send on is renewed by the next poll, which kicks again
        return Uni.createFrom().item(false);
      }
      slot.dirty = false;
    }
    return queues.submit(slot.id).chain(queue -> {
      if (queue.target() == null) {
        return letGo(slot); // disabled, deleted or the lease lapsed to another server
      }
      List<Head> heads = queue.heads();
      if (heads.isEmpty() || !heads.get(0).due()) {
        // nothing to send now: with every slot taken, room for an endpoint that has something (one
        // whose receiver is down keeps no slot while it waits for its retry)
        return held.size() >= settings.concurrency() ? letGo(slot)
            : Uni.createFrom().item(true); // ends unless a wake came since the read
      }
      return withPayloads(heads).chain(sendable -> run(slot, queue.target(), sendable, 0, new Run(System.nanoTime())))
          .chain(run -> record(queue.target(), run).chain(disabled -> {
            slot.attempts += run.attempts();
            if (disabled || stopped) {
              return letGo(slot);
            }
            if (slot.attempts >= PER_CLAIM && held.size() >= settings.concurrency()) {
              return letGo(slot); // room for an endpoint waiting for a slot
            }
            if (run.failed == null && run.attempts() > 0) {
              synchronized (slot) {
                // a run cut short, or one that took a full read: more may wait behind it
                slot.dirty |= run.attempts() < heads.size() || heads.size() == RUN;
              }
            }
            return Uni.createFrom().item(true);
          }));
    });
  }

  /** Whether the lease outlasts an attempt begun now: attempts are only begun under a lease. */
  private boolean covers(Slot slot) {
    return slot.leasedUntil - System.nanoTime() > settings.timeout().toNanos();
  }

  /**
   * Gives the endpoint's lease back; its drain ends and no other starts on this slot. The slot leaves
   * {@link #held} once the release is done, so a claim meanwhile cannot make a second slot whose
   * lease this release would clear; then a claim follows, for what was queued meanwhile (its wake
   * found the slot going).
   */
  private Uni<Boolean> letGo(Slot slot) {
    synchronized (slot) {
      slot.gone = true;
      slot.draining = false;
    }
    return store.release(slot.id, owner).onFailure().recoverWithNull() // else the lease lapses
        .invoke(() -> {
          held.remove(slot.id, slot);
          tickSoon();
        })
        .replaceWith(false);
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
   * Sends {@code heads} from {@code i} on, one after the other, until one fails, one is not due, the
   * run has taken the timeout, or the lease would not outlast another attempt.
   */
  private Uni<Run> run(Slot slot, Target target, List<Head> heads, int i, Run run) {
    if (i >= heads.size() || stopped || !heads.get(i).due() || !covers(slot)
        || System.nanoTime() - run.started > settings.timeout().toNanos()) {
      return Uni.createFrom().item(run);
    }
    Head head = heads.get(i);
    return attempt(target, head).chain(outcome -> {
      if (outcome.success()) {
        run.delivered.add(new Delivered(head.id(), outcome));
        return run(slot, target, heads, i + 1, run);
      }
      run.failed = head;
      run.failure = outcome;
      return Uni.createFrom().item(run);
    });
  }

  /**
   * Records runs of several endpoints in one statement; if that fails, each on its own, so that one
   * endpoint's trouble (deleted at that very moment, say) costs the others nothing. Answers, per run,
   * whether it was recorded.
   */
  private Uni<List<Boolean>> recordTogether(List<WebhookStore.Run> runs) {
    Uni<List<Boolean>> together = store.delivered(runs).map(v -> Collections.nCopies(runs.size(), true));
    if (runs.size() == 1) {
      return together.onFailure().recoverWithItem(List.of(false));
    }
    return together.onFailure().recoverWithUni(() -> Multi.createFrom().iterable(runs)
        .onItem().transformToUniAndConcatenate(run -> store.delivered(List.of(run)).replaceWith(true)
            .onFailure().recoverWithItem(false))
        .collect().asList());
  }

  /**
   * Records a run: its deliveries together with other endpoints' runs ending meanwhile, then its
   * failed attempt, if any, on its own (it may disable the endpoint). Until the run is recorded its
   * deliveries stay pending, so a crash sends them again: at least once. Answers whether the
   * endpoint was disabled.
   */
  private Uni<Boolean> record(Target target, Run run) {
    Uni<Void> delivered = run.delivered.isEmpty() ? Uni.createFrom().voidItem()
        : records.submit(new WebhookStore.Run(target.id(), run.delivered)).chain(recorded -> recorded
            ? Uni.createFrom().voidItem()
            // its deliveries stay pending and are sent again (at least once); the drain ends here
            : Uni.createFrom().failure(new IllegalStateException("recording the run failed")));
    if (run.failed == null) {
      return delivered.replaceWith(false);
    }
    return delivered.chain(() -> store.recordFailure(target.id(), run.failed.id(), run.failure, settings.disableAfter()))
        .invoke(disabled -> disabled.ifPresent(reason -> LOG.warnf(
            "webhooks: endpoint %s (%s) disabled (event io.strata.webhook.disabled.v1): %s", target.id(),
            target.url(), reason)))
        .map(Optional::isPresent);
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
