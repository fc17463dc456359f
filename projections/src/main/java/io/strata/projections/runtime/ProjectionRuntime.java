package io.strata.projections.runtime;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.strata.events.EventCodec;
import io.strata.events.StrataEvent;
import io.strata.projections.log.EventLog;
import io.strata.projections.log.StoredEvent;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jboss.logging.Logger;

/**
 * Runs a group of projectors that write to the same database, in-process.
 *
 * <ul>
 *   <li>Ordered per stream: each stream is processed by at most one batch at a time here, and by
 *       one server at a time across servers (row locks on its checkpoints).
 *   <li>Checkpointed in the projectors' transaction: a batch applies events and moves every
 *       projector's checkpoint in one transaction; an event at or below a projector's checkpoint is
 *       skipped, so redelivery is harmless.
 *   <li>Woken by {@link #signal} right after an append in this process, and by a poll of the stream
 *       heads for appends made elsewhere (other servers, or before a restart).
 *   <li>The server's own stream ({@link io.strata.events.EventEnvelope#SERVER_STREAM}) is followed
 *       like any other: no projector acts on its events (each matches the repository events it
 *       projects), but its checkpoints advance, so {@link #awaitPosition} of a server event completes.
 * </ul>
 */
public final class ProjectionRuntime {
  private static final Logger LOG = Logger.getLogger(ProjectionRuntime.class);
  private static final int BATCH = 500;

  private final Vertx vertx;
  private final EventLog log;
  private final EventCodec codec;
  private final List<Projector> projectors;
  private final String[] names;
  private final Duration pollInterval;
  private final ProjectionProgress progress = new ProjectionProgress();
  private final Map<String, Worker> workers = new ConcurrentHashMap<>();
  private final AtomicBoolean rebuilding = new AtomicBoolean();
  private volatile long timerId = -1;
  private volatile Throwable lastFailure;
  private volatile long lagEvents;
  /** When the projections fell behind and stayed so, poll after poll ({@link System#nanoTime}); 0: caught up. */
  private volatile long behindSince;
  /** Set by {@link #stop}: no batch starts after it (the pool is about to close). */
  private volatile boolean stopped;

  public ProjectionRuntime(
      Vertx vertx, EventLog log, EventCodec codec, List<Projector> projectors, Duration pollInterval) {
    this.vertx = vertx;
    this.log = log;
    this.codec = codec;
    this.projectors = List.copyOf(projectors);
    this.names = projectors.stream().map(Projector::name).toArray(String[]::new);
    this.pollInterval = pollInterval;
  }

  /** Loads the checkpoints, catches up with every stream, then keeps polling. */
  public Uni<Void> start() {
    return loadCheckpoints()
        .invoke(() -> timerId = vertx.setPeriodic(pollInterval.toMillis(), id -> poll()))
        .chain(this::catchUpAll);
  }

  /**
   * Stops at once: no batch starts after this call. The answer completes when the batches under way
   * have ended (committed or rolled back), so that the pool can close after it without cutting one;
   * what they leave is projected at the next start, as after any restart.
   */
  public Uni<Void> stop() {
    stopped = true;
    if (timerId >= 0) {
      vertx.cancelTimer(timerId);
      timerId = -1;
    }
    return idle();
  }

  private Uni<Void> idle() {
    if (workers.values().stream().noneMatch(w -> w.running.get())) {
      return Uni.createFrom().voidItem();
    }
    return Uni.createFrom().voidItem().onItem().delayIt().by(Duration.ofMillis(20)).chain(this::idle);
  }

  /** A stream has new events: project them soon. */
  public void signal(String streamId) {
    if (stopped) {
      return;
    }
    Worker w = workers.computeIfAbsent(streamId, Worker::new);
    w.dirty.set(true);
    if (!rebuilding.get() && w.running.compareAndSet(false, true)) {
      w.runOnce();
    }
  }

  /** Completes when {@code streamId} is projected up to {@code version}, or fails after the timeout. */
  public Uni<Void> awaitVersion(String streamId, long version, Duration timeout) {
    if (progress.applied(streamId) >= version) {
      return Uni.createFrom().voidItem();
    }
    signal(streamId);
    return progress.await(streamId, version)
        .ifNoItem().after(timeout)
        .failWith(() -> new ProjectionLagging(
            "projections of " + streamId + " have not reached version " + version + " within " + timeout));
  }

