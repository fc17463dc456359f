package io.strata.projections.overlay;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.strata.events.TableColumn;
import io.strata.events.TableShape;
import io.strata.projections.postgres.PgErrors;
import io.strata.projections.rowdata.BranchObjects;
import io.strata.projections.rowdata.BranchRef;
import io.strata.projections.rowdata.ChangeCounts;
import io.strata.projections.rowdata.ChangeSets;
import io.strata.projections.rowdata.Merges;
import io.strata.projections.rowdata.Merges.HeldCheck;
import io.strata.projections.rowdata.TrackedTable;
import io.vertx.mutiny.sqlclient.Row;

import io.strata.projections.rowdata.UnitOfWork;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Three-way merges in PostgreSQL: the plan is a temporary table of the merge's transaction; the merged
 * rows go through the working state's primitive ({@link WorkingStateSql#logRows}, {@link
 * WorkingStateSql#applyRows}), staged; a merge in progress keeps its conflicts in {@code
 * strata.<tid>__x_<bid>} beside the table (with a read-only view {@code strata_<branch>.<table>__conflicts})
 * and what it wrote in {@code strata.<tid>__xk_<bid>} ({@link PgMergesInProgress}).
 */
public final class PgMerges implements Merges<UnitOfWork> {

  private static MergeSql sql(TrackedTable table, BranchRef branch) {
    return new MergeSql(OverlaySql.of(table, branch));
  }

  /** The statements that work on the table alone, whatever the branch (the plan, change sets). */
  private static MergeSql sql(TrackedTable table) {
    return new MergeSql(OverlaySql.of(table));
  }

  /** The statements of a merge in progress (kept conflicts, resolution, abort). */
  private static MergeStateSql state(MergeSql sql) {
    return new MergeStateSql(sql);
  }

  private static MergeWritesSql writes(MergeSql sql) {
    return new MergeWritesSql(sql);
  }

  private static MergeSidecarSql sidecars(MergeSql sql) {
    return new MergeSidecarSql(sql);
  }

  private static MergeFromSourceSql sources(MergeSql sql) {
    return new MergeFromSourceSql(sql);
  }

  private static WorkingStateSql working(TrackedTable table, BranchRef branch) {
    return new WorkingStateSql(OverlaySql.of(table, branch));
  }

  @Override
  public Uni<TableMerge> plan(UnitOfWork unit, TrackedTable table, BranchRef target, List<String> ours,
      List<String> theirs, Strategy strategy) {
    SqlConnection tx = PgUnit.of(unit);
    return plan(unit, table, target, List.of(), ours, List.of(), theirs, strategy);
  }

  @Override
  public Uni<TableMerge> plan(UnitOfWork unit, TrackedTable table, BranchRef target, List<String> oursUndo,
      List<String> ours, List<String> theirsUndo, List<String> theirs, Strategy strategy) {
    SqlConnection tx = PgUnit.of(unit);
    MergeSql sql = sql(table, target);
    boolean between = !oursUndo.isEmpty() || !theirsUndo.isEmpty();
    List<String> json = table.columns().stream().filter(c -> c.type().equals("jsonb")).map(TableColumn::name).toList();
    String settle = switch (strategy) {
      case OURS -> sql.takeOurs();
      case THEIRS -> sql.takeTheirs();
      default -> null;
    };
    // hashes of the two sides' keys, of a merge's own transaction: in memory, not in batches on disk.
    // Two sides of one change set each are joined by merging their key-ordered index scans, never by a
    // nested loop: planned from statistics taken before the change sets were written, each side looks
    // like one row, and the nested loop read one side whole for every key of the other (over a second
    // for 1 000 keys a side, 35 s for 100K against 1K). Sides of several change sets are left to the
    // planner: their own joins want a nested loop (an index scan per change set), and their aggregates'
    // estimates are not one row.
    boolean singles = !between && ours.size() <= 1 && theirs.size() <= 1;
    return tx.query("set local work_mem = '128MB'" + (singles ? "; set local enable_nestloop = off" : "")).execute()
        .chain(() -> tx.query("drop table if exists " + sql.plan()).execute())
        .chain(() -> tx.query(sql.generatedColumnNames()).execute())
        .chain(generated -> {
          List<String> derived = List.of(generated.iterator().next().getArrayOfStrings(0));
          return between
              ? tx.preparedQuery(sql.createPlanBetween(json, derived)).execute(Tuple.of(ours.toArray(String[]::new),
                  theirs.toArray(String[]::new), oursUndo.toArray(String[]::new), theirsUndo.toArray(String[]::new)))
              : tx.preparedQuery(sql.createPlan(json, derived, ours.size() <= 1, theirs.size() <= 1))
                  .execute(Tuple.of(ours.toArray(String[]::new), theirs.toArray(String[]::new)));
        })
        .chain(() -> singles ? tx.query("set local enable_nestloop = on").execute() : Uni.createFrom().voidItem())
        .chain(() -> settle == null ? Uni.createFrom().voidItem() : tx.query(settle).execute().replaceWithVoid())
        .chain(() -> summary(tx, table, sql));
  }

