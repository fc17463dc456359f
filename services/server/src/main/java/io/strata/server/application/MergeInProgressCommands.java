package io.strata.server.application;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.strata.events.Author;
import io.strata.events.MergeStarted;
import io.strata.projections.rowdata.BranchRef;
import io.strata.projections.rowdata.UnitOfWork;
import io.strata.projections.rowdata.TrackedTable;
import io.strata.projections.tables.TableQueries;
import io.strata.projections.tables.TableRow;
import io.strata.server.auth.Permission;
import io.strata.server.domain.Commands;
import io.strata.server.domain.ErrorCode;
import io.strata.server.domain.Existing;
import io.strata.server.domain.Names;
import io.strata.server.domain.RepositoryDecider;
import io.strata.server.domain.RepositoryState;
import io.strata.server.domain.StrataException;
import io.strata.server.runtime.TableShapes;
import io.strata.server.runtime.StorageBackends;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.jboss.logging.Logger;

/**
 * A merge stopped by conflicts ({@link MergeCommands}), on its branch until it ends: its conflicts
 * resolved, then continued into its commit ({@link MergeCommits}), or aborted.
 */
@ApplicationScoped
public class MergeInProgressCommands {
  private static final Logger LOG = Logger.getLogger(MergeInProgressCommands.class);

  private final CommandProcessor processor;
  private final Existing existing;
  private final TableQueries tableQueries;
  private final MergeCommits mergeCommits;
  private final StorageBackends backends;
  private final CrossStorageCommits crossStorage;
  private final CarriedConstraints checks;

  @Inject
  public MergeInProgressCommands(CommandProcessor processor, Existing existing, TableQueries tableQueries, MergeCommits mergeCommits, StorageBackends backends, CrossStorageCommits crossStorage,
      CarriedConstraints checks) {
    this.checks = checks;
    this.processor = processor;
    this.existing = existing;
    this.tableQueries = tableQueries;
    this.mergeCommits = mergeCommits;
    this.backends = backends;
    this.crossStorage = crossStorage;
  }

  /** A resolution as the client asked for it, validated ({@code key}: a JSON array). */
  public record Resolution(String table, String key, String field, String take, String value) {}

  /** A row's value (a JSON object) with its keys named as the columns are stored, where the branch renamed them. */
  private static String storedKeys(TrackedTable table, String value) {
    if (value == null || table.refRenamed().isEmpty()) {
      return value;
    }
    try {
      com.fasterxml.jackson.databind.JsonNode row = io.strata.events.EventCodec.mapper().readTree(value);
      if (!row.isObject()) {
        return value;
      }
      com.fasterxml.jackson.databind.node.ObjectNode out = io.strata.events.EventCodec.mapper().createObjectNode();
      row.fields().forEachRemaining(f -> out.set(table.stored(f.getKey()), f.getValue()));
      return out.toString();
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      return value; // refused as it was
    }
  }

  @Permits(Permission.WRITE)
  public Uni<CommandResponse> resolve(String repository, String target, Resolution r, CommandContext ctx,
      Answer answer) {
    String repo = Names.existingRepository(repository);
    if (r.table() == null && (r.key() != null || r.field() != null)) {
      throw StrataException.invalid("table", "is required with key or field: they name a table's row and column");
    }
    return onMerge(repo, target, ctx, answer, (tx, state, merge, into, tables, tracked) -> {
      TableTransactions held = new TableTransactions(backends, repo, tx);
      if (r.table() != null && tables.stream().noneMatch(t -> t.name().equals(r.table()))) {
        throw StrataException.invalid("table", "the merge in progress on '" + target + "' has no conflicts in table '"
            + r.table() + "'");
      }
      long[] resolved = {0};
      long[] settled = {0};
      long[] remaining = {0};
      return Multi.createFrom().iterable(tables)
          .onItem().transformToUniAndConcatenate(t -> held.of(t).chain(c -> {
            TrackedTable table = TrackedTable.on(repo, t, into.name());
            Uni<Long> done = r.table() == null || r.table().equals(t.name())
                ? TableShapes.requireUnchanged(c, table)
                    // a field, and a row's value, named as the listing names them (stored), or as the branch shows them
                    .chain(() -> c.roles().merges().resolve(c, table, into, r.key(),
                        r.field() == null ? null : table.stored(r.field()), r.take(),
                        r.field() == null ? storedKeys(table, r.value()) : r.value()))
                    .onFailure(IllegalArgumentException.class)
                    .transform(e -> StrataException.invalid("field", e.getMessage()))
                    .onFailure(MergeCommands::refusedByTable).transform(e -> MergeCommands.refused(t.name(), e))
                : Uni.createFrom().item(0L);
            // a unique constraint's violations whose rows no longer share its values (the resolution gave one of
            // them new ones, or SQL did) are settled: resolved too, as the event records them
            return done.invoke(n -> resolved[0] += n)
                .chain(() -> c.roles().merges().settleViolations(c, table, into,
                    MergeWork.heldUniques(state, into, table))).invoke(n -> settled[0] += n)
                .chain(() -> c.roles().merges().remaining(c, table, into)).invoke(n -> remaining[0] += n);
          }))
          .collect().last()
          // resolutions in other storages stand once made, as one made there in SQL does: the
          // conflicts left are what continue reads, whether or not the event is appended
          .call(() -> held.commit())
          .onTermination().call(held::rollback)
          .map(done -> {
            if (resolved[0] == 0 && (r.key() != null || r.field() != null)) {
              throw StrataException.invalid(r.key() != null ? "key" : "field", "no conflict of the merge in progress on '"
                  + target + "' matches" + (r.key() != null ? " key " + r.key() : "")
                  + (r.field() != null ? " field '" + r.field() + "'" : ""));
            }
            return new Commands.ResolveConflicts(target, r.table(), r.key(), r.field(), r.take(),
                resolved[0] + settled[0], remaining[0]);
          });
    });
  }