  /** Completes when the event at the global {@code position} is projected. */
  public Uni<Void> awaitPosition(long position, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    return log.locate(position)
        .onItem().transformToUni(point -> point
            .map(p -> awaitVersion(p.streamId(), p.version(), remaining(deadline)))
            .orElseGet(() -> {
              if (System.nanoTime() > deadline) {
                return Uni.createFrom().failure(new ProjectionLagging(
                    "no event at position " + position + " within " + timeout));
              }
              return Uni.createFrom().voidItem()
                  .onItem().delayIt().by(Duration.ofMillis(20))
                  .chain(() -> awaitPosition(position, remaining(deadline)));
            }));
  }

  private static Duration remaining(long deadline) {
    return Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
  }

  public long applied(String streamId) {
    return progress.applied(streamId);
  }

  /** The last failure of a batch, if the most recent attempt failed (for readiness and logs). */
  public Throwable lastFailure() {
    return lastFailure;
  }

  /**
   * Drops every projection of this group and replays the whole log, in one transaction: readers see
   * the old projections until the new ones are complete.
   */
  public Uni<Map<String, Long>> rebuild() {
    if (!rebuilding.compareAndSet(false, true)) {
      return Uni.createFrom().failure(new IllegalStateException("a rebuild is already running"));
    }
    return log.pool()
        .withTransaction(tx -> tx.query(ProjectionSql.LOCK_FOR_REBUILD).execute()
            .chain(() -> deleteAll(tx))
            .chain(() -> tx.query(ProjectionSql.STREAMS).execute())
            .chain(rows -> {
              Map<String, Long> heads = new LinkedHashMap<>();
              for (Row r : rows) {
                heads.put(r.getString(0), r.getLong(1));
              }
              return Multi.createFrom().iterable(heads.entrySet())
                  .onItem().transformToUniAndConcatenate(e -> replayStream(tx, e.getKey(), e.getValue()))
                  .collect().last()
                  .replaceWith(heads);
            }))
        .invoke(heads -> {
          progress.reset();
          heads.forEach(progress::advance);
        })
        .eventually(() -> {
          rebuilding.set(false);
          workers.values().stream().filter(w -> w.dirty.get()).forEach(w -> signal(w.streamId));
        });
  }

  /** Row count and MD5 of every projection table, for comparing projections with a rebuild. */
  public Uni<Map<String, String>> digest() {
    List<String> tables = projectors.stream().flatMap(p -> p.tables().stream()).distinct().sorted().toList();
    return log.pool().withTransaction(tx -> Multi.createFrom().iterable(tables)
        .onItem().transformToUniAndConcatenate(table -> tx.query(ProjectionSql.digest(table)).execute()
            .map(rows -> {
              Row r = rows.iterator().next();
              return Map.entry(table, r.getLong(0) + ":" + r.getString(1));
            }))
        .collect().asMap(Map.Entry::getKey, Map.Entry::getValue)
        .map(map -> (Map<String, String>) new TreeMap<>(map)));
  }

  private Uni<Void> deleteAll(SqlConnection tx) {
    List<String> statements = new ArrayList<>();
    projectors.forEach(p -> p.tables().forEach(t -> statements.add("delete from " + t)));
    return Multi.createFrom().iterable(statements)
        .onItem().transformToUniAndConcatenate(sql -> tx.query(sql).execute())
        .collect().last()
        .chain(() -> tx.preparedQuery(ProjectionSql.DELETE_CHECKPOINTS).execute(Tuple.of((Object) names)))
        .replaceWithVoid();
  }

  private Uni<Void> replayStream(SqlConnection tx, String streamId, long head) {
    return replayFrom(tx, streamId, 0, head)
        .chain(() -> tx.preparedQuery(ProjectionSql.INSERT_CHECKPOINTS)
            .execute(Tuple.of(names, streamId, head)))
        .replaceWithVoid();
  }

  private Uni<Void> replayFrom(SqlConnection tx, String streamId, long after, long head) {
    if (after >= head) {
      return Uni.createFrom().voidItem();
    }
    Map<String, Long> fromZero = new LinkedHashMap<>();
    for (String n : names) {
      fromZero.put(n, after);
    }
    return log.readStream(tx, streamId, after, head, BATCH)
        .chain(events -> applyAll(tx, events, fromZero)
            .chain(() -> events.isEmpty()
                ? Uni.createFrom().voidItem()
                : replayFrom(tx, streamId, events.get(events.size() - 1).streamVersion(), head)));
  }

  private Uni<Void> loadCheckpoints() {
    return log.pool().preparedQuery(ProjectionSql.LOWEST_CHECKPOINTS)
        .execute(Tuple.of(names, names.length))
        .invoke(rows -> rows.forEach(r -> progress.advance(r.getString(0), r.getLong(1))))
        .replaceWithVoid();
  }