  private static Uni<TableMerge> summary(SqlConnection tx, TrackedTable table, MergeSql sql) {
    return tx.query(sql.summarize()).execute().map(rows -> {
      Row r = rows.iterator().next();
      long conflicts = r.getLong(3);
      return new TableMerge(table.name(), new ChangeCounts(r.getLong(0), r.getLong(1), r.getLong(2)), conflicts,
          r.getLong(4), conflicts == 0 ? null : r.getString(5));
    });
  }

  @Override
  public Uni<List<Conflict>> plannedConflicts(UnitOfWork unit, TrackedTable table, int limit) {
    SqlConnection tx = PgUnit.of(unit);
    MergeSql sql = sql(table);
    return tx.preparedQuery(sql.conflictRows(sql.plan()) + " limit $1").execute(Tuple.of(limit))
        .map(rows -> {
          List<Conflict> conflicts = new ArrayList<>();
          rows.forEach(r -> conflicts.add(PgMergesInProgress.conflict(table.name(), r)));
          return conflicts;
        });
  }

  /**
   * Writes the merged rows, recording nothing unless the write may change other rows: a merge that
   * commits at once captures them from the plan or the table ({@link #captureApplied}), one that stops
   * records them then ({@link #keep}).
   */
  @Override
  public Uni<TableMerge> apply(UnitOfWork unit, TrackedTable table, BranchRef target) {
    SqlConnection tx = PgUnit.of(unit);
    MergeSql sql = sql(table, target);
    WorkingStateSql working = working(table, target);
    Uni<Boolean> recorded = target.isDefault()
        ? tx.query(sql.writesMayReachOtherRows()).execute().map(rows -> rows.iterator().next().getBoolean(0))
        : Uni.createFrom().item(false);
    // recorded where a write may change other rows (a cascade, a trigger): those changes are working
    // changes then, never lost; else nothing is recorded and the plan is the record
    return recorded.chain(record -> tx.query(sql.applyGuarded(record
            ? working.logRows(sql.images()) + ";" + working.applyRows(sql.images())
            : working.advanceRows(sql.images()))).execute())
        .chain(() -> summary(tx, table, sql));
  }