  /**
   * Aborts the merge in progress: in the server's database with its event; in other storages right
   * after it (the recovery sweep that follows every command writing there), under an intent its append
   * writes, so that recovery completes an abort the server stopped in the middle of. A branch with a
   * rebase in progress refuses it (409 RebaseInProgress): aborting the step's merge alone would leave the
   * rebase stopped, half done; the rebase's own abort and skip end it.
   */
  @Permits(Permission.WRITE)
  public Uni<CommandResponse> abort(String repository, String target, CommandContext ctx, Answer answer) {
    // then the checks the merge carried to the branch that are still pending go too: the rows it holds may fail
    // them (their violations were the merge's conflicts), as before the merge
    return abort(repository, target, ctx, answer, false)
        .call(() -> checks.dropPending(Names.existingRepository(repository), target,
                ctx.issued(false))
            // the abort stands: the branch keeps recording a check its overlay no longer holds (logged)
            .onFailure().invoke(e -> LOG.warnf(e, "merge into %s/%s aborted; its pending checks stay", repository,
                target))
            .onFailure().recoverWithNull());
  }

  /** Aborts the merge of the step a rebase stopped at: for the rebase's skip and abort. */
  Uni<CommandResponse> abortRebaseStep(String repository, String target, CommandContext ctx, Answer answer) {
    return abort(repository, target, ctx, answer, true);
  }

  private Uni<CommandResponse> abort(String repository, String target, CommandContext ctx, Answer answer,
      boolean rebaseStep) {
    String repo = Names.existingRepository(repository);
    return onMerge(repo, target, ctx, answer, "merge.abort-appended", !rebaseStep, (tx, state, merge, into, tables,
        tracked) -> {
      Set<String> elsewhere = tables.stream().map(TableRow::storage).filter(s -> !backends.sharesAppendTransaction(s))
          .collect(Collectors.toCollection(LinkedHashSet::new));
      // the checks the merge carried, pending, leave the overlays first (the rows going back may fail them; the
      // branch's record of them is dropped after the abort); in another storage in a transaction of its own
      Uni<Void> unheld = into.isDefault() || rebaseStep ? Uni.createFrom().voidItem() : Multi.createFrom().iterable(tables)
          .onItem().transformToUniAndConcatenate(t -> backends.sharesAppendTransaction(t.storage())
              ? tx.roles().branchObjects().unholdPendingRules(tx, TrackedTable.on(repo, t, into.name()), into.name())
              : backends.inOwnTransaction(repo, t.storage(), own -> own.roles().branchObjects()
                  .unholdPendingRules(own, TrackedTable.on(repo, t, into.name()), into.name())))
          .collect().last().replaceWithVoid();
      // the rows the merge wrote go back, unless someone changed them since: that is their work
      return unheld.chain(() -> Multi.createFrom().iterable(tables).filter(t -> backends.sharesAppendTransaction(t.storage()))
          .onItem().transformToUniAndConcatenate(t -> TableShapes.requireUnchanged(tx, TrackedTable.on(repo, t, into.name()))
              .chain(() -> tx.roles().merges().abort(tx, TrackedTable.on(repo, t, into.name()), into))
              .invoke(kept -> {
                if (kept > 0) {
                  LOG.infof("merge into %s/%s aborted: %d row(s) of %s changed since the merge stay as working"
                      + " changes", repo, target, kept, t.name());
                }
              }))
          .collect().last()
          .chain(() -> elsewhere.isEmpty() ? Uni.createFrom().voidItem()
              : crossStorage.intendAbort(tx, repo, target, elsewhere))
          .map(done -> new Commands.AbortMerge(target, tables.stream().map(TableRow::name).toList())));
    });
  }

