package io.strata.server.application;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.smallrye.mutiny.Uni;
import io.strata.events.StrataEvent;
import io.strata.projections.log.ExpectedVersionConflict;
import io.strata.projections.log.IdempotencyKeyTaken;
import io.strata.projections.log.IdempotencyRecord;
import io.strata.projections.postgres.PgErrors;
import io.strata.projections.runtime.ProjectionLagging;
import io.strata.projections.runtime.ProjectionRuntime;
import io.strata.server.domain.Commands.Command;
import io.strata.server.domain.ErrorCode;
import io.strata.server.domain.RepositoryState;
import io.strata.server.domain.StrataException;
import io.strata.server.runtime.EventAppends;
import io.strata.server.runtime.StrataConfig;
import io.strata.server.runtime.Tracing;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.context.Context;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jboss.logging.Logger;

/**
 * Runs commands against repositories: decide against the authoritative state, append with optimistic
 * concurrency, answer after the projections have caught up.
 *
 * <p>Each repository has one queue in this process. A command starts once no earlier one whose
 * {@link Footprint} overlaps its own is still waiting or running, so commands on one branch keep their
 * order while commands on other branches go on. Commands without data work queued while an append is in
 * flight are decided together against the cached state and appended in a single transaction (group
 * commit: one fsync for the whole batch), each keeping its own answer and errors. A command with data
 * work (a commit capturing rows, a merge writing them) does it in its own transaction from a copy of the
 * state, holding nothing of the repository but its footprint; then it takes its turn to decide again on
 * the live state and append in that transaction, and commits: its data and its events together, or
 * neither. Another server appending to the same stream shows up as an expected-version conflict: the
 * state is reloaded from the log and the command decided (and its work done) again.
 */
@ApplicationScoped
public class CommandProcessor {
  private static final Logger LOG = Logger.getLogger(CommandProcessor.class);
  private static final int MAX_ATTEMPTS = 8;

  private final EventAppends log;
  private final ProjectionRuntime projections;
  private final Tracing tracing;
  private final RepositoryStateLoader loader;
  private final StrataConfig config;
  private final CommandAppends appends;
  private final Map<String, RepositoryQueue> queues = new ConcurrentHashMap<>();

  @Inject
  public CommandProcessor(EventAppends log, ProjectionRuntime projections, RepositoryStateLoader loader,
      ObjectMapper json, Clock clock, StrataConfig config, io.strata.server.runtime.StrataMetrics metrics,
      Tracing tracing) {
    this.log = log;
    this.tracing = tracing;
    this.projections = projections;
    this.loader = loader;
    this.config = config;
    this.appends = new CommandAppends(log, projections, json, clock, metrics);
  }

  /** Runs {@code command} on {@code repository}'s stream and builds its answer with {@code answer}. */
  public Uni<CommandResponse> execute(String repository, Command command, CommandContext context, Answer answer) {
    return submit(repository, new PendingCommand(repository, command, Footprint.of(command), context, answer), context);
  }

  private Uni<CommandResponse> submit(String repository, PendingCommand pending, CommandContext context) {
    Context parent = Tracing.current();
    Span span = tracing.start("strata.command", SpanKind.INTERNAL, parent);
    span.setAttribute("strata.repository", repository);
    pending.trace = parent.with(span);
    pending.result.whenComplete((response, failure) -> {
      if (pending.command != null) {
        span.setAttribute("strata.command", pending.command.getClass().getSimpleName());
      }
      Tracing.end(span, failure);
    });
    // the command may be decided and appended on another request's turn (a group commit): the rest of this
    // request goes on in its own context, where its log lines' request id and its trace are
    io.vertx.core.Context caller = io.vertx.core.Vertx.currentContext();
    queues.computeIfAbsent(repository, RepositoryQueue::new).submit(pending);
    return onContext(caller, Uni.createFrom().completionStage(pending.result))
        .chain(response -> context.async() || response.version() == 0 || response.replayed()
            ? Uni.createFrom().item(response)
            : tracing.span("strata.projection", pending.trace,
                    () -> projections.awaitVersion(repository, response.version(), config.consistency().waitTimeout()))
                .replaceWith(response)
                .onFailure(ProjectionLagging.class).recoverWithItem(response::withLagging));
  }

