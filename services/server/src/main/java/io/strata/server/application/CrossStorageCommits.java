package io.strata.server.application;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.strata.projections.refs.RefQueries;
import io.strata.projections.rowdata.BranchRef;
import io.strata.projections.rowdata.ChangeSets.Captured;
import io.strata.projections.rowdata.TrackedTable;
import io.strata.projections.rowdata.UnitOfWork;
import io.strata.projections.tables.TableQueries;
import io.strata.projections.tables.TableRow;
import io.strata.server.auth.Grants;
import io.strata.server.domain.Commands;
import io.strata.server.domain.ErrorCode;
import io.strata.server.domain.StrataException;
import io.strata.server.runtime.CommitIntents;
import io.strata.server.runtime.StorageBackends;
import io.strata.server.runtime.TableShapes;
import io.strata.server.runtime.Failpoints;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.jboss.logging.Logger;

/**
 * Commits and merges over tables in other databases (registered storages), all-or-nothing with the
 * event log (docs/architecture.md, "Commits across databases"). Their writes there cannot share the
 * append's transaction, so each is an attempt under an intent:
 *
 * <ol>
 *   <li>an intent is committed in the metadata database, and the append's transaction locks its row
 *       (a row lock, not an advisory lock: a query through the API may take advisory locks, never
 *       this row's);
 *   <li>in each storage, one transaction writes and keeps a recovery sidecar: a commit captures the
 *       staged rows into change sets, removing them from the working logs; a merge writes its rows
 *       and keeps what they were;
 *   <li>the transaction that appends the event deletes the intent;
 *   <li>the sidecars are dropped.
 * </ol>
 *
 * <p>The recovery {@link #sweep} settles every state a failure or a crash can leave: an intent nobody
 * holds is an attempt never appended, whose captured rows go back into the working logs (a {@code
 * CommitRolledBack} event says so) or whose merged rows are undone ({@code MergeRolledBack}); a sidecar
 * without an intent belongs to an appended event and is dropped. It runs at start-up, before an attempt
 * writes in a storage, and after one ({@link RecoverySchedule}: at start-up and periodically). The abort of a merge goes the other way: its intent is written by
 * the append's own transaction, and the rows it puts back in other storages are put back after it
 * by the sweep that follows every command writing there, or by recovery if the server stops first.
 */
@ApplicationScoped
public class CrossStorageCommits {
  private static final Logger LOG = Logger.getLogger(CrossStorageCommits.class);
  /** What an attempt writes in other storages. */
  public enum Kind {
    /** A commit's capture: put back if never appended. */
    COMMIT,
    /** A merge's rows (or a reset's, a rebase's, a stash applied): undone if never appended. */
    MERGE,
    /** A stash's: its rows undone and its captured working-log rows put back if never appended. */
    STASH,
    /** A merge abort's rows put back: done after the append, completed by recovery. */
    ABORT;

    String wire() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  private final CommitIntents intents;
  private final StorageBackends backends;
  private final TableQueries tables;
  private final CommandProcessor processor;
  private final RefQueries refs;
  /**
   * This server's attempts between their intent's insert and their transaction's lock on it: unheld for
   * that instant, they are not a sweep's to settle (another server's sweep may still find one there; its
   * command then answers 409 and nothing was written).
   */
  private final Set<String> starting = java.util.concurrent.ConcurrentHashMap.newKeySet();

  @Inject
  public CrossStorageCommits(CommitIntents intents, TableQueries tables, CommandProcessor processor,
      RefQueries refs, StorageBackends backends) {
    this.backends = backends;
    this.refs = refs;
    this.intents = intents;
    this.tables = tables;
    this.processor = processor;
  }

