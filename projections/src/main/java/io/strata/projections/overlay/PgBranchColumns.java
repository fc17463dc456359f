package io.strata.projections.overlay;

import static io.strata.projections.overlay.PgBranchObjects.STRATA_OWN_DDL;

import io.smallrye.mutiny.Uni;
import io.strata.events.EventCodec;
import io.strata.events.TableColumn;
import io.strata.events.TableShape;
import io.strata.projections.rowdata.StatePath;
import io.strata.projections.rowdata.TrackedTable;
import io.strata.projections.rowdata.UnitOfWork;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;

/**
 * The columns of a branch's objects of a table changing ({@link PgBranchObjects}'s column operations): added,
 * dropped, renamed, restored by a reset, altered (converted too) and the table's own defined otherwise, each by
 * {@link #changeShape} — the change's statements, the branch's query views and state functions made again, its
 * registration's added, renamed and redefined columns filed.
 */
final class PgBranchColumns {
  private PgBranchColumns() {}

  static Uni<Void> addColumns(UnitOfWork unit, TrackedTable table, String branch, List<TableShape.Column> columns) {
    List<TableColumn> columnsAfter = new ArrayList<>(table.columnsOnRef());
    columns.forEach(c -> columnsAfter.add(c.asTableColumn()));
    List<TableShape.Column> addedAfter = new ArrayList<>(table.refAdded());
    addedAfter.addAll(columns);
    return changeShape(unit, table, branch, columnsAfter, addedAfter, (before, after, view) ->
        BranchColumnsSql.addColumns(before, after, columns) + new BranchObjectsSql(after).replaceView(view[0], view[1]));
  }

  static Uni<Void> dropColumns(UnitOfWork unit, TrackedTable table, String branch, List<String> names) {
    // the table's own unique constraints naming them go first (their checks read the columns)
    return PgOwnUniques.dropNaming(PgUnit.of(unit), OverlaySql.of(table).onBranch(table.branchId(branch)), names)
        .chain(() -> changeShape(unit, table, branch,
        table.columnsOnRef().stream().filter(c -> !names.contains(c.name())).toList(),
        table.refAdded().stream().filter(c -> !names.contains(c.name())).toList(),
        (before, after, view) -> BranchColumnsSql.dropColumns(before, after, view[0], view[1], names)));
  }

  static Uni<Void> renameColumns(UnitOfWork unit, TrackedTable table, String branch,
      java.util.Map<String, String> renamed) {
    return changeShape(unit, table, branch, table.columnsOnRef(), table.refAdded(), renamed,
        (before, after, view) -> BranchColumnsSql.renameColumns(before, after, view[0], view[1]));
  }

  static Uni<Void> restoreColumns(UnitOfWork unit, TrackedTable table, String branch, List<TableColumn> columns) {
    return changeShape(unit, table, branch, table.columnsRestoring(columns), table.refAdded(),
        (before, after, view) -> BranchColumnsSql.restoreColumns(before, after, view[0], view[1], columns));
  }

  static Uni<Void> fillRestoredColumns(UnitOfWork unit, TrackedTable table, String branch, List<TableColumn> columns,
      StatePath target) {
    return fillRestoredColumns(unit, table, branch, columns, target, false);
  }

