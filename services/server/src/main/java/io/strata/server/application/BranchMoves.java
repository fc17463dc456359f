package io.strata.server.application;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.strata.events.BranchHeadMoved;
import io.strata.events.TableTracked;
import io.strata.projections.graph.CommitGraph;
import io.strata.projections.rowdata.UnitOfWork;
import io.strata.projections.rowdata.BranchRef;
import io.strata.projections.rowdata.TrackedTable;
import io.strata.projections.tables.TableRow;
import io.strata.server.domain.RepositoryState;
import io.strata.server.runtime.TableShapes;
import io.strata.server.runtime.Failpoints;
import io.strata.server.runtime.StorageBackends;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Moves a branch's working state to another commit along the change sets between the two, table by
 * table, at O(rows that differ), in the transaction that appends the head's move (a reset, a rebase's
 * start or abort). A table in another database (a registered storage), which must be clean there, is
 * written in a transaction of its own held until just before the append, under a recovery intent that
 * keeps per key the row before and the row written, so that recovery undoes it if the append never
 * happens (as it undoes a merge: {@link CrossStorageCommits}).
 */
@ApplicationScoped
public class BranchMoves {
  private final StorageBackends backends;
  private final CrossStorageCommits crossStorage;

  @Inject
  public BranchMoves(StorageBackends backends, CrossStorageCommits crossStorage) {
    this.backends = backends;
    this.crossStorage = crossStorage;
  }

  /** How the working state goes along: with the head, working changes dropped ({@code HARD}), or staged ({@code SOFT}). */
  public enum Mode { HARD, SOFT }

  /**
   * Moves the working state of {@code tables} of {@code ref} along {@code paths} (from the branch's head
   * to the commit it moves to); answers, on the default branch, each moved table's content at that
   * commit. Failpoints {@code <name>.applied} before the storages commit and {@code
   * <name>.storage-applied} after.
   */
  public Uni<List<BranchHeadMoved.TableContent>> move(UnitOfWork tx, RepositoryState state, String repo,
      BranchRef ref, List<TableRow> tables, CommitGraph.Paths paths, Mode mode, String name) {
    List<BranchHeadMoved.TableContent> contents = new ArrayList<>();
    TableTransactions held = new TableTransactions(backends, repo, tx);
    String[] attempt = {null};
    // in other storages the rows are written before the event, under a recovery intent that undoes them; a hard move
    // may write there without row changes on its path too (a Delta table moved to the state's column names after its
    // branch dropped a column and added it again), and what it writes must stand with the event
    Set<String> elsewhere = tables.stream().filter(t -> mode == Mode.HARD || changes(paths, t)).map(TableRow::storage)
        .filter(s -> !backends.sharesAppendTransaction(s)).collect(Collectors.toCollection(LinkedHashSet::new));
    return (elsewhere.isEmpty() ? Uni.createFrom().<String>nullItem()
            : crossStorage.begin(tx, repo, ref.name(), elsewhere, CrossStorageCommits.Kind.MERGE))
        .invoke(a -> attempt[0] = a)
        .chain(a -> Multi.createFrom().iterable(tables)
            .onItem().transformToUniAndConcatenate(t -> held.of(t).chain(c -> moveTable(c, state, repo, ref, t, paths,
                mode, !backends.sharesAppendTransaction(t.storage()), a, contents)))
            .collect().last())
        .chain(() -> Failpoints.hit(name + ".applied"))
        .chain(() -> crossStorage.commitBeforeAppend(tx, held, attempt[0], name))
        .map(done -> contents)
        .onTermination().call(held::rollback);
  }

  private static boolean changes(CommitGraph.Paths paths, TableRow t) {
    return !paths.undo(t.name()).isEmpty() || !paths.redo(t.name()).isEmpty();
  }

  /** {@code remote}: in another database, clean there (then nothing to discard), written under {@code attempt}. */
  private Uni<Void> moveTable(UnitOfWork c, RepositoryState state, String repo, BranchRef ref, TableRow t,
      CommitGraph.Paths paths, Mode mode, boolean remote, String attempt,
      List<BranchHeadMoved.TableContent> contents) {
    TrackedTable table = TrackedTable.on(repo, t, ref.name());
    List<String> undo = paths.undo(t.name());
    List<String> redo = paths.redo(t.name());
    String undoAttempt = remote ? attempt : null;
    Uni<Void> done = (remote ? CleanTables.require(c, table, ref, "the move, in another database,")
        : Uni.createFrom().voidItem())
        .chain(() -> TableShapes.requireUnchanged(c, table))
        .chain(() -> mode == Mode.HARD
            ? (remote ? Uni.createFrom().voidItem() : c.roles().workingState().discard(c, table, ref).replaceWithVoid())
                .chain(() -> c.roles().workingState().move(c, table, ref, undo, redo, undoAttempt))
            : c.roles().workingState().stageAgainst(c, table, ref, undo, redo, undoAttempt))
        // a branch moved onto rows older than one of the table's unique constraints they share values of stops
        // holding it, and one moved onto rows that may no longer do (back again, a rebase aborted) owes a hold, taken
        // once the move committed (OwedUniqueHolds), as a branch created there would hold it
        .chain(() -> mode == Mode.HARD && !ref.isDefault()
            ? c.roles().branchObjects().releaseSharedTableUniques(c, table, ref.name())
                .chain(() -> c.roles().branchObjects().oweTableUniques(c, table, ref.name()))
            : Uni.createFrom().voidItem())
        // the table may refuse the rows (a unique value moving between rows, a trigger raising)
        .onFailure(MergeCommands::refusedByTable).transform(e -> MergeCommands.refused(t.name(), e));
    if (!ref.isDefault() || !state.tables().containsKey(t.name()) || undo.isEmpty() && redo.isEmpty()) {
      return done;
    }
    // the default branch's recorded content follows its head
    return done.chain(() -> c.roles().changeSets().contentDelta(c, table, undo, redo)).invoke(delta -> {
      TableTracked recorded = state.tables().get(t.name());
      TableTracked next = recorded.withContent(recorded.rowCount() + delta.rows(),
          new BigInteger(recorded.rowSum()).add(new BigInteger(delta.sum())).toString());
      contents.add(new BranchHeadMoved.TableContent(t.name(), next.rowCount(), next.rowSum(), next.contentHash()));
    }).replaceWithVoid();
  }


}