  /**
   * Begins an attempt on {@code branch} that writes in {@code storages} before the event of the command
   * that {@code tx} appends: the repository's abandoned attempts are settled first, then the intent is
   * committed and {@code tx} holds it until it ends. Answers the attempt's id ({@link #end} in {@code tx}).
   */
  public Uni<String> begin(UnitOfWork tx, String repository, String branch, Collection<String> storages, Kind kind) {
    String attempt = UUID.randomUUID().toString();
    return rollBackAbandoned(repository, true, true)
        .invoke(() -> starting.add(attempt))
        .chain(() -> intents.insert(attempt, repository, branch, storages, kind.wire()))
        .chain(() -> Failpoints.hit("attempt.intent-inserted"))
        .chain(() -> intents.hold(tx, attempt))
        .eventually(() -> starting.remove(attempt))
        .map(held -> {
          if (!held) { // another server's sweep found it unheld between its insert and this lock
            throw new StrataException(ErrorCode.ConcurrentWrite, "the attempt was rolled back by recovery before"
                + " it started; nothing was written: try again");
          }
          return attempt;
        });
  }

  /**
   * {@link #begin} for a command that writes {@code tables}: an attempt over the storages of those in
   * other databases, or none (null) when they are all in the server's.
   */
  public Uni<String> beginFor(UnitOfWork tx, String repository, String branch, List<TableRow> tables, Kind kind) {
    Set<String> storages = tables.stream().map(TableRow::storage).filter(s -> !backends.sharesAppendTransaction(s))
        .collect(java.util.stream.Collectors.toCollection(java.util.LinkedHashSet::new));
    return storages.isEmpty() ? Uni.createFrom().nullItem() : begin(tx, repository, branch, storages, kind);
  }

  /**
   * {@code command}, then, when the repository tracks tables in other databases, the sweep that settles
   * what it wrote there ({@code failpoint}: between the two).
   */
  public Uni<CommandResponse> settledAfter(String repository, List<TableRow> tracked, String failpoint,
      Uni<CommandResponse> command) {
    return tracked.stream().allMatch(t -> backends.sharesAppendTransaction(t.storage())) ? command
        : command.onTermination().call(() -> settle(repository, failpoint));
  }

  /**
   * Just before the append of an attempt's command (null: none): what it wrote in other storages is
   * committed ({@code held}), then, in the append's transaction, its intent goes with the event. The
   * failpoint {@code <name>.storage-applied} lies between the two.
   */
  Uni<Void> commitBeforeAppend(UnitOfWork tx, TableTransactions held, String attempt, String name) {
    return attempt == null ? Uni.createFrom().voidItem() : held.commit()
        .chain(() -> Failpoints.hit(name + ".storage-applied"))
        .chain(() -> end(tx, attempt));
  }

  /** In the append's transaction: the attempt's writes stand with the event. */
  public Uni<Void> end(UnitOfWork tx, String attempt) {
    return intents.delete(tx, attempt);
  }

  /**
   * Captures the staged rows of {@code remote} tables (none in storage {@code local}) for a commit
   * appended by {@code tx}: when {@code tx} commits, the capture stands; when it does not, a sweep puts
   * the rows back. A table of {@code concluding} (the merge in progress the commit concludes wrote it)
   * has what the merge wrote set aside with the capture, put back with it.
   */
  public Uni<List<Captured>> capture(UnitOfWork tx, String repository, String defaultBranch,
      String branch, List<TableRow> remote, boolean all, Set<String> concluding) {
    if (remote.isEmpty()) {
      return Uni.createFrom().item(List.of());
    }
    Map<String, List<TableRow>> byStorage = new LinkedHashMap<>();
    remote.forEach(t -> byStorage.computeIfAbsent(t.storage(), s -> new ArrayList<>()).add(t));
    List<Captured> captured = new ArrayList<>();
    BranchRef into = BranchRef.of(branch, defaultBranch);
    return begin(tx, repository, branch, byStorage.keySet(), Kind.COMMIT)
        .chain(attempt -> Multi.createFrom().iterable(byStorage.entrySet())
            .onItem().transformToUniAndConcatenate(storage -> backends.inOwnTransaction(repository, storage.getKey(),
                    c -> Multi.createFrom().iterable(storage.getValue())
                        .onItem().transformToUniAndConcatenate(t -> {
                          TrackedTable table = TrackedTable.on(repository, t, into.name());
                          return TableShapes.requireUnchanged(c, table)
                              .chain(() -> c.roles().changeSets().capture(c, table, into, all, attempt))
                              .call(() -> concluding.contains(t.name())
                                  ? c.roles().merges().setAside(c, table, into, attempt)
                                  : Uni.createFrom().voidItem());
                        })
                        .collect().asList())
                .invoke(list -> list.forEach(o -> o.ifPresent(captured::add)))
                .call(() -> Failpoints.hit("commit.storage-captured")))
            .collect().last()
            .chain(() -> end(tx, attempt)))
        .map(done -> captured);
  }