  @Override
  public Uni<TableMerge> markViolations(UnitOfWork unit, TrackedTable table, BranchRef target, List<HeldCheck> checks,
      boolean pendingOnly, TableMerge applied) {
    SqlConnection tx = PgUnit.of(unit);
    MergeSql sql = sql(table, target);
    List<HeldCheck> uniques = checks.stream().filter(c -> BranchUniquesSql.KIND.equals(c.check().kind())).toList();
    List<HeldCheck> held = checks.stream().filter(c -> !TableShape.INDEX.equals(c.check().kind())
        && !BranchUniquesSql.KIND.equals(c.check().kind())).toList();
    if (held.isEmpty()) {
      // no rule to look at (a branch holding no unique constraint): the merge as applied, without summing it again
      return PgUniqueViolations.mark(tx, sql, uniques, !pendingOnly)
          .chain(any -> any ? summary(tx, table, sql) : Uni.createFrom().item(applied));
    }
    Uni<List<HeldCheck>> looked = !pendingOnly ? Uni.createFrom().item(held)
        : tx.preparedQuery(BranchChecksSql.pending(sql.table(), false)).execute(Tuple.of(held.stream()
                .map(c -> BranchChecksSql.overlayConstraint(c.check().name())).toArray(String[]::new)))
            .map(rows -> {
              List<String> pending = new ArrayList<>();
              rows.forEach(r -> pending.add(r.getString(0)));
              return held.stream().filter(c -> pending.contains(BranchChecksSql.overlayConstraint(c.check().name())))
                  .toList();
            });
    // the caller's time limit, read once: each check's scan runs under its own and gives it back
    return looked.chain(list -> list.isEmpty() ? Uni.createFrom().voidItem()
        : tx.query("select current_setting('statement_timeout')").execute()
            .map(rows -> rows.iterator().next().getString(0))
            .chain(before -> {
              Uni<Void> chain = Uni.createFrom().voidItem();
              for (HeldCheck c : list) {
                chain = chain.chain(() -> markViolations(tx, sql, c, !pendingOnly, before));
              }
              return chain;
            }))
        .chain(() -> PgUniqueViolations.mark(tx, sql, uniques, !pendingOnly))
        .chain(() -> summary(tx, table, sql));
  }

  @Override
  public Uni<Long> settleViolations(UnitOfWork unit, TrackedTable table, BranchRef target, List<HeldCheck> uniques) {
    return PgUniqueViolations.settle(PgUnit.of(unit), sql(table, target), uniques);
  }

  @Override
  public Uni<Void> recheckWritten(UnitOfWork unit, TrackedTable table, BranchRef target, List<HeldCheck> uniques) {
    return PgUniqueViolations.recheckWritten(PgUnit.of(unit), sql(table, target), uniques);
  }

  /**
   * One check's violations marked, under a savepoint and the time limit a check's scan of a branch has ({@link
   * PgBranchRules#CHECK_SCAN_TIMEOUT}: the repository's commands wait meanwhile; past it, {@link
   * BranchObjects.CheckFailed}): with {@code lenient}, a column it names missing passes it over.
   */
  private static Uni<Void> markViolations(SqlConnection tx, MergeSql sql, HeldCheck c, boolean lenient,
      String before) {
    return scanned(tx, c.check().name(),
        () -> tx.preparedQuery(sql.markViolations(c.check(), c.columns())).execute().replaceWithVoid(), lenient, before);
  }

  /**
   * {@code statement}, a scan of the branch's rows for rule {@code rule}, run under a savepoint and the time limit a
   * check's scan has, then the caller's time limit {@code before} given back (see {@link #markViolations}).
   */
  static Uni<Void> scanned(SqlConnection tx, String rule, java.util.function.Supplier<Uni<Void>> statement,
      boolean lenient, String before) {
    return tx.query("savepoint strata_violations; set local statement_timeout = '"
            + PgBranchRules.CHECK_SCAN_TIMEOUT + "'").execute()
        .chain(() -> CatalogPath.pinned(tx, statement))
        .chain(() -> tx.query("release savepoint strata_violations").execute())
        // a failure rolls the savepoint back (the time limit with it); only a lenient one goes on
        .onFailure().call(() -> tx.query("rollback to savepoint strata_violations; release savepoint"
            + " strata_violations").execute().onFailure().recoverWithNull())
        .onFailure(e -> lenient && "42703".equals(PgErrors.sqlState(e))).recoverWithNull()
        .onFailure(e -> "57014".equals(PgErrors.sqlState(e))).transform(e -> new BranchObjects.CheckFailed(
            rule, "(none found: looking at the branch's rows took longer than "
                + PgBranchRules.CHECK_SCAN_TIMEOUT + ")"))
        .chain(() -> tx.preparedQuery("select set_config('statement_timeout', $1, true)").execute(Tuple.of(before)))
        .replaceWithVoid();
  }