  /**
   * Runs a command that {@code prepare} makes with its data work, in the transaction that appends the
   * command's events, while the repository's commands outside {@code footprint} go on; a refusal or
   * conflict rolls the work back.
   */
  public Uni<CommandResponse> execute(String repository, Footprint footprint, InAppendTransaction prepare,
      CommandContext context, Answer answer) {
    return execute(repository, footprint, prepare, null, context, answer);
  }

  /**
   * {@link #execute(String, Footprint, InAppendTransaction, CommandContext, Answer)}, then {@code recorded} with the
   * events appended, once they are, before the commands overlapping {@code footprint} start and before the answer
   * (its failure is logged: the command stands).
   */
  public Uni<CommandResponse> execute(String repository, Footprint footprint, InAppendTransaction prepare,
      java.util.function.Function<List<StrataEvent>, Uni<Void>> recorded, CommandContext context, Answer answer) {
    PendingCommand pending = new PendingCommand(repository, null, footprint, context, answer);
    pending.prepare = prepare;
    pending.recorded = recorded;
    // answered once that work is done too (a replayed or refused command: once its turn is over), in the caller's
    // context as submit answers
    io.vertx.core.Context caller = io.vertx.core.Vertx.currentContext();
    return onContext(caller, submit(repository, pending, context)
        .call(() -> Uni.createFrom().completionStage(pending.settled)));
  }

  /** {@code answer}, going on in {@code caller}'s context (where the request's log lines and trace are), if any. */
  private static <T> Uni<T> onContext(io.vertx.core.Context caller, Uni<T> answer) {
    return caller == null ? answer : answer.emitOn(task -> caller.runOnContext(ignored -> task.run()));
  }

  /** How the registered storages' promotion gates are written after an append that may change them. */
  void storageGates(CommandAppends.StorageGateWriter writer) {
    appends.storageGates(writer);
  }

  /** A copy of the repository's state as its queue has it now (loaded when not cached). */
  public Uni<RepositoryState> state(String repository) {
    return queues.computeIfAbsent(repository, RepositoryQueue::new).snapshot();
  }

  /**
   * Refuses, before any data work, a change to {@code branch} that the promotion gate refuses (409 BranchGated;
   * 403 for an override sent by anyone but an admin of the repository): for operations that write rows or
   * change a table before their command is decided. The command's decision applies the gate again.
   */
  public Uni<Void> admitted(String repository, String branch, String operation, CommandContext context) {
    String override = CommandAppends.gateOverride(repository, context);
    RepositoryQueue q = queues.computeIfAbsent(repository, RepositoryQueue::new);
    // against the log as it is now, not this server's cache: another server may have set a policy or a protection
    return log.streamVersion(repository)
        .chain(latest -> {
          RepositoryState cached = q.state;
          if (cached != null && cached.version() < latest) {
            q.state = null; // reloaded from the projections and the log's tail
          }
          return q.snapshot();
        })
        .invoke(s -> io.strata.server.domain.PromotionGate.check(s, branch, operation, override,
            context.promotion()))
        .replaceWithVoid();
  }

  /**
   * Whether this server's cached state says the repository holds no rows (no table is tracked), so the caller may skip reading the projections to
   * find out. False when nothing is cached. A table tracked by another server at that very moment is
   * only seen by the next commit; its rows stay in the working log meanwhile, nothing is lost.
   */
  public boolean holdsNoRows(String repository) {
    RepositoryQueue q = queues.get(repository);
    RepositoryState s = q == null ? null : q.state;
    return s != null && s.exists() && s.tables().isEmpty();
  }

  /**
   * Waits until the projections include everything this process has appended to {@code repository}:
   * a command that reads them first (a ref to resolve, a branch's commits) sees its own writes.
   */
  public Uni<Void> caughtUp(String repository) {
    RepositoryQueue q = queues.get(repository);
    RepositoryState s = q == null ? null : q.state;
    long known = s == null ? 0 : s.version();
    return projections.awaitVersion(repository, known, config.consistency().waitTimeout());
  }

  /** The commands of one repository: batches appended one at a time, data work beside them. */
  private final class RepositoryQueue {
    final String repository;
    /** Which waiting commands may start. */
    final CommandTurns turns = new CommandTurns();
    /** Whose turn it is to read and evolve {@link #state} and append. */
    final AppendSlot slot = new AppendSlot();
    volatile RepositoryState state;

