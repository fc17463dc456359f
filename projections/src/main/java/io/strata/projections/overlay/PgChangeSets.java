package io.strata.projections.overlay;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.strata.projections.rowdata.BranchRef;
import io.strata.projections.rowdata.ChangeCounts;
import io.strata.projections.rowdata.ChangeSets;
import io.strata.projections.rowdata.TrackedTable;
import io.vertx.mutiny.sqlclient.Row;

import io.strata.projections.rowdata.UnitOfWork;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * A table's change sets in PostgreSQL: table {@code strata.<tid>__changes} beside it, one row per
 * changed key of each change set (see {@link OverlaySql}); the statements are {@link ChangeSetsSql}'s.
 * The net row changes between two commits come from the change sets on the two paths that lead to
 * them from their merge base: O(rows changed on the two paths), whatever the table's size.
 */
public final class PgChangeSets implements ChangeSets<UnitOfWork> {

  private static ChangeSetsSql sql(TrackedTable table, BranchRef branch) {
    return new ChangeSetsSql(OverlaySql.of(table, branch));
  }

  private static ChangeSetsSql sql(TrackedTable table) {
    return new ChangeSetsSql(OverlaySql.of(table));
  }

  private static Tuple paths(List<String> fromPath, List<String> toPath) {
    return Tuple.of(fromPath.toArray(String[]::new), toPath.toArray(String[]::new));
  }

  /**
   * Waits for the table's writers (a commit of the default branch takes the commit gate), then moves
   * the staged working-log rows into a content-addressed change set; with an {@code attempt}, they are
   * also kept in a recovery sidecar in this database.
   */
  @Override
  public Uni<Optional<Captured>> capture(UnitOfWork unit, TrackedTable table, BranchRef branch, boolean stageAll,
      String attempt) {
    SqlConnection tx = PgUnit.of(unit);
    OverlaySql on = OverlaySql.of(table, branch);
    ChangeSetsSql sql = new ChangeSetsSql(on);
    // (a table tracked before commit gates existed got its gate in StrataLayout's upgrade to 2)
    Uni<Void> writersAwaited = sql.lockForCommit()
        .map(lock -> tx.query(lock).execute().replaceWithVoid())
        .orElse(Uni.createFrom().voidItem());
    return writersAwaited.chain(() -> tx.query(WorkingStateSql.analyzeIfStale(on)).execute())
        .chain(() -> tx.query(sql.lockStaged(stageAll)).execute())
        .chain(() -> tx.query(sql.captureSize()).execute())
        .map(size -> ChangeSetsSql.readsByKey(size.iterator().next().getLong(0), size.iterator().next().getLong(1)))
        .chain(byKey -> tx.query(sql.capture(byKey)).execute())
        .chain(() -> tx.query(sql.summarizeCapture()).execute())
        .chain(rows -> {
          Row r = rows.iterator().next();
          long ins = r.getLong(0);
          long upd = r.getLong(1);
          long del = r.getLong(2);
          Captured captured = new Captured(table.name(), r.getString(3), ins, upd, del, r.getString(4));
          Uni<Void> store = ins + upd + del == 0
              ? Uni.createFrom().voidItem()
              : tx.preparedQuery(sql.storeCapture()).execute(Tuple.of(captured.changeSet())).replaceWithVoid();
          Uni<Void> sidecar = attempt == null
              ? Uni.createFrom().voidItem()
              : tx.preparedQuery(sql.saveSidecar()).execute(Tuple.of(attempt)).replaceWithVoid();
          return store.chain(() -> sidecar).chain(() -> tx.query(sql.clearCaptured()).execute())
              .map(done -> ins + upd + del == 0 ? Optional.<Captured>empty() : Optional.of(captured));
        });
  }

  /**
   * Puts the sidecar's working-log rows back; none when the branch was deleted since (its working log
   * went with it).
   */
  @Override
  public Uni<Long> restore(UnitOfWork unit, TrackedTable table, BranchRef branch, String attempt) {
    SqlConnection tx = PgUnit.of(unit);
    return tx.preparedQuery(OverlaySql.EXISTS).execute(Tuple.of(OverlaySql.of(table, branch).workingLog()))
        .chain(exists -> exists.iterator().next().getBoolean(0)
            ? tx.preparedQuery(sql(table, branch).restoreSidecar()).execute(Tuple.of(attempt))
                .map(r -> (long) r.rowCount())
            : Uni.createFrom().item(0L));
  }