  @Override
  public Uni<Optional<ChangeSets.Captured>> captureApplied(UnitOfWork unit, TrackedTable table, BranchRef target) {
    SqlConnection tx = PgUnit.of(unit);
    MergeSql sql = sql(table, target);
    ChangeSetsSql changeSets = new ChangeSetsSql(OverlaySql.of(table, target));
    String capture = changeSets.captureTable();
    return tx.query("drop table if exists " + capture).execute()
        .chain(() -> tx.query(writes(sql).imagesAreTheRows()).execute())
        .map(rows -> rows.iterator().next().getBoolean(0))
        .call(asPlanned -> tx.query(writes(sql).captureWritten(capture, asPlanned)).execute())
        // where the table computed something of its own, the plan's merged rows become the rows as stored
        .call(asPlanned -> asPlanned ? Uni.createFrom().voidItem()
            : tx.query(writes(sql).mergedAsCaptured(capture)).execute().replaceWithVoid())
        .chain(() -> tx.query(changeSets.summarizeCapture()).execute())
        .chain(rows -> {
          Row r = rows.iterator().next();
          long changed = r.getLong(0) + r.getLong(1) + r.getLong(2);
          ChangeSets.Captured captured = new ChangeSets.Captured(table.name(), r.getString(3), r.getLong(0),
              r.getLong(1), r.getLong(2), r.getString(4));
          Uni<Void> stored = changed == 0 ? Uni.createFrom().voidItem()
              : tx.preparedQuery(changeSets.storeCapture()).execute(Tuple.of(captured.changeSet())).replaceWithVoid();
          return stored.chain(() -> tx.query(writes(sql).forgetWrittenLog()).execute())
              .map(done -> changed == 0 ? Optional.<ChangeSets.Captured>empty() : Optional.of(captured));
        });
  }

  @Override
  public Uni<Void> recordApplied(UnitOfWork unit, TrackedTable table, BranchRef target, boolean staged) {
    SqlConnection tx = PgUnit.of(unit);
    return tx.query(writes(sql(table, target)).recordWritten(staged)).execute().replaceWithVoid();
  }

  @Override
  public Uni<Void> keep(UnitOfWork unit, TrackedTable table, BranchRef target) {
    return PgMergesInProgress.keep(PgUnit.of(unit), table, target, sql(table, target));
  }

  @Override
  public Multi<Conflict> conflicts(UnitOfWork unit, TrackedTable table, BranchRef target, int fetch) {
    return PgMergesInProgress.conflicts(PgUnit.of(unit), table, sql(table, target), fetch);
  }

  @Override
  public Uni<Long> remaining(UnitOfWork unit, TrackedTable table, BranchRef target) {
    return PgMergesInProgress.remaining(PgUnit.of(unit), sql(table, target));
  }

  @Override
  public Uni<Long> resolve(UnitOfWork unit, TrackedTable table, BranchRef target, String key, String field,
      String take, String value) {
    return PgMergesInProgress.resolve(PgUnit.of(unit), sql(table, target), working(table, target), key, field, take,
        value);
  }

  @Override
  public Uni<Long> abort(UnitOfWork unit, TrackedTable table, BranchRef target) {
    return PgMergesInProgress.abort(PgUnit.of(unit), sql(table, target), working(table, target));
  }

  @Override
  public Uni<Void> end(UnitOfWork unit, TrackedTable table, BranchRef target) {
    return PgMergesInProgress.end(PgUnit.of(unit), sql(table, target));
  }