  /**
   * The abort of a merge in progress that wrote tables in {@code storages}: an intent written by
   * {@code tx}, the abort's append transaction, so that the rows there are put back after the append
   * by the sweep that follows it ({@link #settle}) or, if the server stops first, by recovery.
   */
  public Uni<Void> intendAbort(UnitOfWork tx, String repository, String branch, Collection<String> storages) {
    return intents.insertIn(tx, UUID.randomUUID().toString(), repository, branch, storages, Kind.ABORT.wire());
  }

  /**
   * Settles a repository's attempts after a command that wrote in other storages, whatever its outcome
   * ({@code failpoint}: the command's event appended, nothing settled yet).
   */
  public Uni<Void> settle(String repository, String failpoint) {
    return Failpoints.hit(failpoint).chain(() -> sweep(repository, false))
        .onFailure().invoke(e -> LOG.warnf("recovery sweep of repository %s failed; it runs again at the next"
            + " commit there and at start-up: %s", repository, e.getMessage()))
        .onFailure().recoverWithNull();
  }

  /** The sweep of every repository with an intent left behind or tables in other storages. */
  public Uni<Void> sweepAll() {
    return intents.repositoriesToSweep()
        .chain(repositories -> {
          // one unreachable storage must not keep the others' attempts unsettled
          return Multi.createFrom().iterable(repositories)
              .onItem().transformToUniAndConcatenate(r -> sweep(r, false)
                  .onFailure().invoke(e -> LOG.warnf("recovery sweep of repository %s incomplete: %s", r,
                      e.getMessage()))
                  .onFailure().recoverWithNull())
              .collect().last();
        })
        .replaceWithVoid();
  }

  /** Rolls back the repository's abandoned attempts, then drops the sidecars of its appended commits. */
  Uni<Void> sweep(String repository, boolean wait) {
    return rollBackAbandoned(repository, wait, false).chain(() -> dropAppendedSidecars(repository));
  }

  /**
   * Settles the repository's attempts nobody holds (waiting for those in flight when {@code wait}).
   * {@code inCommand}: called by a command of the repository, whose queue the events recording them
   * wait for; they are recorded after it rather than awaited.
   */
  private Uni<Void> rollBackAbandoned(String repository, boolean wait, boolean inCommand) {
    return intents.attempts(repository)
        .chain(attempts -> Multi.createFrom().iterable(attempts)
            .onItem().transformToUniAndConcatenate(attempt -> rollBack(repository, attempt, wait, inCommand))
            .collect().last()
            .replaceWithVoid());
  }

  private Uni<Void> rollBack(String repository, String attempt, boolean wait, boolean inCommand) {
    if (starting.contains(attempt)) { // checked before the lock: once off this set, its owner holds it
      return Uni.createFrom().voidItem();
    }
    return intents.settleUnheld(attempt, wait, intent -> settle(repository, attempt, intent.branch(),
            intent.storages(), Kind.valueOf(intent.kind().toUpperCase(java.util.Locale.ROOT))))
        .chain(event -> {
          if (event.isEmpty()) {
            return Uni.createFrom().voidItem();
          }
          if (inCommand) { // the command's queue runs it after the command that found the attempt
            record(repository, attempt, event.get()).subscribe().with(done -> { }, e -> { });
            return Uni.createFrom().voidItem();
          }
          return record(repository, attempt, event.get());
        });
  }

