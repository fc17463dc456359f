package io.strata.projections.overlay;

import io.smallrye.mutiny.Uni;
import io.strata.projections.rowdata.BranchRef;
import io.strata.projections.rowdata.ChangeCounts;
import io.strata.projections.rowdata.RowBatch;
import io.strata.projections.rowdata.TrackedTable;
import io.strata.projections.rowdata.WorkingState;
import io.strata.projections.rowdata.WorkingStatus;
import io.vertx.core.buffer.Buffer;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;

import io.strata.projections.rowdata.UnitOfWork;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * A branch's working state in PostgreSQL: the table itself on the default branch (its capture
 * triggers keep the working log), the branch's overlay over it elsewhere (its view's trigger, or
 * {@link WorkingStateSql#logBatch}, keeps the log). See {@link OverlaySql}.
 */
public final class PgWorkingState implements WorkingState<UnitOfWork> {
  /** A batch larger than this sorts (by key, for the last-wins rule and the lock order) in more memory. */
  private static final long LARGE_BATCH = 1000;

  private static WorkingStateSql sql(TrackedTable table, BranchRef branch) {
    return new WorkingStateSql(OverlaySql.of(table, branch));
  }

  private static MovesSql moves(TrackedTable table, BranchRef branch) {
    return new MovesSql(OverlaySql.of(table, branch));
  }

  @Override
  public Uni<WorkingStatus> status(UnitOfWork unit, TrackedTable table, BranchRef branch) {
    SqlConnection tx = PgUnit.of(unit);
    return tx.query(sql(table, branch).status()).execute().map(rows -> {
      ChangeCounts staged = ChangeCounts.NONE;
      ChangeCounts unstaged = ChangeCounts.NONE;
      for (Row r : rows) {
        ChangeCounts c = counts(r);
        if (r.getBoolean(0)) {
          staged = c;
        } else {
          unstaged = c;
        }
      }
      return new WorkingStatus(staged, unstaged);
    });
  }

  @Override
  public Uni<ChangeCounts> stage(UnitOfWork unit, TrackedTable table, BranchRef branch, boolean staged) {
    SqlConnection tx = PgUnit.of(unit);
    return tx.query(WorkingStateSql.analyzeIfStale(OverlaySql.of(table, branch))).execute()
        .chain(() -> tx.query(sql(table, branch).stage(staged)).execute())
        .map(PgWorkingState::first);
  }

  @Override
  public Uni<ChangeCounts> discard(UnitOfWork unit, TrackedTable table, BranchRef branch) {
    SqlConnection tx = PgUnit.of(unit);
    WorkingStateSql sql = sql(table, branch);
    // an empty working log has nothing to put back (a hard reset of a clean branch): no lock, no write
    return tx.query("select exists (select from " + OverlaySql.of(table, branch).workingLog() + ")").execute()
        .chain(rows -> rows.iterator().next().getBoolean(0) ? discardLogged(tx, table, branch, sql)
            : Uni.createFrom().item(ChangeCounts.NONE));
  }

  private Uni<ChangeCounts> discardLogged(SqlConnection tx, TrackedTable table, BranchRef branch,
      WorkingStateSql sql) {
    return tx.query(sql.lockWorkingState()).execute()
        .chain(() -> tx.query(WorkingStateSql.analyzeIfStale(OverlaySql.of(table, branch))).execute())
        .chain(() -> tx.query(sql.pending()).execute().map(PgWorkingState::first))
        .call(() -> writesMayReachOtherRows(new PgUnit(tx), table, branch)
            .chain(reach -> tx.query(sql.discard(reach)).execute()));
  }

  @Override
  public Uni<ChangeCounts> apply(UnitOfWork unit, TrackedTable table, BranchRef branch, RowBatch batch) {
    SqlConnection tx = PgUnit.of(unit);
    WorkingStateSql sql = sql(table, branch);
    Uni<Void> memory = batch.count() > LARGE_BATCH
        ? tx.query("set local work_mem = '256MB'").execute().replaceWithVoid()
        : Uni.createFrom().voidItem();
    // the catalog's defaults only when some row leaves a column out (a PATCH's merged row never does)
    Uni<Map<String, String>> defaults = !batch.leavesColumnsOut()
        ? Uni.createFrom().item(Map.of())
        : tx.query(sql.columnDefaults()).execute().map(rows -> {
          Map<String, String> byColumn = new HashMap<>();
          rows.forEach(r -> byColumn.put(r.getString(0), r.getString(1)));
          sql.addedDefaults().forEach((column, value) -> {
            if (value == null) {
              byColumn.remove(column); // a default the branch dropped
            } else {
              byColumn.put(column, value);
            }
          });
          return byColumn;
        });
    return memory.chain(() -> defaults)
        .chain(given -> tx.preparedQuery(sql.createBatch(given)).execute(Tuple.of(batch.rows(),
            Buffer.buffer(batch.marks().getBytes(StandardCharsets.US_ASCII)))))
        .chain(() -> tx.query(sql.logBatch()).execute())
        .map(PgWorkingState::first)
        .call(() -> tx.query(sql.applyBatch()).execute());
  }

  @Override
  public Uni<ChangeCounts> clear(UnitOfWork unit, TrackedTable table, BranchRef branch) {
    if (branch.isDefault()) {
      throw new IllegalArgumentException("the default branch's rows are the table's: not cleared");
    }
    SqlConnection tx = PgUnit.of(unit);
    WorkingStateSql sql = sql(table, branch);
    // writers through the branch's view wait: a key written meanwhile would be committed with the table given up
    return tx.query(sql.lockWorkingState()).execute()
        .chain(() -> tx.query(sql.clearBatch()).execute())
        .chain(() -> tx.query(sql.logBatch()).execute())
        .map(PgWorkingState::first)
        .call(() -> tx.query(sql.applyBatch()).execute());
  }

  @Override
  public Uni<Void> advance(UnitOfWork unit, TrackedTable table, BranchRef branch, List<String> changeSets) {
    SqlConnection tx = PgUnit.of(unit);
    if (changeSets.isEmpty()) {
      return Uni.createFrom().voidItem();
    }
    MovesSql moves = moves(table, branch);
    String rows = moves.changeSetRows();
    return tx.query("drop table if exists " + rows).execute()
        .chain(() -> tx.preparedQuery(moves.createChangeSetRows()).execute(Tuple.of(changeSets.toArray(String[]::new))))
        .chain(() -> tx.query(sql(table, branch).advanceRows(rows)).execute())
        .replaceWithVoid();
  }

  /**
   * Where a write to the default branch's table may change other rows (a user's trigger, a foreign key
   * with an action), the rows are written with the capture on, so that what else changes is a working
   * change, and then the table's own log forgets them (they are the new head's); else unrecorded.
   */
  @Override
  public Uni<Void> move(UnitOfWork unit, TrackedTable table, BranchRef branch, List<String> undo, List<String> redo) {
    SqlConnection tx = PgUnit.of(unit);
    return move(unit, table, branch, undo, redo, null);
  }

  @Override
  public Uni<Void> move(UnitOfWork unit, TrackedTable table, BranchRef branch, List<String> undo, List<String> redo,
      String attempt) {
    SqlConnection tx = PgUnit.of(unit);
    WorkingStateSql sql = sql(table, branch);
    MovesSql moves = moves(table, branch);
    return writesMayReachOtherRows(unit, table, branch).chain(reach -> rowsAlong(tx, table, branch, undo, redo, attempt,
        rows -> reach ? sql.logRows(rows) + ";" + sql.applyRows(rows) + ";" + moves.forgetLogged(rows)
            : sql.advanceRows(rows)));
  }

  @Override
  public Uni<Boolean> writesMayReachOtherRows(UnitOfWork unit, TrackedTable table, BranchRef branch) {
    SqlConnection tx = PgUnit.of(unit);
    return !branch.isDefault() ? Uni.createFrom().item(false)
        : tx.query(new MergeSql(OverlaySql.of(table, branch)).writesMayReachOtherRows()).execute()
            .map(rows -> rows.iterator().next().getBoolean(0));
  }

  @Override
  public Uni<Void> stageAgainst(UnitOfWork unit, TrackedTable table, BranchRef branch, List<String> undo,
      List<String> redo) {
    SqlConnection tx = PgUnit.of(unit);
    return stageAgainst(unit, table, branch, undo, redo, null);
  }

  @Override
  public Uni<Void> stageAgainst(UnitOfWork unit, TrackedTable table, BranchRef branch, List<String> undo,
      List<String> redo, String attempt) {
    SqlConnection tx = PgUnit.of(unit);
    return rowsAlong(tx, table, branch, undo, redo, attempt, moves(table, branch)::stageAgainst);
  }

  /**
   * {@code write} of the rows the other commit has where it differs from the branch's head; with an
   * {@code attempt}, what it writes is kept as that attempt's recovery sidecar (see {@code Merges#undo}).
   */
  private static Uni<Void> rowsAlong(SqlConnection tx, TrackedTable table, BranchRef branch, List<String> undo,
      List<String> redo, String attempt, Function<String, String> write) {
    if (undo.isEmpty() && redo.isEmpty()) {
      return Uni.createFrom().voidItem();
    }
    WorkingStateSql sql = sql(table, branch);
    MovesSql moves = moves(table, branch);
    MergeSidecarSql sidecar = new MergeSidecarSql(new MergeSql(OverlaySql.of(table, branch)));
    String rows = moves.changeSetRows();
    return tx.query(sql.lockWorkingState()).execute()
        .chain(() -> tx.query("drop table if exists " + rows).execute())
        .chain(() -> tx.preparedQuery(moves.createRowsAlong())
            .execute(Tuple.of(undo.toArray(String[]::new), redo.toArray(String[]::new))))
        .chain(() -> attempt == null ? Uni.createFrom().voidItem()
            : tx.query(sidecar.saveUndoBefore(attempt, rows)).execute().replaceWithVoid())
        .chain(() -> tx.query(write.apply(rows)).execute())
        .chain(() -> attempt == null ? Uni.createFrom().voidItem()
            : tx.query(sidecar.saveUndoAfter(attempt)).execute().replaceWithVoid());
  }

  @Override
  public Uni<Void> holdWriters(UnitOfWork unit, TrackedTable table, BranchRef branch) {
    SqlConnection tx = PgUnit.of(unit);
    return tx.query(sql(table, branch).lockWorkingState()).execute().replaceWithVoid();
  }

  @Override
  public Uni<Optional<String>> row(UnitOfWork unit, TrackedTable table, BranchRef branch, String key,
      boolean forWrite) {
    SqlConnection tx = PgUnit.of(unit);
    WorkingStateSql sql = sql(table, branch);
    Uni<Void> locked = forWrite && !branch.isDefault()
        ? tx.preparedQuery(sql.lockKey()).execute(Tuple.of(key)).replaceWithVoid()
        : Uni.createFrom().voidItem(); // on the default branch the read locks the row itself
    return locked.chain(() -> tx.preparedQuery(sql.currentRow()).execute(Tuple.of(key)))
        .map(rows -> rows.rowCount() == 0 ? Optional.<String>empty() : Optional.of(rows.iterator().next().getString(0)));
  }

  private static ChangeCounts first(RowSet<Row> rows) {
    return counts(rows.iterator().next());
  }

  private static ChangeCounts counts(Row r) {
    return new ChangeCounts(r.getLong("inserted"), r.getLong("updated"), r.getLong("deleted"));
  }
}