  @Override
  public Uni<Void> saveUndo(UnitOfWork unit, TrackedTable table, BranchRef target, String attempt) {
    SqlConnection tx = PgUnit.of(unit);
    return tx.query(sidecars(sql(table, target)).saveUndo(attempt)).execute().replaceWithVoid();
  }

  @Override
  public Uni<Long> undo(UnitOfWork unit, TrackedTable table, BranchRef target, String attempt) {
    SqlConnection tx = PgUnit.of(unit);
    MergeSql sql = sql(table, target);
    WorkingStateSql working = working(table, target);
    return tx.query(working.lockWorkingState()).execute()
        .chain(() -> tx.query(sidecars(sql).createUndoImages(attempt)).execute())
        .chain(() -> tx.query("select count(*) from " + sql.images()).execute())
        .map(rows -> rows.iterator().next().getLong(0))
        .call(() -> tx.query(working.advanceRows(sql.images())).execute())
        .call(() -> tx.query(state(sql).forgetAbortedChanges()).execute())
        .call(() -> tx.query(sidecars(sql).rebaseChangedSince(attempt)).execute())
        .call(() -> end(unit, table, target));
  }

  @Override
  public Uni<Void> setAside(UnitOfWork unit, TrackedTable table, BranchRef target, String attempt) {
    SqlConnection tx = PgUnit.of(unit);
    MergeSql sql = sql(table, target);
    return exists(tx, sql.written())
        .chain(exists -> exists ? tx.query(sidecars(sql).setAside(attempt)).execute().replaceWithVoid() : Uni.createFrom().voidItem())
        .chain(() -> end(unit, table, target));
  }

  @Override
  public Uni<Void> restoreSetAside(UnitOfWork unit, TrackedTable table, BranchRef target, String attempt) {
    SqlConnection tx = PgUnit.of(unit);
    MergeSql sql = sql(table, target);
    return tx.preparedQuery(SET_ASIDE).execute(Tuple.of(attempt, table.id()))
        .chain(rows -> rows.iterator().next().getBoolean(0)
            ? tx.query(sidecars(sql).restoreSetAside(attempt)).execute().replaceWithVoid()
            : Uni.createFrom().voidItem());
  }

  private static final String SET_ASIDE =
      "select exists (select from strata.merge_sidecars where attempt = $1 and tid = $2 and role = 'kept')";

  @Override
  public Uni<String> fromSource(UnitOfWork unit, TrackedTable table, List<String> ours, List<String> theirs,
      String merged) {
    SqlConnection tx = PgUnit.of(unit);
    MergeSql sql = sql(table);
    return storeFromSource(tx, sql, sources(sql).createFromSource(),
        Tuple.of(ours.toArray(String[]::new), theirs.toArray(String[]::new), merged));
  }

  @Override
  public Uni<String> fromSourceOfPlan(UnitOfWork unit, TrackedTable table, List<String> ours) {
    SqlConnection tx = PgUnit.of(unit);
    MergeSql sql = sql(table);
    return storeFromSource(tx, sql, sources(sql).createFromSourceOfPlan(ours.size() <= 1),
        Tuple.of((Object) ours.toArray(String[]::new)));
  }

  private static Uni<String> storeFromSource(SqlConnection tx, MergeSql sql, String create, Tuple params) {
    return tx.query("drop table if exists " + sources(sql).fromSourceTable()).execute()
        .chain(() -> tx.preparedQuery(create).execute(params))
        .chain(() -> tx.query(sources(sql).fromSourceHash()).execute())
        .chain(rows -> {
          String hash = rows.iterator().next().getString(0);
          return hash == null ? Uni.createFrom().<String>nullItem()
              : tx.preparedQuery(sources(sql).storeFromSource()).execute(Tuple.of(hash)).replaceWith(hash);
        });
  }

  static Uni<Boolean> exists(SqlConnection tx, String relation) {
    return tx.preparedQuery(OverlaySql.EXISTS).execute(Tuple.of(relation))
        .map(rows -> rows.iterator().next().getBoolean(0));
  }

}