  /** {@link #fillRestoredColumns}; {@code defaults}: rows the table has no row of take its defaults first. */
  static Uni<Void> fillRestoredColumns(UnitOfWork unit, TrackedTable table, String branch, List<TableColumn> columns,
      StatePath target, boolean defaults) {
    OverlaySql onBranch = OverlaySql.of(table).onBranch(table.branchId(branch));
    ColumnFillSql sql = new ColumnFillSql(onBranch);
    List<String> names = columns.stream().map(TableColumn::name).toList();
    OverlaySql main = OverlaySql.of(new TrackedTable(table.repository(), table.name(), table.schema(), table.table(),
        table.key(), table.columns()));
    // the images along the path to the state: their values, and the keys the state has no row of
    String changed = ChangeImagesSql.changed(main, "$1", "$2", target.undoWorkingChanges());
    Tuple path = Tuple.of(target.undo().toArray(String[]::new), target.redo().toArray(String[]::new));
    SqlConnection tx = PgUnit.of(unit);
    return tx.query(sql.fillFromTable(names)).execute()
        .chain(() -> defaults ? tx.query(sql.fillDefaultsWhereTableHasNoRow(names)).execute()
            : Uni.createFrom().nullItem())
        .chain(() -> tx.preparedQuery(sql.refillColumns(changed, names)).execute(path))
        // (a row the branch inserted whose key the default branch inserted too, without committing)
        .chain(() -> !defaults ? Uni.createFrom().nullItem()
            : tx.preparedQuery(sql.fillDefaultsWhereInsertedUncommitted(changed, names, main.workingLog())).execute(path))
        .chain(() -> tx.query(BranchColumnsSql.requireRestored(onBranch, names)).execute())
        .replaceWithVoid();
  }

  static Uni<Void> alterColumns(UnitOfWork unit, TrackedTable table, String branch, List<TableShape.Column> columns,
      java.util.Map<String, String> using) {
    java.util.Map<String, TableShape.Column> by = new java.util.HashMap<>();
    columns.forEach(c -> by.put(c.name(), c));
    List<TableColumn> columnsAfter = table.columnsOnRef().stream()
        .map(c -> by.containsKey(c.name()) ? by.get(c.name()).asTableColumn() : c).toList();
    List<TableShape.Column> addedAfter = table.refAdded().stream().map(c -> by.getOrDefault(c.name(), c)).toList();
    Uni<Void> change = changeShape(unit, table, branch, columnsAfter, addedAfter,
        (before, after, view) -> BranchColumnsSql.alterColumns(before, after, view[0], view[1], table.refAdded(),
            columns, using));
    if (using.isEmpty()) {
      return change;
    }
    // a client's expression runs over every row the branch holds, the repository's commands waiting: under the time
    // limit a check's scan has (each statement), and resolved as it was vetted, among PostgreSQL's own functions and
    // operators only (a closer match of another schema would win otherwise); then the caller's settings given back
    // (a failure ends the caller's transaction)
    SqlConnection tx = PgUnit.of(unit);
    return tx.query("select current_setting('statement_timeout')").execute()
        .map(rows -> rows.iterator().next().getString(0))
        .chain(before -> tx.query("set local statement_timeout = '" + PgBranchRules.CHECK_SCAN_TIMEOUT + "'").execute()
            .chain(() -> CatalogPath.pinned(tx, () -> change))
            .chain(() -> tx.preparedQuery("select set_config('statement_timeout', $1, true)").execute(Tuple.of(before))))
        .replaceWithVoid();
  }

  static Uni<Void> redefineColumns(UnitOfWork unit, TrackedTable table, String branch,
      List<TableShape.Column> redefined) {
    return changeShape(unit, table, branch, typedColumns(table, redefined), table.refAdded(), null, redefined,
        (before, after, view) -> OwnColumnRedefinitionSql.redefineColumns(before, after, view[0], view[1]));
  }

  static Uni<Void> requireRedefinable(UnitOfWork unit, TrackedTable table, String branch,
      List<TableShape.Column> redefined) {
    OverlaySql before = OverlaySql.of(table).onBranch(table.branchId(branch));
    OverlaySql after = before.withBranchShape(typedColumns(table, redefined), table.refAdded()).withRedefined(redefined);
    String checks = OwnColumnRedefinitionSql.redefinitionChecks(before, after);
    return checks.isBlank() ? Uni.createFrom().voidItem() : PgUnit.of(unit).query(checks).execute().replaceWithVoid();
  }

