package io.strata.server.reactors.webhooks;

import io.smallrye.mutiny.Uni;
import io.strata.server.reactors.webhooks.Attempts.Destination;
import io.strata.server.reactors.webhooks.SenderStore.Head;
import io.strata.server.reactors.webhooks.SenderStore.Queue;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
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
 * HTTP through the Vert.x client ({@link Attempts}), and only the DNS lookup (of the SSRF guard) on a
 * worker thread. Runs and their records are {@link Runs}'.
 */
public final class WebhookSender {
  private static final Logger LOG = Logger.getLogger(WebhookSender.class);
  /**
   * Attempts made on one endpoint before its lease is given back when every slot is taken, so that
   * a busy endpoint does not keep others waiting for a slot.
   */
  private static final int PER_CLAIM = 500;
  /** The most deliveries read, sent one after the other and then recorded together. */
  static final int RUN = 50;

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

  private final Vertx vertx;
  private final SenderStore store;
  private final Payloads payloads;
  private final Settings settings;
  private final String owner;
  private final Runs runs;
  /** The queues of held endpoints, read together when several are wanted at once. */
  private final Coalescer<String, Queue> queues;
  private final Map<String, Slot> held = new ConcurrentHashMap<>();
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicBoolean claiming = new AtomicBoolean();
  /** Set by a wake for an endpoint not held here: a claim under way may have missed it, so another follows. */
  private final AtomicBoolean claimAgain = new AtomicBoolean();
  private volatile boolean stopped = true;
  private volatile long timer = -1;
  private volatile long renewedAt;
  private volatile int failuresInARow;
  private final Attempts attempts;

  WebhookSender(Vertx vertx, WebhookStore store, Payloads payloads, AddressGuard guard, Settings settings,
      String owner) {
    this.vertx = vertx;
    this.store = store.sending();
    this.payloads = payloads;
    this.settings = settings;
    this.owner = owner;
    this.queues = new Coalescer<>(ids -> this.store.queues(ids, owner, RUN));
    this.attempts = new Attempts(vertx, guard, settings);
    this.runs = new Runs(attempts, this.store, settings.timeout(), settings.disableAfter());
  }

  /** {@code observer} is told how every attempt ended. */
  public void observe(java.util.function.Consumer<SenderStore.Outcome> observer) {
    attempts.observe(observer);
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
          letGo(slot);
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
    Future<Boolean> pass;
    try {
      pass = pass(slot);
    } catch (RuntimeException e) {
      pass = Future.failedFuture(e);
    }
    pass.onComplete(again -> {
      if (again.succeeded() && again.result()) {
        drain(slot);
        return;
      }
      if (again.failed()) {
        synchronized (slot) {
          slot.draining = false;
        }
        LOG.warnf("webhooks: sending to endpoint %s failed; it is tried again at the next poll: %s", slot.id,
            again.cause().getMessage());
      }
      inFlight.decrementAndGet();
    });
  }

  /**
   * One pass: reads the endpoint's queue and sends a run of its due deliveries. Answers whether
   * another pass follows; when none does, the drain has ended (the slot says so under its lock, so a
   * wake either sees the drain under way, which reads again, or starts one).
   */
  private Future<Boolean> pass(Slot slot) {
    synchronized (slot) {
      if (stopped || slot.gone || !slot.dirty || !covers(slot)) {
        slot.draining = false; // a lease too short to send on is renewed by the next poll, which kicks again
        return Future.succeededFuture(false);
      }
      slot.dirty = false;
    }
    return queues.ask(slot.id).compose(queue -> {
      if (queue.target() == null) {
        return letGo(slot); // disabled, deleted or the lease lapsed to another server
      }
      List<Head> heads = queue.heads();
      if (heads.isEmpty() || !heads.get(0).due()) {
        // nothing to send now: with every slot taken, room for an endpoint that has something (one
        // whose receiver is down keeps no slot while it waits for its retry)
        return held.size() >= settings.concurrency() ? letGo(slot)
            : Future.succeededFuture(true); // ends unless a wake came since the read
      }
      Destination target = Destination.of(queue.target());
      return withPayloads(heads)
          .compose(sendable -> runs.send(target, sendable, () -> !stopped && covers(slot)))
          .compose(run -> runs.record(target, run).compose(disabled -> {
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
            return Future.succeededFuture(true);
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
  private Future<Boolean> letGo(Slot slot) {
    synchronized (slot) {
      slot.gone = true;
      slot.draining = false;
    }
    return Future.fromCompletionStage(store.release(slot.id, owner).onFailure().recoverWithNull() // else the lease lapses
        .invoke(() -> {
          held.remove(slot.id, slot);
          tickSoon();
        })
        .replaceWith(false).subscribeAsCompletionStage());
  }

  /**
   * The heads with their bodies. An event the log does not answer (it cannot vanish: the log is never
   * trimmed) ends the run before it, so nothing is sent out of order.
   */
  private Future<List<Head>> withPayloads(List<Head> heads) {
    return payloads.at(heads.stream().map(Head::position).toList()).map(bodies -> {
      List<Head> out = new ArrayList<>(heads.size());
      for (Head h : heads) {
        byte[] body = bodies.get(h.position());
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
}