    RepositoryQueue(String repository) {
      this.repository = repository;
    }

    void submit(PendingCommand p) {
      turns.add(p);
      pump();
    }

    /** Starts every waiting command whose turn it is ({@link CommandTurns}). */
    private void pump() {
      RepositoryState known = state;
      CommandTurns.Started started = turns.start(known == null ? null : known.defaultBranch());
      List<PendingCommand> batch = started.batch();
      if (!batch.isEmpty()) {
        slot.holding(() -> run(batch, 1))
            .subscribe().with(done -> batchDone(batch), failure -> {
              LOG.errorf(failure, "command batch on %s failed", repository);
              batch.forEach(p -> p.result.completeExceptionally(failure));
              batchDone(batch);
            });
      }
      started.toWork().forEach(p -> work(p, 1)
          .onFailure().invoke(failure -> {
            if (StorageRefusals.lostHistory(failure)) {
              // no server fault, but an operator's to know: a state Strata recorded is gone from the table's log
              LOG.warnf("command on %s refused: %s", repository, failure.getMessage());
            } else if (StorageRefusals.is(failure)) {
              LOG.debugf("command on %s refused by its storage: %s", repository, failure.getMessage());
            } else if (StorageRefusals.unavailable(failure)) {
              // the storage's fault, not the server's: the client is answered 503 (and the answer logs a warning)
              LOG.debugf("command on %s failed, its storage unavailable: %s", repository, failure.toString());
            } else {
              LOG.errorf(failure, "command on %s failed", repository);
            }
            p.result.completeExceptionally(failure);
          })
          .onFailure().recoverWithNull()
          // its work done, its place among those at work goes to the next; its footprint stays held until what it
          // leaves to do once recorded is done
          .invoke(() -> {
            turns.leftWork(p);
            pump();
          })
          .call(() -> recorded(p))
          .subscribe().with(done -> workDone(p), failure -> workDone(p)));
    }

    private void batchDone(List<PendingCommand> batch) {
      turns.batchDone(batch);
      pump();
    }

    /** A command with data work is done: its footprint is free, and whoever waits for its turn to end is told. */
    private void workDone(PendingCommand p) {
      try {
        turns.workDone(p);
        pump();
      } finally {
        p.settled.complete(null);
      }
    }

    /** How long the commands overlapping a command wait for what it leaves to do once recorded. */
    private static final java.time.Duration RECORDED_LIMIT = java.time.Duration.ofMinutes(5);

    /**
     * A command's work once its events are recorded (a deleted branch's overlays in other databases), before the
     * commands overlapping its footprint start, so that none of them meets what it leaves or loses what it makes;
     * not for a command refused or replayed. The command stands whatever happens: a failure is logged.
     */
    private Uni<Void> recorded(PendingCommand p) {
      if (p.recorded == null || !p.appended) {
        return Uni.createFrom().voidItem();
      }
      return Uni.createFrom().deferred(() -> p.recorded.apply(p.events))
          .ifNoItem().after(RECORDED_LIMIT).fail()
          .onFailure().invoke(e -> LOG.warnf(e, "the clean-up after a command on %s failed; the command stands",
              repository))
          .onFailure().recoverWithNull();
    }

    /** Holding the slot: a batch decided and appended, again on a conflict. */
    private Uni<Void> run(List<PendingCommand> batch, int attempt) {
      return currentState()
          .chain(s -> IdempotencyKeys.stored(log, batch).map(stored -> appends.decide(repository, s, batch, stored)))
          .chain(decided -> tracing.span("strata.append", batch.get(0).trace,
              batch.stream().skip(1).map(p -> p.trace).toList(), () -> appends.append(repository, decided)))
          .onFailure(CommandProcessor::nothingApplied)
          .recoverWithUni(conflict -> {
            // another server appended, a key raced, or the database chose this transaction as a
            // deadlock victim: nothing was applied; reload and decide again
            state = null;
            List<PendingCommand> open = batch.stream().filter(p -> !p.result.isDone()).toList();
            if (attempt >= MAX_ATTEMPTS) {
              open.forEach(p -> p.result.completeExceptionally(tooBusy()));
              return Uni.createFrom().voidItem();
            }
            return open.isEmpty() ? Uni.createFrom().voidItem() : run(open, attempt + 1);
          })
          .onFailure().invoke(e -> state = null);
    }

