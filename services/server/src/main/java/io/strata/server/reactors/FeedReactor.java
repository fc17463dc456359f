package io.strata.server.reactors;

import io.smallrye.mutiny.Uni;
import io.strata.projections.log.EventLog;
import io.strata.projections.log.EventLog.FeedCursor;
import io.strata.projections.log.EventLog.FeedEvent;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import org.jboss.logging.Logger;

/**
 * One reactor following the event feed at least once: it claims its lease, reads the events after
 * its checkpoint in commit order, hands each batch to its {@link Handler}, and moves the checkpoint
 * (renewing the lease) only when the handler succeeded. While the lease surely covers the next
 * batch, the reactor goes on from the checkpoint it wrote without claiming again, so a busy feed
 * costs a read and a write per batch; after a batch that was not full it lingers {@link #LINGER}
 * before reading again, so that under load batches grow instead of the rounds multiplying. An idle
 * reactor reads again at its poll, or {@link #LINGER} after an append on this server. A failed batch is retried from the checkpoint after an
 * exponential backoff with jitter, so an outage makes the reactor wait, never skip. Only the lease
 * holder reads; the others check every half lease and take over when it lapses (a crash) or is
 * released (a clean stop). A handler slower than {@link Settings#handlerTimeout()} fails its batch,
 * which keeps a stuck handler from outliving its lease.
 *
 * <p>Rounds run on a Vert.x timer and chain non-blocking calls; a handler with blocking work must
 * move it to a worker itself.
 */
public final class FeedReactor {
  private static final Logger LOG = Logger.getLogger(FeedReactor.class);

  /** Acts on a batch of events (in feed order); its success moves the checkpoint past them. */
  @FunctionalInterface
  public interface Handler {
    Uni<Void> handle(List<FeedEvent> batch);
  }

  /**
   * @param lease how long a claim holds without renewal; a crashed owner is replaced after this
   * @param poll how long an idle reactor waits before reading the feed again
   * @param batchSize the most events handed over at once
   * @param handlerTimeout how long a batch may take before it counts as failed (below the lease)
   * @param maxBackoff the longest wait between retries of a failing batch
   */
  public record Settings(Duration lease, Duration poll, int batchSize, Duration handlerTimeout, Duration maxBackoff) {
    public Settings {
      if (handlerTimeout.compareTo(lease) >= 0) {
        throw new IllegalArgumentException("a batch must time out before the lease lapses");
      }
    }
  }

  /**
   * The wait after a batch that was not full: adds at most this to an event's way out, and lets a
   * feed taking hundreds of commits a second be read in batches rather than an event or two at a time.
   */
  static final Duration LINGER = Duration.ofMillis(50);

  private enum Outcome { NOT_OWNER, IDLE, HANDLED, FULL, LOST }

  private final String name;
  private final Vertx vertx;
  private final EventLog log;
  private final ReactorCheckpoints checkpoints;
  private final Settings settings;
  private final Handler handler;

  private volatile boolean stopped = true;
  private volatile boolean owner;
  private volatile long timer = -1;
  /** The timer set is an idle wait (the feed was found empty), which a wake may cut short. */
  private boolean idleWait;
  /** A wake came while a round was under way. */
  private boolean woken;
  private final Runnable waker = this::wake;
  /** The checkpoint this server last claimed or wrote, while it owns the reactor. */
  private volatile FeedCursor checkpoint;
  /** When (System.nanoTime) the lease was last claimed or renewed: the statement's start, so early. */
  private volatile long renewedAt;
  private volatile CompletableFuture<Void> round = CompletableFuture.completedFuture(null);
  private volatile int failures;
  private volatile String lastError;
  private volatile Instant lastErrorAt;

  public FeedReactor(String name, Vertx vertx, EventLog log, ReactorCheckpoints checkpoints, Settings settings,
      Handler handler) {
    this.name = name;
    this.vertx = vertx;
    this.log = log;
    this.checkpoints = checkpoints;
    this.settings = settings;
    this.handler = handler;
  }

  public String name() {
    return name;
  }

  public synchronized void start() {
    if (!stopped) {
      return;
    }
    stopped = false;
    log.onAppended(waker);
    schedule(Duration.ZERO);
  }

  /** Stops after the batch in hand (if any) and releases the lease, so another server takes over at once. */
  public Uni<Void> stop() {
    synchronized (this) {
      stopped = true;
      log.removeAppendListener(waker);
      if (timer >= 0) {
        vertx.cancelTimer(timer);
        timer = -1;
      }
    }
    return Uni.createFrom().completionStage(round)
        .onFailure().recoverWithNull()
        .chain(() -> owner ? checkpoints.release(name) : Uni.createFrom().voidItem())
        .onFailure().recoverWithUni(failure -> {
          LOG.warnf("reactor %s: releasing its lease failed; it lapses by itself within %s: %s", name,
              settings.lease(), failure.getMessage());
          return Uni.createFrom().voidItem();
        })
        .invoke(() -> {
          owner = false;
          checkpoint = null;
        });
  }

  /**
   * Reads the feed after {@link #LINGER} rather than at the end of the idle wait: an event was just
   * appended here (the log tells every reactor of this server). Only an idle wait is cut short, so
   * a busy feed is still read in batches; appends on other servers are found by the poll.
   */
  public synchronized void wake() {
    if (stopped || failures > 0) {
      return; // a failing reactor keeps its backoff
    }
    if (timer < 0) {
      woken = true; // a round is under way: its read may have missed the event, so it does not idle
    } else if (idleWait && vertx.cancelTimer(timer)) {
      timer = -1;
      schedule(LINGER, false);
    }
  }