  private Uni<Void> catchUpAll() {
    return log.streamVersions()
        .invoke(heads -> {
          long behind = 0;
          for (Map.Entry<String, Long> head : heads.entrySet()) {
            long applied = progress.applied(head.getKey());
            if (applied < head.getValue()) {
              behind += head.getValue() - applied;
              signal(head.getKey());
            }
          }
          lagEvents = behind;
          if (behind == 0) {
            behindSince = 0;
          } else if (behindSince == 0) {
            behindSince = System.nanoTime();
          }
        })
        .replaceWithVoid();
  }

  /** Events appended but not projected yet, over every stream, as the last poll found them. */
  public long lagEvents() {
    return lagEvents;
  }

  /** How long the projections have been behind without catching up (0: caught up at the last poll). */
  public double lagSeconds() {
    long since = behindSince;
    return since == 0 ? 0 : (System.nanoTime() - since) / 1e9;
  }

  private void poll() {
    if (rebuilding.get()) {
      return;
    }
    catchUpAll().subscribe().with(ok -> {}, e -> LOG.debugf(e, "polling stream heads failed"));
  }

  /**
   * Applies up to one batch of a stream's events and moves the checkpoints, in one transaction.
   *
   * @return whether more events may follow
   */
  private Uni<Boolean> processBatch(String streamId) {
    return log.pool().withTransaction(tx -> tx.preparedQuery(ProjectionSql.ENSURE_CHECKPOINTS)
            .execute(Tuple.of(names, streamId))
            .chain(() -> tx.preparedQuery(ProjectionSql.LOCK_CHECKPOINTS).execute(Tuple.of(names, streamId)))
            .chain(rows -> {
              Map<String, Long> checkpoints = new LinkedHashMap<>();
              rows.forEach(r -> checkpoints.put(r.getString(0), r.getLong(1)));
              long lowest = checkpoints.values().stream().mapToLong(Long::longValue).min().orElse(0);
              return log.readStream(tx, streamId, lowest, Long.MAX_VALUE, BATCH)
                  .chain(events -> {
                    if (events.isEmpty()) {
                      return Uni.createFrom().item(new Batch(lowest, false));
                    }
                    long last = events.get(events.size() - 1).streamVersion();
                    return applyAll(tx, events, checkpoints)
                        .chain(() -> tx.preparedQuery(ProjectionSql.MOVE_CHECKPOINTS)
                            .execute(Tuple.of(names, streamId, last)))
                        .replaceWith(new Batch(last, events.size() == BATCH));
                  });
            }))
        .invoke(batch -> progress.advance(streamId, batch.version))
        .map(Batch::more);
  }

  private Uni<Void> applyAll(SqlConnection tx, List<StoredEvent> events, Map<String, Long> checkpoints) {
    return Multi.createFrom().iterable(events)
        .onItem().transformToUniAndConcatenate(stored -> {
          StrataEvent event = codec.decode(stored.type(), stored.data());
          return Multi.createFrom().iterable(projectors)
              .filter(p -> checkpoints.getOrDefault(p.name(), 0L) < stored.streamVersion())
              .onItem().transformToUniAndConcatenate(p -> p.apply(tx, stored, event))
              .collect().last();
        })
        .collect().last()
        .replaceWithVoid();
  }

  private record Batch(long version, boolean more) {}

  /** Serialises the batches of one stream within this process. */
  private final class Worker {
    final String streamId;
    final AtomicBoolean running = new AtomicBoolean();
    final AtomicBoolean dirty = new AtomicBoolean();
    int failures;

    Worker(String streamId) {
      this.streamId = streamId;
    }

    void runOnce() {
      if (stopped) {
        running.set(false);
        return;
      }
      dirty.set(false);
      processBatch(streamId).subscribe().with(more -> {
        failures = 0;
        lastFailure = null;
        if (stopped) {
          running.set(false);
          return;
        }
        if (more || dirty.get()) {
          runOnce();
          return;
        }
        running.set(false);
        if (dirty.get() && running.compareAndSet(false, true)) {
          runOnce(); // a signal raced with the end of the batch
        }
      }, failure -> {
        if (stopped) { // cut by the stop (the pool closing): the next start projects what is left
          LOG.debugf("projecting stream %s ended by the stop: %s", streamId, failure.getMessage());
          running.set(false);
          return;
        }
        failures++;
        lastFailure = failure;
        long delay = Math.min(5_000, 50L << Math.min(failures, 7));
        LOG.errorf(failure, "projecting stream %s failed (attempt %d); retrying in %d ms",
            streamId, failures, delay);
        running.set(false);
        vertx.setTimer(delay, id -> signal(streamId));
      });
    }
  }
}
