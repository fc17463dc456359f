package io.strata.server.application;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.smallrye.mutiny.Uni;
import io.strata.events.RepositoryDeleted;
import io.strata.events.StrataEvent;
import io.strata.projections.log.AppendResult;
import io.strata.projections.log.EventLog;
import io.strata.projections.log.ExpectedVersionConflict;
import io.strata.projections.log.IdempotencyKeyTaken;
import io.strata.projections.log.IdempotencyRecord;
import io.strata.projections.log.NewEvent;
import io.strata.projections.postgres.PgErrors;
import io.strata.projections.runtime.ProjectionLagging;
import io.strata.projections.runtime.ProjectionRuntime;
import io.strata.server.domain.Commands.Command;
import io.strata.server.domain.ErrorCode;
import io.strata.server.domain.RepositoryDecider;
import io.strata.server.domain.RepositoryState;
import io.strata.server.domain.StrataException;
import io.strata.server.runtime.StrataConfig;
import io.vertx.mutiny.sqlclient.SqlConnection;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.jboss.logging.Logger;

/**
 * Runs commands against repositories: decide against the authoritative state, append with optimistic
 * concurrency, answer after the projections have caught up.
 *
 * <p>Each repository has one queue in this process. Commands queued while an append is in flight are
 * decided together against the cached state and appended in a single transaction (group commit: one
 * fsync for the whole batch), each keeping its own answer and errors. Another server appending to the
 * same stream shows up as an expected-version conflict: the state is reloaded from the log and the
 * batch decided again.
 */
@ApplicationScoped
public class CommandProcessor {
  private static final Logger LOG = Logger.getLogger(CommandProcessor.class);
  private static final int MAX_BATCH = 256;
  private static final int MAX_ATTEMPTS = 8;

  private final EventLog log;
  private final ProjectionRuntime projections;
  private final RepositoryStateLoader loader;
  private final ObjectMapper json;
  private final Clock clock;
  private final StrataConfig config;
  private final Map<String, RepositoryQueue> queues = new ConcurrentHashMap<>();

  @Inject
  public CommandProcessor(EventLog log, ProjectionRuntime projections, RepositoryStateLoader loader,
      ObjectMapper json, Clock clock, StrataConfig config) {
    this.log = log;
    this.projections = projections;
    this.loader = loader;
    this.json = json;
    this.clock = clock;
    this.config = config;
  }

  /** Runs {@code command} on {@code repository}'s stream and builds its answer with {@code answer}. */
  public Uni<CommandResponse> execute(String repository, Command command, CommandContext context, Answer answer) {
    return submit(repository, new PendingCommand(repository, command, context, answer), context);
  }

  private Uni<CommandResponse> submit(String repository, PendingCommand pending, CommandContext context) {
    queues.computeIfAbsent(repository, RepositoryQueue::new).submit(pending);
    return Uni.createFrom().completionStage(pending.result)
        .chain(response -> context.async() || response.version() == 0 || response.replayed()
            ? Uni.createFrom().item(response)
            : projections.awaitVersion(repository, response.version(), config.consistency().waitTimeout())
                .replaceWith(response)
                .onFailure(ProjectionLagging.class).recoverWithItem(response::withLagging));
  }

