package io.strata.server.application;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.strata.events.AppliedCommit;
import io.strata.events.MergeInfo;
import io.strata.events.MergeStarted;
import io.strata.projections.postgres.PgErrors;
import io.strata.projections.rowdata.UnitOfWork;
import io.strata.projections.rowdata.BranchRef;
import io.strata.projections.rowdata.ChangeSets.Captured;
import io.strata.projections.rowdata.TrackedTable;
import io.strata.projections.tables.TableQueries;
import io.strata.projections.tables.TableRow;
import io.strata.server.runtime.CommitGraphReads;
import io.strata.server.domain.Commands;
import io.strata.server.domain.ErrorCode;
import io.strata.server.domain.StrataException;
import io.strata.server.domain.RepositoryState;
import io.strata.server.runtime.StorageBackends;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The commit that concludes a merge, in its append transaction: it captures the merged rows like any
 * commit (its change sets lead from its first parent, the target's head), and records per table the
 * change set that leads from its second parent, the source, so that diffs, time travel and later merges
 * walk history through either parent at O(rows changed). The merge's kept conflicts are dropped.
 */
@ApplicationScoped
public class MergeCommits {
  private final DataCommits dataCommits;
  private final StorageBackends backends;
  private final TableQueries tableQueries;

  @Inject
  public MergeCommits(DataCommits dataCommits, StorageBackends backends, TableQueries tableQueries) {
    this.tableQueries = tableQueries;
    this.backends = backends;
    this.dataCommits = dataCommits;
  }

  /**
   * The tables made on a branch (not yet in the default branch) that commit {@code commit} has: none, without a
   * query, in a repository that has no such table (the common case, on every merge).
   */
  Uni<List<String>> sourceMade(RepositoryState state, String repo, String commit) {
    return state.madeTables().all().isEmpty() ? Uni.createFrom().item(List.<String>of())
        : tableQueries.madeAt(repo, List.of(commit)).map(made -> List.copyOf(made.present()
            .getOrDefault(commit, Map.of()).keySet()));
  }

  /**
   * {@code commit} (on the merge's target) concluding {@code merge}: it captures the staged rows of
   * {@code capturable} tables (those it names, or all of them when it names none; with {@code all},
   * unstaged rows too). {@code planned}: the tables whose merge this transaction planned and applied,
   * and that nothing else changed since (the merge commits at once): their change sets from the source
   * come from the plan; {@code applied}: their change sets, captured from the plan. On a branch other than the
   * default one the commit records the shapes of the tables the merge changed the shape of and of those it takes
   * ({@link #shapesRecorded}); the others keep the head's record.
   */
  public Uni<Commands.Command> conclude(TableTransactions tables, UnitOfWork tx, RepositoryState state,
      String repo, Commands.CreateCommit commit, MergeStarted merge, List<TableRow> tracked,
      List<TableRow> capturable, boolean all, Set<String> planned, List<Captured> applied) {
    BranchRef into = BranchRef.of(merge.branch(), state.defaultBranch());
    Set<String> kept = merge.tables().stream().map(MergeStarted.TableConflicts::table).collect(Collectors.toSet());
    return rechecked(tables, state, repo, into, tracked, kept)
        .chain(() -> validated(tables, state, repo, into, tracked))
        .chain(() -> dataCommits.prepare(tx, state, repo, commit, tracked, capturable, all, kept, applied))
        .chain(captured -> concluding(tables, tx, state, repo, into, captured, merge, tracked, planned, kept))
        .map(prepared -> prepared.recordingShapesOf(shapesRecorded(into, merge, prepared, capturable, all), false));
  }

  /**
   * The tables whose shapes on its branch the commit concluding {@code merge} records (null: every table): those
   * whose shape the merge changed, and those the commit takes as any commit does ({@link DataCommits#shapesTaken}:
   * named, every capturable one with {@code all}, else those it captured rows of), with the tables made on a branch
   * it brings. A table's rows are never recorded without its shape. On the default branch, and for a merge begun
   * before merges named their tables (merge.started v2), every table.
   */
  static List<String> shapesRecorded(BranchRef into, MergeStarted merge, Commands.CreateCommit prepared,
      List<TableRow> capturable, boolean all) {
    if (into.isDefault() || merge.schemaTables() == null) {
      return null;
    }
    java.util.TreeSet<String> shaped = new java.util.TreeSet<>(merge.schemaTables());
    // the tables any commit takes (every one: here, every capturable one), and those whose rows the merge wrote
    List<String> taken = DataCommits.shapesTaken(prepared, all);
    if (taken != null) {
      shaped.addAll(taken);
    } else {
      capturable.forEach(t -> shaped.add(t.name()));
    }
    prepared.captured().forEach(c -> shaped.add(c.table()));
    shaped.addAll(prepared.sourceMade());
    return List.copyOf(shaped);
  }

  /** {@code captured} as the commit that concludes {@code merge}: applying it, or merging its source. */
  private Uni<Commands.CreateCommit> concluding(TableTransactions tables, UnitOfWork tx, RepositoryState state,
      String repo, BranchRef into, Commands.CreateCommit captured, MergeStarted merge, List<TableRow> tracked,
      Set<String> planned, Set<String> kept) {
    return !merge.mergesSource()
            ? endKept(tx, repo, into, tracked, kept).map(done -> captured.applying(
                new AppliedCommit(merge.operation(), merge.sourceCommit(), merge.mainline())))
            : CommitGraphReads.changeSetsBetween(tx, repo, merge.base(), merge.head())
            .chain(ours -> CommitGraphReads.changeSetsBetween(tx, repo, merge.base(), merge.sourceCommit())
                .chain(theirs -> {
                  List<MergeInfo.ChangeSetRef> fromSource = new ArrayList<>();
                  return Multi.createFrom().iterable(tracked)
                      .onItem().transformToUniAndConcatenate(t -> {
                        TrackedTable table = TrackedTable.on(repo, t, into.name());
                        List<String> o = ours.getOrDefault(t.name(), List.of());
                        List<String> th = theirs.getOrDefault(t.name(), List.of());
                        String merged = changeSetOf(captured.captured(), t.name());
                        // the change set from the source lives beside the table, in its own database
                        Uni<Void> recorded = o.isEmpty() && th.isEmpty() && merged == null
                            ? Uni.createFrom().voidItem()
                            : tables.in(t, c -> planned.contains(t.name()) ? c.roles().merges().fromSourceOfPlan(c, table, o)
                                    : c.roles().merges().fromSource(c, table, o, th, merged))
                                .invoke(hash -> {
                                  if (hash != null) {
                                    fromSource.add(new MergeInfo.ChangeSetRef(t.name(), hash));
                                  }
                                })
                                .replaceWithVoid();
                        // only the tables the merge in progress kept something of have anything to forget;
                        // in another database the commit's capture ended it (and puts it back if never appended)
                        return kept.contains(t.name()) && backends.sharesAppendTransaction(t.storage())
                            ? recorded.chain(() -> tx.roles().merges().end(tx, table, into)) : recorded;
                      })
                      .collect().last()
                      // the tables made on a branch that the source has come with it, rows of them or none
                      .chain(() -> sourceMade(state, repo, merge.sourceCommit()))
                      .map(made -> captured.merging(new MergeInfo(merge.source(), merge.sourceCommit(), merge.base(),
                          merge.strategy(), fromSource), made));
                }));
  }

  /**
   * The rows the merge in progress (its tables {@code kept}) and its resolutions wrote, looked at again by every
   * unique constraint of {@code into} at the end of the commit's transaction ({@link
   * io.strata.projections.rowdata.Merges#recheckWritten}): those that were its conflicts were left out of the check.
   */
  private static Uni<Void> rechecked(TableTransactions tables, RepositoryState state, String repo, BranchRef into,
      List<TableRow> tracked, Set<String> kept) {
    if (into.isDefault()) {
      return Uni.createFrom().voidItem();
    }
    return Multi.createFrom().iterable(tracked.stream().filter(t -> kept.contains(t.name())).toList())
        .onItem().transformToUniAndConcatenate(t -> tables.in(t, c -> {
          TrackedTable table = TrackedTable.on(repo, t, into.name());
          return c.roles().merges().recheckWritten(c, table, into, MergeWork.heldUniques(state, into, table));
        }))
        .collect().last()
        .replaceWithVoid();
  }

  /**
   * The checks and unique constraints the merge carried to a branch other than the default one, pending while their
   * violations were conflicts, validated on every table of the branch that has any (not only those the merge planned
   * or kept: one an earlier, refused attempt carried to a table this one does not write is pending too): from now on
   * they hold every row the branch has, as one added on the branch does.
   */
  static Uni<Void> validated(TableTransactions tables, RepositoryState state, String repo, BranchRef into,
      List<TableRow> tracked) {
    if (into.isDefault()) {
      return Uni.createFrom().voidItem();
    }
    return validated(tables, repo, into, tracked.stream()
        .filter(t -> state.constraintsOn(t.name(), into.name()).stream()
            .anyMatch(c -> io.strata.server.domain.BranchConstraints.isCheck(c)
                || io.strata.server.domain.BranchConstraints.isUnique(c))).toList(), state);
  }

  /**
   * The pending checks and unique constraints of {@code into} (a branch other than the default one) validated on
   * {@code checked}: a row that fails a check, or two that share a unique constraint's values, refuse it (422).
   */
  static Uni<Void> validated(TableTransactions tables, String repo, BranchRef into, List<TableRow> checked,
      RepositoryState state) {
    return Multi.createFrom().iterable(checked)
        .onItem().transformToUniAndConcatenate(t -> tables.in(t, c -> c.roles().branchObjects()
            .validatePendingRules(c, TrackedTable.on(repo, t, into.name()), into.name(),
                state.constraintsOn(t.name(), into.name())))
            .onFailure(e -> "23514".equals(PgErrors.sqlState(e))).transform(e -> new StrataException(
                ErrorCode.ValidationError, "a row of table '" + t.name() + "' on '" + into.name() + "' fails a check"
                    + " the merge brings (" + PgErrors.message(e) + "): give it values that pass, then continue",
                Map.of("table", t.name(), "branch", into.name())))
            .onFailure(io.strata.projections.rowdata.BranchObjects.CheckFailed.class).transform(e -> {
              io.strata.projections.rowdata.BranchObjects.CheckFailed f =
                  (io.strata.projections.rowdata.BranchObjects.CheckFailed) e;
              return new StrataException(ErrorCode.ValidationError, (f.keys().size() < 2
                  ? "looking at the rows of table '" + t.name() + "' on '" + into.name() + "' for unique constraint '"
                      + f.constraint() + "', which the merge brings, took too long " + f.key()
                  : "the rows of keys " + String.join(" and ", f.keys()) + " of table '" + t.name() + "' on '"
                      + into.name() + "' share the values of unique constraint '" + f.constraint()
                      + "', which the merge brings: change one, then merge (or continue) again"),
                  Map.of("table", t.name(), "branch", into.name(), "constraint", f.constraint()));
            }))
        .collect().last()
        .replaceWithVoid();
  }

  /**
   * A revert or cherry-pick walks no second parent: only what it kept in the server's database is
   * forgotten (in another database the commit's capture ended it).
   */
  private Uni<Void> endKept(UnitOfWork tx, String repo, BranchRef into, List<TableRow> tracked, Set<String> kept) {
    return Multi.createFrom().iterable(tracked)
        .filter(t -> kept.contains(t.name()) && backends.sharesAppendTransaction(t.storage()))
        .onItem().transformToUniAndConcatenate(t -> tx.roles().merges().end(tx, TrackedTable.on(repo, t, into.name()), into))
        .collect().last()
        .replaceWithVoid();
  }

  private static String changeSetOf(List<Captured> captured, String table) {
    return captured.stream().filter(c -> c.table().equals(table)).map(Captured::changeSet).findFirst().orElse(null);
  }
}
