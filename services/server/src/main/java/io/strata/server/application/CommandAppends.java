package io.strata.server.application;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.smallrye.mutiny.Uni;
import io.strata.events.RepositoryDeleted;
import io.strata.events.StrataEvent;
import io.strata.projections.log.AppendResult;
import io.strata.projections.log.IdempotencyRecord;
import io.strata.projections.log.NewEvent;
import io.strata.projections.runtime.ProjectionRuntime;
import io.strata.server.auth.AccessRules;
import io.strata.server.auth.Permission;
import io.strata.server.domain.ErrorCode;
import io.strata.server.domain.PromotionGate;
import io.strata.server.domain.RepositoryDecider;
import io.strata.server.domain.RepositoryState;
import io.strata.server.domain.StrataException;
import io.strata.projections.rowdata.UnitOfWork;
import io.strata.server.runtime.EventAppends;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.jboss.logging.Logger;

/**
 * The decision and the append of a repository's commands, for the {@link CommandProcessor}'s queue that
 * holds the repository's turn: each command decided in order against the evolving state, the accepted
 * ones' events appended in one transaction with the answers of those with an Idempotency-Key, every
 * command answered once the transaction committed.
 */
final class CommandAppends {
  private static final Logger LOG = Logger.getLogger(CommandAppends.class);

  /** The commands of a batch that were accepted, with the state they evolved and the time of their events. */
  record Decided(RepositoryState state, long startVersion, List<PendingCommand> accepted, Instant time) {}

  private final EventAppends log;
  private final ProjectionRuntime projections;
  private final ObjectMapper json;
  private final Clock clock;
  private final io.strata.server.runtime.StrataMetrics metrics;

  CommandAppends(EventAppends log, ProjectionRuntime projections, ObjectMapper json, Clock clock,
      io.strata.server.runtime.StrataMetrics metrics) {
    this.log = log;
    this.projections = projections;
    this.json = json;
    this.clock = clock;
    this.metrics = metrics;
  }