  static Uni<Boolean> redefineColumnsIfTheyConvert(UnitOfWork unit, TrackedTable table, String branch,
      List<TableShape.Column> redefined) {
    SqlConnection tx = PgUnit.of(unit);
    OverlaySql before = OverlaySql.of(table).onBranch(table.branchId(branch));
    OverlaySql after = before.withBranchShape(typedColumns(table, redefined), table.refAdded()).withRedefined(redefined);
    List<String> retyped = OwnColumnRedefinitionSql.retyped(before, after);
    if (retyped.isEmpty()) {
      return redefineColumns(unit, table, branch, redefined).map(x -> true);
    }
    return ifTheyConvert(tx, OwnColumnRedefinitionSql.retypeCheckStatements(before, after, retyped),
        () -> redefineColumns(unit, table, branch, redefined));
  }

  /**
   * {@code change} when PL/pgSQL statements {@code checks} (a block declaring {@code k text} runs them) raise
   * nothing (true); else nothing changes (false). The checks run in a block of their own: a failed statement
   * would end the caller's transaction.
   */
  private static Uni<Boolean> ifTheyConvert(SqlConnection tx, String checks,
      java.util.function.Supplier<Uni<Void>> change) {
    String check = "do $strata_c$ declare k text; begin perform set_config('strata.converts', 'false', true); begin "
        + checks + " perform set_config('strata.converts', 'true', true); exception when others then null; end;"
        + " end $strata_c$";
    return tx.query(check).execute()
        .chain(() -> tx.query("select current_setting('strata.converts')").execute())
        .chain(rows -> !"true".equals(rows.iterator().next().getString(0)) ? Uni.createFrom().item(false)
            : change.get().map(x -> true));
  }

  /**
   * The branch's columns in the types it gives them once it defines the table's own as {@code redefined} does: a
   * column of the table's own redefined, its redefinition's (the table's, for a redefinition a hard reset gives
   * back); else the type it has (a branch that kept a column's type when a merge widened the table's keeps it); a
   * column the branch added, its own.
   */
  private static List<TableColumn> typedColumns(TrackedTable table, List<TableShape.Column> redefined) {
    java.util.Set<String> own = new java.util.HashSet<>(table.columns().stream().map(TableColumn::name).toList());
    java.util.Set<String> added = new java.util.HashSet<>(table.refAdded().stream().map(TableShape.Column::name)
        .toList());
    return table.columnsOnRef().stream().map(c -> added.contains(c.name()) || !own.contains(c.name()) ? c
        : new TableColumn(c.name(), redefined.stream().filter(r -> r.name().equals(c.name()))
            .map(TableShape.Column::type).filter(t -> !io.strata.events.ColumnTypes.same(t, c.type()))
            .findFirst().orElse(c.type()), c.nullable())).toList();
  }

  static Uni<Boolean> alterColumnsIfTheyConvert(UnitOfWork unit, TrackedTable table, String branch,
      List<TableShape.Column> columns) {
    SqlConnection tx = PgUnit.of(unit);
    OverlaySql b = OverlaySql.of(table).onBranch(table.branchId(branch));
    // each value the branch holds checked first: one that does not convert, or reads otherwise, answers false
    StringBuilder checks = new StringBuilder();
    columns.forEach(c -> checks.append(BranchColumnsSql.unchanged(b, c.name(), c.type())).append('\n'));
    return ifTheyConvert(tx, checks.toString(), () -> alterColumns(unit, table, branch, columns, java.util.Map.of()));
  }

  /** The statements that change a branch's objects from {@code before} to {@code after}; its view's schema and name. */
  private interface ShapeChange {
    String sql(OverlaySql before, OverlaySql after, String[] view);
  }