    /** A command with data work: done again from a fresh state on a conflict. */
    private Uni<Void> work(PendingCommand p, int attempt) {
      return snapshot()
          .chain(s -> IdempotencyKeys.stored(log, List.of(p)).chain(stored -> workOnce(p, s, stored)))
          // also racing another server's work on the same objects (two servers creating one branch's
          // overlays): its transaction rolled back; deciding again refuses it cleanly
          .onFailure(e -> nothingApplied(e) || PgErrors.kind(e) == PgErrors.Kind.DUPLICATE)
          .recoverWithUni(conflict -> {
            if (attempt >= MAX_ATTEMPTS) {
              p.result.completeExceptionally(tooBusy());
              return Uni.createFrom().voidItem();
            }
            return work(p, attempt + 1);
          });
    }

    /** A copy of the live state, which the holders of the slot alone evolve. */
    private Uni<RepositoryState> snapshot() {
      // a read whose caller hangs up while it waits behind a long command neither frees nor keeps the turn
      return slot.holding(() -> currentState().map(RepositoryState::copy));
    }

    private StrataException tooBusy() {
      return new StrataException(ErrorCode.StorageUnavailable,
          "repository '" + repository + "' is too busy: concurrent writers kept conflicting; retry");
    }

    private Uni<RepositoryState> currentState() {
      RepositoryState s = state;
      if (s != null) {
        return Uni.createFrom().item(s);
      }
      return loader.load(repository).invoke(loaded -> state = loaded);
    }

    /**
     * The data work in a transaction of its own from {@code snapshot}; then, holding the slot, the
     * decision on the live state and the append in that transaction. A refusal rolls the work back.
     */
    private Uni<Void> workOnce(PendingCommand p, RepositoryState snapshot, Map<String, IdempotencyRecord> stored) {
      IdempotencyRecord record = p.key() == null ? null : stored.get(p.key());
      p.branchIncarnation = IdempotencyKeys.incarnation(snapshot, p);
      if (record != null && !IdempotencyKeys.superseded(record, p)) {
        IdempotencyKeys.replay(p, record);
        return Uni.createFrom().voidItem();
      }
      Map<PendingCommand, CommandResponse> responses = new HashMap<>();
      CommandAppends.Decided[] decided = new CommandAppends.Decided[1];
      boolean[] holding = {false};
      long[] started = {0};
      return log
          .inAppendTransaction(tx -> tracing.span("strata.data", p.trace, () -> p.prepare.prepare(tx, snapshot))
              .chain(command -> {
                p.command = command;
                return slot.acquire().invoke(() -> holding[0] = true);
              })
              .chain(() -> currentState())
              .chain(s -> {
                decided[0] = appends.decide(repository, s, List.of(p), Map.of());
                if (decided[0].accepted().isEmpty()) {
                  return Uni.createFrom().failure(new Refused()); // p is answered; undo the work
                }
                started[0] = System.nanoTime();
                return tracing.span("strata.append", p.trace,
                    () -> appends.appendIn(tx, repository, decided[0], responses));
              }))
          .invoke(result -> appends.appended(started[0], decided[0]))
          .invoke(result -> p.appended = true)
          .invoke(result -> appends.complete(repository, decided[0], result, responses))
          .call(result -> appends.afterCommit(repository, decided[0]))
          .onFailure(e -> holding[0] && !(e instanceof Refused)).invoke(e -> state = null)
          .eventually(() -> {
            if (holding[0]) {
              holding[0] = false;
              slot.release();
            }
          })
          .onFailure(Refused.class).recoverWithNull()
          .onFailure(StrataException.class).invoke(e -> p.result.completeExceptionally(e))
          .onFailure(StrataException.class).recoverWithNull()
          .replaceWithVoid();
    }
  }

  /**
   * Whether {@code e} left nothing applied and deciding again may succeed: another server appended, a
   * key raced, or the database chose the transaction as a deadlock victim.
   */
  private static boolean nothingApplied(Throwable e) {
    return e instanceof ExpectedVersionConflict || e instanceof IdempotencyKeyTaken
        || PgErrors.kind(e) == PgErrors.Kind.CONCURRENCY;
  }

  /** A prepared command was refused: its transaction is rolled back, its client already answered. */
  private static final class Refused extends RuntimeException {
    Refused() {
      super(null, null, false, false);
    }
  }
}