  /**
   * Runs a command that {@code prepare} makes inside its own append transaction, alone in the
   * repository's queue; a refusal or conflict rolls the preparation back.
   */
  public Uni<CommandResponse> execute(String repository, InAppendTransaction prepare, CommandContext context,
      Answer answer) {
    PendingCommand pending = new PendingCommand(repository, null, context, answer);
    pending.prepare = prepare;
    return submit(repository, pending, context);
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

  /** The commands of one repository, run one batch at a time. */
  private final class RepositoryQueue {
    final String repository;
    final ArrayDeque<PendingCommand> waiting = new ArrayDeque<>();
    boolean running;
    volatile RepositoryState state;

    RepositoryQueue(String repository) {
      this.repository = repository;
    }

    void submit(PendingCommand p) {
      synchronized (this) {
        waiting.add(p);
        if (running) {
          return;
        }
        running = true;
      }
      runNext();
    }

    private void runNext() {
      List<PendingCommand> batch = new ArrayList<>();
      synchronized (this) {
        if (!waiting.isEmpty() && waiting.peek().prepare != null) {
          batch.add(waiting.poll()); // a prepared command runs alone
        } else {
          while (!waiting.isEmpty() && batch.size() < MAX_BATCH && waiting.peek().prepare == null) {
            batch.add(waiting.poll());
          }
        }
        if (batch.isEmpty()) {
          running = false;
          return;
        }
      }
      run(batch, 1).subscribe().with(done -> runNext(), failure -> {
        LOG.errorf(failure, "command batch on %s failed", repository);
        batch.forEach(p -> p.result.completeExceptionally(failure));
        state = null;
        runNext();
      });
    }

    private Uni<Void> run(List<PendingCommand> batch, int attempt) {
      Uni<Void> attemptOnce = batch.get(0).prepare != null
          ? runPrepared(batch.get(0))
          : currentState()
              .chain(s -> IdempotencyKeys.stored(log, batch).map(stored -> decide(s, batch, stored)))
              .chain(decided -> append(decided));
      return attemptOnce
          .onFailure(e -> e instanceof ExpectedVersionConflict || e instanceof IdempotencyKeyTaken
              || PgErrors.kind(e) == PgErrors.Kind.CONCURRENCY
              // a prepared command racing another server's on the same objects (two servers creating
              // one branch's overlays): its transaction rolled back; deciding again refuses it cleanly
              || batch.get(0).prepare != null && PgErrors.kind(e) == PgErrors.Kind.DUPLICATE)
          .recoverWithUni(conflict -> {
            // another server appended, a key raced, or the database chose this transaction as a
            // deadlock victim: nothing was applied; reload and decide again
            state = null;
            List<PendingCommand> open = batch.stream().filter(p -> !p.result.isDone()).toList();
            if (attempt >= MAX_ATTEMPTS) {
              StrataException busy = new StrataException(ErrorCode.StorageUnavailable,
                  "repository '" + repository + "' is too busy: concurrent writers kept conflicting; retry");
              open.forEach(p -> p.result.completeExceptionally(busy));
              return Uni.createFrom().voidItem();
            }
            return open.isEmpty() ? Uni.createFrom().voidItem() : run(open, attempt + 1);
          })
          .onFailure().invoke(e -> state = null);
    }

    private Uni<RepositoryState> currentState() {
      RepositoryState s = state;
      if (s != null) {
        return Uni.createFrom().item(s);
      }
      return loader.load(repository).invoke(loaded -> state = loaded);
    }

    /** Decides every command in order against the evolving state; refusals complete at once. */
    private Decided decide(RepositoryState s, List<PendingCommand> batch, Map<String, IdempotencyRecord> stored) {
      long startVersion = s.version();
      Instant now = clock.instant().truncatedTo(ChronoUnit.MICROS);
      List<PendingCommand> accepted = new ArrayList<>();
      Map<String, PendingCommand> keysInBatch = new HashMap<>();
      for (PendingCommand p : batch) {
        if (p.key() != null) {
          p.branchIncarnation = IdempotencyKeys.incarnation(s, p);
          IdempotencyRecord record = stored.get(p.key());
          if (record != null && !IdempotencyKeys.superseded(record, p)) {
            IdempotencyKeys.replay(p, record);
            continue;
          }
          PendingCommand first = keysInBatch.putIfAbsent(p.key(), p);
          if (first != null) {
            // the same key twice in one batch: the second gets the first's answer
            first.result.whenComplete((r, e) -> {
              if (!p.context.fingerprint().equals(first.context.fingerprint())) {
                p.result.completeExceptionally(IdempotencyKeys.keyReused(p.context.idempotencyKey()));
              } else if (e != null) {
                p.result.completeExceptionally(e);
              } else {
                p.result.complete(new CommandResponse(r.status(), r.body(), r.position(), r.version(), true, false));
              }
            });
            continue;
          }
        }
        try {
          p.events = RepositoryDecider.decide(s, p.command, now);
          long v = s.version();
          for (StrataEvent e : p.events) {
            s.evolve(e, ++v, 0, now);
          }
          accepted.add(p);
        } catch (StrataException refused) {
          p.result.completeExceptionally(refused);
        } catch (RuntimeException bug) {
          LOG.errorf(bug, "deciding %s on %s failed", p.command, repository);
          p.result.completeExceptionally(bug);
        }
      }
      return new Decided(s, startVersion, accepted, now);
    }

    /** Prepare, decide and append in one transaction; a refusal rolls the preparation back. */
    private Uni<Void> runPrepared(PendingCommand p) {
      return currentState().chain(s -> IdempotencyKeys.stored(log, List.of(p)).chain(stored -> {
        IdempotencyRecord record = p.key() == null ? null : stored.get(p.key());
        p.branchIncarnation = IdempotencyKeys.incarnation(s, p);
        if (record != null && !IdempotencyKeys.superseded(record, p)) {
          IdempotencyKeys.replay(p, record);
          return Uni.createFrom().voidItem();
        }
        Map<PendingCommand, CommandResponse> responses = new HashMap<>();
        Decided[] decided = new Decided[1];
        return log
            .inAppendTransaction(tx -> p.prepare.prepare(tx, s).chain(command -> {
              p.command = command;
              decided[0] = decide(s, List.of(p), Map.of());
              if (decided[0].accepted.isEmpty()) {
                return Uni.createFrom().failure(new Refused()); // p is answered; undo the preparation
              }
              return appendIn(tx, decided[0], responses);
            }))
            .invoke(result -> complete(decided[0], result, responses))
            .onFailure(Refused.class).recoverWithNull()
            .onFailure(StrataException.class).invoke(e -> {
              state = null; // the preparation may have evolved nothing, but be safe
              p.result.completeExceptionally(e);
            })
            .onFailure(StrataException.class).recoverWithNull()
            .replaceWithVoid();
      }));
    }

    private Uni<Void> append(Decided d) {
      if (d.accepted.stream().allMatch(p -> p.events.isEmpty())) {
        d.accepted.forEach(p -> p.result.complete(respond(p, d.state.lastPosition(), 0, d)));
        return Uni.createFrom().voidItem();
      }
      Map<PendingCommand, CommandResponse> responses = new HashMap<>();
      return log.inAppendTransaction(tx -> appendIn(tx, d, responses))
          .invoke(result -> complete(d, result, responses))
          .replaceWithVoid();
    }

    /** Appends the decided events and stores the answers of commands with an Idempotency-Key. */
    private Uni<AppendResult> appendIn(SqlConnection tx, Decided d, Map<PendingCommand, CommandResponse> responses) {
      List<NewEvent> events = new ArrayList<>();
      for (PendingCommand p : d.accepted) {
        String actor = p.context.actor().label("anonymous");
        for (StrataEvent e : p.events) {
          events.add(new NewEvent(UUID.randomUUID(), e, d.time, actor, p.context.correlationId(), null));
        }
      }
      if (events.isEmpty()) {
        d.accepted.forEach(p -> responses.put(p, respond(p, d.state.lastPosition(), 0, d)));
        return Uni.createFrom().nullItem();
      }
      boolean deletesRepository = d.accepted.stream().flatMap(p -> p.events.stream())
          .anyMatch(e -> e instanceof RepositoryDeleted);
      return log.append(tx, repository, d.startVersion, events, List.of())
          // a repository created again under this name starts with no answers of the deleted one's keys
          .call(result -> deletesRepository ? log.forgetIdempotencyRecords(tx, repository) : Uni.createFrom().voidItem())
          .chain(result -> {
            List<IdempotencyRecord> keys = answer(d, result, responses);
            return keys.isEmpty()
                ? Uni.createFrom().item(result)
                : log.storeIdempotencyRecords(tx, repository, keys).replaceWith(result);
          });
    }

    /** After the transaction committed: answer every command of the batch. */
    private void complete(Decided d, AppendResult result, Map<PendingCommand, CommandResponse> responses) {
      if (result != null) {
        d.state.observed(result.lastPosition());
        projections.signal(repository);
      }
      d.accepted.forEach(p -> p.result.complete(responses.get(p)));
    }

    /** Builds every accepted command's answer, and the idempotency records of those with a key. */
    private List<IdempotencyRecord> answer(Decided d, AppendResult result, Map<PendingCommand, CommandResponse> responses) {
      List<IdempotencyRecord> keys = new ArrayList<>();
      int index = 0;
      long version = d.startVersion;
      for (PendingCommand p : d.accepted) {
        long position = d.state.lastPosition();
        if (!p.events.isEmpty()) {
          index += p.events.size();
          version += p.events.size();
          position = result.positions().get(index - 1);
        }
        CommandResponse response = respond(p, position, p.events.isEmpty() ? 0 : version, d);
        responses.put(p, response);
        if (p.key() != null && !p.events.isEmpty()) {
          keys.add(new IdempotencyRecord(p.key(), p.context.fingerprint(), response.status(), response.body(), position,
              p.branchIncarnation));
        }
      }
      return keys;
    }

    private CommandResponse respond(PendingCommand p, long position, long version, Decided d) {
      Answer.Reply reply = p.answer.reply(p.events, position, d.state, d.time);
      try {
        String body = reply.body() == null ? null : json.writeValueAsString(reply.body());
        return new CommandResponse(reply.status(), body, position, version, false, false);
      } catch (JsonProcessingException e) {
        throw new IllegalStateException("answer cannot be serialised", e);
      }
    }
  }

  /** A prepared command was refused: its transaction is rolled back, its client already answered. */
  private static final class Refused extends RuntimeException {
    Refused() {
      super(null, null, false, false);
    }
  }

  private record Decided(RepositoryState state, long startVersion, List<PendingCommand> accepted, Instant time) {}
}