  /**
   * Gives {@code branch}'s objects of {@code table} the columns {@code columnsAfter}, of which it added
   * {@code addedAfter}: the change's statements, its query views made again, its registration's added columns.
   */
  private static Uni<Void> changeShape(UnitOfWork unit, TrackedTable table, String branch,
      List<TableColumn> columnsAfter, List<TableShape.Column> addedAfter, ShapeChange change) {
    return changeShape(unit, table, branch, columnsAfter, addedAfter, null, change);
  }

  /**
   * As above, the branch then showing its columns under the names {@code renamedAfter} gives them (null: those
   * its registration files, but for columns it no longer has). The registration, not the caller, says how the
   * branch's views show its columns now: every change of its shape makes them again so.
   */
  private static Uni<Void> changeShape(UnitOfWork unit, TrackedTable table, String branch,
      List<TableColumn> columnsAfter, List<TableShape.Column> addedAfter, java.util.Map<String, String> renamedAfter,
      ShapeChange change) {
    return changeShape(unit, table, branch, columnsAfter, addedAfter, renamedAfter, null, change);
  }

  /**
   * As above, the branch then defining the table's own columns as {@code redefinedAfter} does (null: as its
   * registration files, but for columns it no longer has): the registration, not the caller, says how.
   */
  private static Uni<Void> changeShape(UnitOfWork unit, TrackedTable table, String branch,
      List<TableColumn> columnsAfter, List<TableShape.Column> addedAfter, java.util.Map<String, String> renamedAfter,
      List<TableShape.Column> redefinedAfter, ShapeChange change) {
    SqlConnection tx = PgUnit.of(unit);
    OverlaySql unnamed = OverlaySql.of(table).onBranch(table.branchId(branch));
    return tx.query(STRATA_OWN_DDL + PgQueryAccess.LOCK).execute()
        .chain(() -> tx.preparedQuery(BranchObjectsSql.OVERLAYS).execute(Tuple.of(table.id())))
        .chain(rows -> {
          for (Row r : rows) {
            if (r.getString(0).equals(unnamed.bid())) {
              java.util.Map<String, String> registered = BranchObjectsSql.renamed(r.getString(7));
              OverlaySql before = unnamed.withRenamed(registered)
                  .withRedefined(BranchObjectsSql.redefined(r.getString(8)));
              java.util.Map<String, String> shown = new java.util.TreeMap<>(renamedAfter != null ? renamedAfter
                  : registered);
              shown.keySet().retainAll(columnsAfter.stream().map(TableColumn::name).toList());
              OverlaySql shaped = before.withBranchShape(columnsAfter, addedAfter);
              OverlaySql after = (redefinedAfter == null ? shaped : shaped.withRedefined(redefinedAfter))
                  .withRenamed(shown).forkedAt(r.getLong(4));
              OverlaySql.rowTypesChanging();
              return tx.query(change.sql(before, after, new String[] {r.getString(2), r.getString(3)})).execute()
                  .invoke(OverlaySql::rowTypesChanging)
                  .chain(() -> PgQueryAccess.addViews(tx, after))
                  .chain(() -> PgQueryAccess.remakeStateFunctions(tx, after))
                  .chain(() -> tx.preparedQuery(BranchColumnsSql.REGISTER_ADDED).execute(Tuple.of(table.id(),
                      before.bid(), EventCodec.mapper().valueToTree(addedAfter).toString())))
                  .chain(() -> tx.preparedQuery(BranchColumnsSql.REGISTER_RENAMED).execute(Tuple.of(table.id(),
                      before.bid(), EventCodec.mapper().valueToTree(after.shape().renamed()).toString())))
                  .chain(() -> tx.preparedQuery(BranchColumnsSql.REGISTER_REDEFINED).execute(Tuple.of(table.id(),
                      before.bid(), EventCodec.mapper().valueToTree(after.shape().redefined()).toString())))
                  .replaceWithVoid();
            }
          }
          return Uni.createFrom().failure(new IllegalStateException("branch '" + branch + "' has no objects of table '"
              + table.name() + "'"));
        });
  }
}