  /** Decides every command in order against the evolving state; refusals complete at once. */
  Decided decide(String repository, RepositoryState s, List<PendingCommand> batch, Map<String, IdempotencyRecord> stored) {
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
        p.events = PromotionGate.admit(s, p.command, RepositoryDecider.decide(s, p.command, now),
            gateOverride(repository, p.context), p.context.promotion());
        long v = s.version();
        for (StrataEvent e : p.events) {
          s.evolve(e, ++v, 0, now);
        }
        accepted.add(p);
        metrics.decided(p.command, true);
      } catch (StrataException refused) {
        metrics.decided(p.command, false);
        p.result.completeExceptionally(refused);
      } catch (RuntimeException bug) {
        LOG.errorf(bug, "deciding %s on %s failed", p.command, repository);
        p.result.completeExceptionally(bug);
      }
    }
    return new Decided(s, startVersion, accepted, now);
  }

  /**
   * The reason the command's sender gave to override the promotion gate, which only an admin of the repository
   * may give (403 otherwise); null when none was given.
   */
  static String gateOverride(String repository, CommandContext context) {
    String reason = context.gateOverride();
    if (reason != null && AccessRules.decide(Permission.REPOSITORY_ADMIN, context.actor().grants(), repository)
        != AccessRules.Decision.ALLOW) {
      throw new StrataException(ErrorCode.Forbidden, context.actor().label("anonymous") + " may not override the"
          + " promotion gate of repository '" + repository + "': that takes a token that administers it",
          Map.of("header", GATE_OVERRIDE));
    }
    return reason;
  }

  /** The header an admin overrides the promotion gate with, giving the reason. */
  static final String GATE_OVERRIDE = "Strata-Gate-Override"; // as the API reads it

  Uni<Void> append(String repository, Decided d) {
    if (d.accepted.stream().allMatch(p -> p.events.isEmpty())) {
      d.accepted.forEach(p -> p.result.complete(respond(p, d.state.lastPosition(), 0, d)));
      return Uni.createFrom().voidItem();
    }
    Map<PendingCommand, CommandResponse> responses = new HashMap<>();
    long started = System.nanoTime();
    return log.inAppendTransaction(tx -> appendIn(tx, repository, d, responses))
        .invoke(result -> appended(started, d))
        .invoke(result -> complete(repository, d, result, responses))
        .call(result -> afterCommit(repository, d))
        .replaceWithVoid();
  }

  /** The append of {@code d}, begun at {@code started}, committed: its time, size and events counted. */
  void appended(long started, Decided d) {
    if (d == null) {
      return;
    }
    List<io.strata.events.StrataEvent> events = new ArrayList<>();
    d.accepted.forEach(p -> events.addAll(p.events));
    metrics.appended(System.nanoTime() - started, d.accepted.size(), events);
  }

  /** Writes a repository's gated branches into the gates of its registered storages (StorageGates sets it). */
  interface StorageGateWriter {
    Uni<Void> write(String repository, java.util.Set<String> storages, Map<String, String> gated);
  }

  private volatile StorageGateWriter storageGates = (repository, storages, gated) -> Uni.createFrom().voidItem();

  void storageGates(StorageGateWriter writer) {
    storageGates = writer;
  }

  /**
   * After the append committed, still holding the repository's turn (so that the writes of two appends reach a
   * storage in their order): when the append may have changed who is gated, the registered storages' gates are
   * written as the state says now. The server's own database took it in the append's transaction; another
   * database cannot, so a write that fails there is the periodic round's to repeat ({@link StorageGates}), and
   * never the command's failure.
   */
  Uni<Void> afterCommit(String repository, Decided d) {
    if (d == null || d.accepted.stream().flatMap(p -> p.events.stream()).noneMatch(CommandAppends::movesGate)) {
      return Uni.createFrom().voidItem();
    }
    java.util.Set<String> storages = new java.util.TreeSet<>();
    if (d.state.exists()) {
      d.state.tables().values().forEach(t -> storages.add(t.storage()));
    }
    return storageGates.write(repository, storages, gatedBranches(repository, d.state));
  }

  /** Appends the decided events and stores the answers of commands with an Idempotency-Key. */
  Uni<AppendResult> appendIn(UnitOfWork tx, String repository, Decided d, Map<PendingCommand, CommandResponse> responses) {
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
    boolean movesGate = d.accepted.stream().flatMap(p -> p.events.stream()).anyMatch(CommandAppends::movesGate);
    return log.append(tx, repository, d.startVersion, events)
        // a repository created again under this name starts with no answers of the deleted one's keys
        .call(result -> deletesRepository ? log.forgetIdempotencyRecords(tx, repository) : Uni.createFrom().voidItem())
        // the branch views of the server's own database refuse writes to the gated branches from this commit on
        .call(result -> movesGate ? tx.roles().branchObjects().gate(tx, repository, gatedBranches(repository, d.state))
            : Uni.createFrom().voidItem())
        .chain(result -> {
          List<IdempotencyRecord> keys = answer(d, result, responses);
          return keys.isEmpty()
              ? Uni.createFrom().item(result)
              : log.storeIdempotencyRecords(tx, repository, keys).replaceWith(result);
        });
  }

  /** Whether {@code e} may change which branches the promotion gate refuses. */
  private static boolean movesGate(StrataEvent e) {
    return e instanceof io.strata.events.PromotionPolicySet || e instanceof io.strata.events.BranchProtectionChanged
        || e instanceof io.strata.events.BranchCreated || e instanceof io.strata.events.BranchDeleted
        || e instanceof io.strata.events.PromotionOpened || e instanceof io.strata.events.PromotionMerged
        || e instanceof io.strata.events.PromotionRejected || e instanceof RepositoryDeleted;
  }

  /** The branches of {@code state} the gate refuses writes to (previews of open requests too), by branch id. */
  static Map<String, String> gatedBranches(String repository, RepositoryState state) {
    Map<String, String> gated = new java.util.TreeMap<>();
    if (state.exists()) {
      state.branches().keySet().stream().filter(b -> PromotionGate.gated(state, b))
          .forEach(b -> gated.put(io.strata.projections.rowdata.TrackedTable.branchIdOf(repository, b), b));
    }
    return gated;
  }

  /** After the transaction committed: answer every command of the batch. */
  void complete(String repository, Decided d, AppendResult result, Map<PendingCommand, CommandResponse> responses) {
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