  /**
   * Settles an attempt nobody holds in each of its storages: a commit's captured working-log rows go
   * back (with what it had set aside of a merge in progress), a merge's rows are undone, an abort's
   * rows are put back; the sidecars are dropped. Answers the command recording it (null: none to record).
   */
  private Uni<Commands.Command> settle(String repository, String attempt, String branch, List<String> storages,
      Kind kind) {
    List<String> settledTables = new ArrayList<>();
    long[] rows = {0};
    return refs.repository(repository).chain(found -> {
      if (found.isEmpty()) {
        return Uni.createFrom().nullItem(); // deleted since, with every object beside its tables
      }
      BranchRef into = BranchRef.of(branch, found.get().defaultBranch());
      return tables.tables(repository)
          .chain(tracked -> Multi.createFrom().iterable(storages)
              .onItem().transformToUniAndConcatenate(storage -> backends.inOwnTransaction(repository, storage,
                  c -> c.roles().branchObjects().recovering(c).chain(() -> Multi.createFrom().iterable(tracked)
                      .filter(t -> t.storage().equals(storage))
                      .onItem().transformToUniAndConcatenate(t -> {
                        TrackedTable table = TrackedTable.on(repository, t, into.name());
                        Uni<Long> done = switch (kind) {
                          case COMMIT -> c.roles().changeSets().restore(c, table, into, attempt)
                              .call(() -> c.roles().merges().restoreSetAside(c, table, into, attempt));
                          case MERGE -> c.roles().merges().undo(c, table, into, attempt);
                          // the rows first (which forgets their log rows), then the log as captured
                          case STASH -> c.roles().merges().undo(c, table, into, attempt)
                              .call(() -> c.roles().changeSets().restore(c, table, into, attempt));
                          case ABORT -> c.roles().merges().abort(c, table, into).replaceWith(0L);
                        };
                        return done.invoke(n -> {
                          if (n > 0) {
                            settledTables.add(t.name());
                            rows[0] += n;
                          }
                        });
                      })
                      .collect().last()
                      .chain(() -> c.roles().changeSets().forgetAttempt(c, attempt)))))
              .collect().last())
          .map(done -> {
            LOG.infof("settled %s attempt %s of %s/%s: %d row(s) of %s put back", kind.wire(), attempt, repository,
                branch, rows[0], settledTables);
            return switch (kind) {
              case COMMIT -> new Commands.RecordRollback(branch, attempt, storages, settledTables, rows[0]);
              case MERGE, STASH -> new Commands.RecordMergeRollback(branch, attempt, storages, settledTables, rows[0]);
              case ABORT -> null; // the abort is recorded: its event came first
            };
          });
    });
  }

  private Uni<Void> record(String repository, String attempt, Commands.Command command) {
    CommandContext ctx = new CommandContext(Actor.system("strata-recovery", Grants.UNRESTRICTED), null, null, null, attempt, true);
    return processor.execute(repository, command, ctx, Answer.NONE)
        .onFailure().invoke(e -> LOG.warnf("could not record the rollback of attempt %s: %s", attempt, e.getMessage()))
        .onFailure().recoverWithNull()
        .replaceWithVoid();
  }

  /** Drops the sidecars, in the repository's storages, of attempts whose intent is gone: appended commits. */
  private Uni<Void> dropAppendedSidecars(String repository) {
    return tables.tables(repository)
        .chain(tracked -> Multi.createFrom().iterable(tracked.stream().map(TableRow::storage)
                .filter(s -> !backends.sharesAppendTransaction(s)).distinct().toList())
            .onItem().transformToUniAndConcatenate(storage -> backends.withoutTransaction(repository, storage,
                c -> c.roles().changeSets().keptAttempts(c, tracked.stream()
                        .filter(t -> t.storage().equals(storage)).map(t -> TrackedTable.of(repository, t)).toList())
                    .chain(attempts -> Multi.createFrom().iterable(attempts)
                        .onItem().transformToUniAndConcatenate(attempt -> intents.exists(attempt)
                            .chain(exists -> exists
                                ? Uni.createFrom().voidItem() // in flight, or to roll back
                                : c.roles().changeSets().forgetAttempt(c, attempt)))
                        .collect().last()
                        .replaceWithVoid())))
            .collect().last())
        .replaceWithVoid();
  }
}