  @Override
  public Uni<List<String>> keptAttempts(UnitOfWork unit, List<TrackedTable> tables) {
    SqlConnection tx = PgUnit.of(unit);
    return tx.preparedQuery(ChangeSetsSql.SIDECAR_ATTEMPTS)
        .execute(Tuple.of((Object) tables.stream().map(TrackedTable::id).toArray(String[]::new)))
        .map(rows -> {
          List<String> attempts = new ArrayList<>();
          rows.forEach(r -> attempts.add(r.getString(0)));
          return attempts;
        });
  }

  @Override
  public Uni<Boolean> exists(UnitOfWork unit, TrackedTable table, String changeSet) {
    SqlConnection tx = PgUnit.of(unit);
    return tx.preparedQuery("select exists (select from " + OverlaySql.of(table).changes() + " where change_set = $1)")
        .execute(Tuple.of(changeSet)).map(rows -> rows.iterator().next().getBoolean(0));
  }

  @Override
  public Uni<Void> forgetAttempt(UnitOfWork unit, String attempt) {
    SqlConnection tx = PgUnit.of(unit);
    return tx.preparedQuery(ChangeSetsSql.DROP_SIDECAR).execute(Tuple.of(attempt)).replaceWithVoid();
  }

  @Override
  public Uni<ChangeCounts> diffCounts(UnitOfWork unit, TrackedTable table, List<String> fromPath,
      List<String> toPath) {
    SqlConnection tx = PgUnit.of(unit);
    if (fromPath.isEmpty() && toPath.isEmpty()) {
      return Uni.createFrom().item(ChangeCounts.NONE);
    }
    return tx.preparedQuery(sql(table).diffCounts()).execute(paths(fromPath, toPath)).map(rows -> {
      Row r = rows.iterator().next();
      return new ChangeCounts(r.getLong(0), r.getLong(1), r.getLong(2));
    });
  }

  @Override
  public Uni<java.util.Set<String>> changedColumns(UnitOfWork unit, TrackedTable table, List<String> fromPath,
      List<String> toPath, List<String> columns) {
    SqlConnection tx = PgUnit.of(unit);
    if (columns.isEmpty() || fromPath.isEmpty() && toPath.isEmpty()) {
      return Uni.createFrom().item(java.util.Set.of());
    }
    return tx.preparedQuery(sql(table).changedColumns())
        .execute(paths(fromPath, toPath).addArrayOfString(columns.toArray(String[]::new)))
        .map(rows -> {
          java.util.Set<String> changed = new java.util.TreeSet<>();
          rows.forEach(r -> changed.add(r.getString(0)));
          return changed;
        });
  }

  @Override
  public Uni<ContentDelta> contentDelta(UnitOfWork unit, TrackedTable table, List<String> fromPath,
      List<String> toPath) {
    return contentDelta(unit, sql(table), fromPath, toPath);
  }

  @Override
  public Uni<ContentDelta> contentDelta(UnitOfWork unit, TrackedTable table, BranchRef branch, List<String> fromPath,
      List<String> toPath) {
    OverlaySql on = OverlaySql.of(table, branch);
    return contentDelta(unit, on.shape().retypesColumns() ? new ChangeSetsSql(on) : sql(table), fromPath, toPath);
  }

  private static Uni<ContentDelta> contentDelta(UnitOfWork unit, ChangeSetsSql sql, List<String> fromPath,
      List<String> toPath) {
    SqlConnection tx = PgUnit.of(unit);
    if (fromPath.isEmpty() && toPath.isEmpty()) {
      return Uni.createFrom().item(new ContentDelta(0, "0"));
    }
    return tx.preparedQuery(sql.contentDelta()).execute(paths(fromPath, toPath)).map(rows -> {
      Row r = rows.iterator().next();
      return new ContentDelta(r.getLong(0), r.getString(1));
    });
  }

  /**
   * Through a cursor of {@code tx} (which must be in a transaction) that fetches {@code fetch} rows at
   * a time as the subscriber asks.
   */
  @Override
  public Multi<RowChange> diff(UnitOfWork unit, TrackedTable table, List<String> fromPath, List<String> toPath,
      int fetch) {
    SqlConnection tx = PgUnit.of(unit);
    if (fromPath.isEmpty() && toPath.isEmpty()) {
      return Multi.createFrom().empty();
    }
    return tx.prepare(sql(table).diffRows()).onItem().transformToMulti(statement -> statement.createStream(fetch,
            paths(fromPath, toPath)).toMulti().onTermination().call(statement::close))
        .map(r -> new RowChange(r.getString(0), r.getString(1), r.getString(2), r.getString(3),
            Arrays.asList(r.getArrayOfStrings(4))));
  }
}