  /**
   * Concludes the merge in progress with its commit (two parents), taking every working change of the
   * tables it wrote, staged or not (a resolution made in SQL included); refused while conflicts remain.
   */
  @Permits(Permission.WRITE)
  public Uni<CommandResponse> continueMerge(String repository, String target, String message, Author author,
      CommandContext ctx, Answer answer) {
    String repo = Names.existingRepository(repository);
    Names.text("message", message, 65536, false);
    return onMerge(repo, target, ctx, answer, (tx, state, merge, into, tables, tracked) -> {
      TableTransactions held = new TableTransactions(backends, repo, tx);
      return Multi.createFrom().iterable(tables)
            .onItem().transformToUniAndConcatenate(t -> held.in(t, c -> c.roles().merges().conflicts(c, TrackedTable.on(repo, t, into.name()),
                into, 200).select().first(MergeCommands.LISTED_CONFLICTS).collect().asList()))
            .onItem().transformToIterable(list -> list)
            .select().first(MergeCommands.LISTED_CONFLICTS)
            .collect().asList()
            .chain(conflicts -> {
              if (!conflicts.isEmpty()) {
                MergeCommands.Outcome outcome = new MergeCommands.Outcome();
                outcome.source = merge.started().source();
                outcome.conflicts = merge.remaining();
                outcome.unsettled = merge.remaining();
                outcome.inProgress = true;
                outcome.listedConflicts = conflicts;
                throw MergeCommands.conflicts(target, outcome);
              }
              MergeStarted m = merge.started();
              Commands.CreateCommit commit = new Commands.CreateCommit(target, message != null ? message
                  : m.message(), author, null, true, tables.stream().map(TableRow::name).toList(), List.of(), null);
              return mergeCommits.conclude(held, tx, state, repo, commit, m, tracked, tables, true, Set.of(),
                  List.of());
            });
    });
  }

  /** Work on the merge in progress on a branch, in the transaction that appends its event. */
  @FunctionalInterface
  private interface OnMerge {
    Uni<Commands.Command> prepare(UnitOfWork tx, RepositoryState state, RepositoryState.Merge merge, BranchRef into,
        List<TableRow> mergeTables, List<TableRow> tracked);
  }

  /** Runs {@code work} on the merge in progress on {@code target}; 409 NoMergeInProgress without one. */
  private Uni<CommandResponse> onMerge(String repository, String target, CommandContext ctx, Answer answer,
      OnMerge work) {
    return onMerge(repository, target, ctx, answer, "merge.appended", false, work);
  }

  /** @param notInRebase whether a rebase in progress on {@code target} refuses the work (409 naming the rebase) */
  private Uni<CommandResponse> onMerge(String repository, String target, CommandContext ctx, Answer answer,
      String settledAt, boolean notInRebase, OnMerge work) {
    String repo = Names.existingRepository(repository);
    return existing.branch(repo, target).chain(() -> tableQueries.tables(repo)).chain(tracked ->
        crossStorage.settledAfter(repo, tracked, settledAt, processor.execute(repo, Footprint.branches(target), (tx, state) -> {
          RepositoryState.Rebase rebase = state.rebase(target);
          if (notInRebase && rebase != null) {
            throw rebaseNotMerge(target, rebase);
          }
          RepositoryState.Merge merge = state.merge(target);
          if (merge == null) {
            throw RepositoryDecider.noMerge(target);
          }
          return work.prepare(tx, state, merge, BranchRef.of(target, state.defaultBranch()),
              mergeTables(merge, tracked), tracked);
        }, ctx, answer)));
  }

  /** The 409 of merge/abort on a branch whose rebase is in progress: it names the rebase and how to end it. */
  private static StrataException rebaseNotMerge(String branch, RepositoryState.Rebase rebase) {
    StrataException inProgress = RepositoryDecider.rebaseInProgress(branch, rebase);
    return new StrataException(ErrorCode.RebaseInProgress, "branch '" + branch + "' has a rebase onto "
        + rebase.started().onto() + " in progress, not a merge (" + rebase.done() + " of "
        + rebase.started().commits().size() + " commits done): end it with rebase/abort (the branch goes back"
        + " where it was), rebase/skip or rebase/continue", inProgress.details());
  }

  /** The tracked tables a merge in progress wrote. */
  static List<TableRow> mergeTables(RepositoryState.Merge merge, List<TableRow> tracked) {
    List<String> names = merge.started().tables().stream().map(MergeStarted.TableConflicts::table).toList();
    return tracked.stream().filter(t -> names.contains(t.name())).toList();
  }
}