  /** Whether this server holds the lease now, the batches failed in a row, and the last failure. */
  public State state() {
    return new State(name, owner, failures, lastError, lastErrorAt);
  }

  private void schedule(Duration delay) {
    schedule(delay, false);
  }

  /** Runs a round after {@code delay}; {@code idle}: an idle wait, which {@link #wake} may cut short. */
  private synchronized void schedule(Duration delay, boolean idle) {
    if (stopped) {
      return;
    }
    idleWait = idle;
    timer = vertx.setTimer(Math.max(1, delay.toMillis()), id -> {
      synchronized (this) {
        timer = -1;
        woken = false; // the round reads what was appended before it began
        if (stopped) {
          return;
        }
        round = new CompletableFuture<>();
      }
      runRound();
    });
  }

  /** After a round that found nothing: waits for the poll, unless a wake came during the round. */
  private synchronized void idle() {
    if (woken) {
      schedule(LINGER, false);
    } else {
      schedule(settings.poll(), true);
    }
  }

  private void runRound() {
    CompletableFuture<Void> done = round;
    oneRound().subscribe().with(
        outcome -> {
          failures = 0;
          done.complete(null);
          switch (outcome) {
            case FULL -> schedule(Duration.ZERO);
            case HANDLED -> schedule(LINGER.compareTo(settings.poll()) < 0 ? LINGER : settings.poll());
            case IDLE -> idle();
            case LOST -> schedule(settings.poll(), true);
            case NOT_OWNER -> schedule(settings.lease().dividedBy(2));
          }
        },
        failure -> {
          failures++;
          lastError = failure.getMessage() != null ? failure.getMessage() : failure.toString();
          lastErrorAt = Instant.now();
          if (failures == 1 || failures % 20 == 0) {
            LOG.warnf("reactor %s: a batch failed (%d in a row), retried from its checkpoint: %s", name, failures,
                lastError);
          }
          done.complete(null);
          schedule(backoff());
        });
  }

  private Uni<Outcome> oneRound() {
    return checkpoint().chain(claimed -> {
      owner = claimed.isPresent();
      if (claimed.isEmpty()) {
        checkpoint = null;
        return Uni.createFrom().item(Outcome.NOT_OWNER);
      }
      // the read is bounded too: read and handler together end before the lease renewed at renewedAt
      // lapses, so no other server can have taken over while the batch is handled
      long readFor = renewedAt + settings.lease().minus(settings.handlerTimeout()).toNanos() - System.nanoTime();
      if (readFor <= 0) {
        return Uni.createFrom().failure(new IllegalStateException("claiming the lease took too long to go on"));
      }
      return log.readFeed(claimed.get(), null, null, settings.batchSize())
          .ifNoItem().after(Duration.ofNanos(readFor)).failWith(() -> new IllegalStateException(
              "reading the feed took too long to handle it within the lease"))
          .chain(batch -> {
        if (batch.isEmpty()) {
          return Uni.createFrom().item(Outcome.IDLE);
        }
        long advancing = System.nanoTime();
        return handler.handle(batch)
            .ifNoItem().after(settings.handlerTimeout()).failWith(() ->
                new IllegalStateException("the batch took longer than " + settings.handlerTimeout()))
            .chain(() -> checkpoints.advance(name, last(batch), settings.lease()))
            .map(moved -> {
              if (!moved) {
                owner = false;
                checkpoint = null;
                LOG.infof("reactor %s: lost its lease to another server; that one goes on from the checkpoint",
                    name);
                return Outcome.LOST;
              }
              checkpoint = last(batch);
              renewedAt = advancing; // the lease was renewed no earlier than the batch's start
              return batch.size() < settings.batchSize() ? Outcome.HANDLED : Outcome.FULL;
            });
      });
    });
  }

  /**
   * Where to read from: the checkpoint this server wrote, while the lease it renewed then surely
   * outlasts another batch (reading and handling it, up to the handler's timeout); otherwise the
   * lease is claimed (or renewed) and the checkpoint read back. Empty when another server holds it.
   */
  private Uni<Optional<FeedCursor>> checkpoint() {
    FeedCursor known = checkpoint;
    // half of what the lease leaves beyond the handler's timeout: the other half is the read's
    long margin = settings.lease().minus(settings.handlerTimeout()).toNanos() / 2;
    if (owner && known != null && System.nanoTime() - renewedAt < margin) {
      return Uni.createFrom().item(Optional.of(known));
    }
    long claiming = System.nanoTime();
    return checkpoints.claim(name, settings.lease()).invoke(claimed -> {
      checkpoint = claimed.orElse(null);
      renewedAt = claiming;
    });
  }

  private static FeedCursor last(List<FeedEvent> batch) {
    return batch.get(batch.size() - 1).cursor();
  }

  /** poll × 2^failures, at most maxBackoff, with up to a quarter of jitter (servers do not retry in step). */
  private Duration backoff() {
    long base = settings.poll().toMillis() << Math.min(failures, 20);
    long capped = Math.min(Math.max(base, 1), settings.maxBackoff().toMillis());
    return Duration.ofMillis(capped - ThreadLocalRandom.current().nextLong(capped / 4 + 1));
  }

  /** A reactor as seen from this server. */
  public record State(String name, boolean owner, int failuresInARow, String lastError, Instant lastErrorAt) {
    public Optional<String> error() {
      return Optional.ofNullable(lastError);
    }
  }
}
