package io.strata.projections.overlay;

import io.smallrye.mutiny.Uni;
import io.strata.events.EventCodec;
import io.strata.events.TableColumn;
import io.strata.events.TableShape;
import io.strata.projections.postgres.Sql;
import io.strata.projections.rowdata.BranchObjects;
import io.strata.projections.rowdata.BranchRef;
import io.strata.projections.rowdata.StatePath;
import io.strata.projections.rowdata.TrackedTable;
import io.vertx.mutiny.sqlclient.Row;

import io.strata.projections.rowdata.UnitOfWork;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A branch's objects of a table in PostgreSQL: an overlay (the rows the branch made differ from the
 * table, with tombstones), a working log, and an updatable view in schema {@code strata_<branch>} whose
 * INSTEAD OF trigger writes both, over the table's shared pre-image log (see {@link OverlaySql}). Each
 * branch creation starts a new fork epoch of the table, and the capture on the table is regenerated to
 * file pre-images under it (or to stop filing them when the last branch goes).
 */
public final class PgBranchObjects implements BranchObjects<UnitOfWork> {

  /**
   * A branch's objects are Strata's own DDL, none of it on the table itself: the DDL guard has nothing
   * to look at (it would cost a quarter of a branch's creation: benchmarks/run-ddl.sh).
   */
  static final String STRATA_OWN_DDL = DdlGuardSql.UNCHECKED + ";\n";

  @Override
  public Uni<Void> create(UnitOfWork unit, TrackedTable table, String branch, StatePath start) {
    SqlConnection tx = PgUnit.of(unit);
    OverlaySql main = OverlaySql.of(table);
    OverlaySql onBranch = main.onBranch(table.branchId(branch));
    return remove(unit, table, branch).chain(() -> add(tx, main, onBranch, table.name(), branch, start))
        // the table's own unique constraints held on the branch's rows as the table holds them on its own
        .chain(() -> PgOwnUniques.hold(tx, onBranch, table, branch));
  }

  @Override
  public Uni<Void> create(UnitOfWork unit, TrackedTable table, String branch, StatePath start,
      List<TableShape.Column> inherited) {
    if (inherited.isEmpty()) {
      return create(unit, table, branch, start);
    }
    List<TableColumn> columnsAfter = new ArrayList<>(table.columns());
    inherited.forEach(c -> columnsAfter.add(c.asTableColumn()));
    TrackedTable after = new TrackedTable(table.repository(), table.name(), table.schema(), table.table(), table.key(),
        table.columns(), columnsAfter, inherited);
    OverlaySql main = OverlaySql.of(table);
    OverlaySql onBranch = OverlaySql.of(after).onBranch(after.branchId(branch));
    // the start state's rows were filled in the table's columns: their values of the new ones come from
    // their images, which have them (the source's change sets were made in its columns)
    return create(unit, table, branch, start)
        .chain(() -> addColumns(unit, table, branch, inherited))
        .chain(() -> start.isWorking() ? Uni.createFrom().voidItem() : PgUnit.of(unit)
            .preparedQuery(new BranchObjectsSql(onBranch).refillColumns(ChangeImagesSql.changed(main, "$1", "$2",
                start.undoWorkingChanges()), inherited.stream().map(TableShape.Column::name).toList()))
            .execute(Tuple.of(start.undo().toArray(String[]::new), start.redo().toArray(String[]::new)))
            .replaceWithVoid());
  }

  @Override
  public Uni<Void> releaseDroppedTableUniques(UnitOfWork unit, TrackedTable table) {
    return PgOwnUniques.releaseDropped(PgUnit.of(unit), OverlaySql.of(table));
  }

  @Override
  public Uni<Void> waitForLocksAtMost(UnitOfWork unit, java.time.Duration limit) {
    return PgUnit.of(unit).query("set local lock_timeout = '" + (limit == null ? 0 : Math.max(1, limit.toMillis()))
        + "ms'").execute().replaceWithVoid();
  }

  @Override
  public Uni<Void> remove(UnitOfWork unit, TrackedTable table, String branch) {
    SqlConnection tx = PgUnit.of(unit);
    OverlaySql onBranch = OverlaySql.of(table).onBranch(table.branchId(branch));
    OverlaySql.rowTypesChanging(); // its row type goes: one of its name made again is another
    return tx.query(STRATA_OWN_DDL + onBranch.lockAgainstWriters()).execute()
        .chain(() -> tx.preparedQuery(BranchObjectsSql.OVERLAYS).execute(Tuple.of(table.id())))
        .chain(rows -> {
          for (Row r : rows) {
            if (r.getString(0).equals(onBranch.bid())) {
              return tx.query(new BranchObjectsSql(onBranch).drop(r.getString(2), r.getString(3))
                      + BranchObjectsSql.dropSchemaIfEmpty(r.getString(2))).execute()
                  .chain(() -> tx.preparedQuery(BranchObjectsSql.UNREGISTER_OVERLAY)
                      .execute(Tuple.of(table.id(), onBranch.bid())))
                  .chain(() -> tx.query(new TrackingSql(onBranch).collectPreimages()).execute())
                  .chain(() -> PgTracking.regenerateCapture(tx, onBranch));
            }
          }
          return Uni.createFrom().voidItem();
        });
  }

  private final PgBranchRules rules = new PgBranchRules();
  private final PgColumnDefinitions definitions = new PgColumnDefinitions(rules);

  @Override
  public Uni<List<TableShape.Column>> define(UnitOfWork unit, List<NewColumn> columns) {
    return definitions.define(unit, columns);
  }

  @Override
  public Uni<List<TableShape.Column>> redefine(UnitOfWork unit, List<Redefinition> changes) {
    return definitions.redefine(unit, changes);
  }

  @Override
  public Uni<DefinedRule> defineCheck(UnitOfWork unit, List<TableColumn> columns, String name, String check) {
    return rules.defineCheck(unit, columns, name, check);
  }

  @Override
  public Uni<DefinedRule> defineIndex(UnitOfWork unit, TrackedTable table, List<TableColumn> columns, String name,
      String method, List<String> indexed) {
    return rules.defineIndex(unit, table, columns, name, method, indexed);
  }

  @Override
  public Uni<Void> recovering(UnitOfWork unit) {
    return PgUnit.of(unit).query(BranchUniquesLayoutSql.UNCHECKED).execute().replaceWithVoid();
  }

  @Override
  public Uni<DefinedRule> defineUnique(UnitOfWork unit, TrackedTable table, List<TableColumn> columns, String name,
      List<String> unique) {
    return PgUniqueDefinition.define(unit, table, columns, name, unique);
  }

  @Override
  public Uni<Void> requireRules(UnitOfWork unit, TrackedTable table, String branch,
      List<TableShape.Constraint> checks) {
    return rules.requireRules(unit, table, branch, checks);
  }

  @Override
  public Uni<Void> addRules(UnitOfWork unit, TrackedTable table, String branch, List<TableShape.Constraint> checks) {
    return rules.addRules(unit, table, branch, checks);
  }

  @Override
  public Uni<Void> addPendingRules(UnitOfWork unit, TrackedTable table, String branch,
      List<TableShape.Constraint> checks) {
    return rules.addPendingRules(unit, table, branch, checks);
  }

  @Override
  public Uni<Void> validatePendingRules(UnitOfWork unit, TrackedTable table, String branch,
      List<TableShape.Constraint> held) {
    return rules.validatePendingRules(unit, table, branch, held);
  }

  @Override
  public Uni<Void> unholdPendingRules(UnitOfWork unit, TrackedTable table, String branch) {
    return rules.unholdPendingRules(unit, table, branch);
  }

  @Override
  public Uni<List<String>> pendingRules(UnitOfWork unit, TrackedTable table, String branch, List<String> names) {
    return rules.pendingRules(unit, table, branch, names);
  }

  @Override
  public Uni<Void> dropRules(UnitOfWork unit, TrackedTable table, String branch, List<String> names) {
    return rules.dropRules(unit, table, branch, names);
  }

  @Override
  public Uni<Void> addColumns(UnitOfWork unit, TrackedTable table, String branch, List<TableShape.Column> columns) {
    List<TableColumn> columnsAfter = new ArrayList<>(table.columnsOnRef());
    columns.forEach(c -> columnsAfter.add(c.asTableColumn()));
    List<TableShape.Column> addedAfter = new ArrayList<>(table.refAdded());
    addedAfter.addAll(columns);
    return changeShape(unit, table, branch, columnsAfter, addedAfter, (before, after, view) ->
        BranchColumnsSql.addColumns(before, after, columns) + new BranchObjectsSql(after).replaceView(view[0], view[1]));
  }

  @Override
  public Uni<Void> dropColumns(UnitOfWork unit, TrackedTable table, String branch, List<String> names) {
    // the table's own unique constraints naming them go first (their checks read the columns)
    return PgOwnUniques.dropNaming(PgUnit.of(unit), OverlaySql.of(table).onBranch(table.branchId(branch)), names)
        .chain(() -> changeShape(unit, table, branch,
        table.columnsOnRef().stream().filter(c -> !names.contains(c.name())).toList(),
        table.refAdded().stream().filter(c -> !names.contains(c.name())).toList(),
        (before, after, view) -> BranchColumnsSql.dropColumns(before, after, view[0], view[1], names)));
  }

  @Override
  public Uni<Void> renameColumns(UnitOfWork unit, TrackedTable table, String branch,
      java.util.Map<String, String> renamed) {
    return changeShape(unit, table, branch, table.columnsOnRef(), table.refAdded(), renamed,
        (before, after, view) -> BranchColumnsSql.renameColumns(before, after, view[0], view[1]));
  }

  @Override
  public Uni<Void> restoreColumns(UnitOfWork unit, TrackedTable table, String branch, List<TableColumn> columns) {
    return changeShape(unit, table, branch, table.columnsRestoring(columns), table.refAdded(),
        (before, after, view) -> BranchColumnsSql.restoreColumns(before, after, view[0], view[1], columns));
  }

  @Override
  public Uni<Void> fillRestoredColumns(UnitOfWork unit, TrackedTable table, String branch, List<TableColumn> columns,
      StatePath target) {
    BranchObjectsSql sql = new BranchObjectsSql(OverlaySql.of(table).onBranch(table.branchId(branch)));
    List<String> names = columns.stream().map(TableColumn::name).toList();
    TrackedTable main = new TrackedTable(table.repository(), table.name(), table.schema(), table.table(), table.key(),
        table.columns());
    SqlConnection tx = PgUnit.of(unit);
    return tx.query(sql.fillFromTable(names)).execute()
        .chain(() -> tx.preparedQuery(sql.refillColumns(ChangeImagesSql.changed(OverlaySql.of(main), "$1", "$2",
                target.undoWorkingChanges()), names))
            .execute(Tuple.of(target.undo().toArray(String[]::new), target.redo().toArray(String[]::new))))
        .chain(() -> tx.query(BranchColumnsSql.requireRestored(OverlaySql.of(table).onBranch(table.branchId(branch)),
            names)).execute())
        .replaceWithVoid();
  }

  @Override
  public Uni<Void> alterColumns(UnitOfWork unit, TrackedTable table, String branch, List<TableShape.Column> columns,
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

  @Override
  public Uni<Void> redefineColumns(UnitOfWork unit, TrackedTable table, String branch,
      List<TableShape.Column> redefined) {
    return changeShape(unit, table, branch, typedColumns(table, redefined), table.refAdded(), null, redefined,
        (before, after, view) -> OwnColumnRedefinitionSql.redefineColumns(before, after, view[0], view[1]));
  }

  @Override
  public Uni<Void> requireRedefinable(UnitOfWork unit, TrackedTable table, String branch,
      List<TableShape.Column> redefined) {
    OverlaySql before = OverlaySql.of(table).onBranch(table.branchId(branch));
    OverlaySql after = before.withBranchShape(typedColumns(table, redefined), table.refAdded()).withRedefined(redefined);
    String checks = OwnColumnRedefinitionSql.redefinitionChecks(before, after);
    return checks.isBlank() ? Uni.createFrom().voidItem() : PgUnit.of(unit).query(checks).execute().replaceWithVoid();
  }

  @Override
  public Uni<Boolean> redefineColumnsIfTheyConvert(UnitOfWork unit, TrackedTable table, String branch,
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

  @Override
  public Uni<Boolean> alterColumnsIfTheyConvert(UnitOfWork unit, TrackedTable table, String branch,
      List<TableShape.Column> columns) {
    SqlConnection tx = PgUnit.of(unit);
    OverlaySql b = OverlaySql.of(table).onBranch(table.branchId(branch));
    // each value the branch holds checked first: one that does not convert, or reads otherwise, answers false
    StringBuilder checks = new StringBuilder();
    columns.forEach(c -> checks.append(BranchColumnsSql.unchanged(b, c.name(), c.type())).append('\n'));
    return ifTheyConvert(tx, checks.toString(), () -> alterColumns(unit, table, branch, columns));
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
                      before.bid(), EventCodec.mapper().valueToTree(after.renamed()).toString())))
                  .chain(() -> tx.preparedQuery(BranchColumnsSql.REGISTER_REDEFINED).execute(Tuple.of(table.id(),
                      before.bid(), EventCodec.mapper().valueToTree(after.redefined()).toString())))
                  .replaceWithVoid();
            }
          }
          return Uni.createFrom().failure(new IllegalStateException("branch '" + branch + "' has no objects of table '"
              + table.name() + "'"));
        });
  }

  @Override
  public Uni<Optional<String>> location(UnitOfWork unit, TrackedTable table, BranchRef branch) {
    SqlConnection tx = PgUnit.of(unit);
    if (branch.isDefault()) {
      return Uni.createFrom().item(Optional.of(Sql.qualified(table.schema(), table.table())));
    }
    String bid = table.branchId(branch.name());
    return tx.preparedQuery(BranchObjectsSql.OVERLAYS).execute(Tuple.of(table.id())).map(rows -> {
      for (Row r : rows) {
        if (r.getString(0).equals(bid)) {
          return Optional.of(Sql.qualified(r.getString(2), r.getString(3)));
        }
      }
      return Optional.empty();
    });
  }

  /**
   * Creates the branch's overlay, working log and view, fills the overlay from {@code start}, starts a
   * new fork epoch at which the branch forks and regenerates the capture on T to file pre-images under
   * it. Holds off T's writers meanwhile: no write can fall between the fork point and the capture.
   */
  private static Uni<Void> add(SqlConnection tx, OverlaySql main, OverlaySql onBranch, String tableName,
      String branch, StatePath start) {
    BranchObjectsSql sql = new BranchObjectsSql(onBranch);
    String viewSchema = viewSchema(branch, onBranch.bid());
    Uni<Void> fill = start.isWorking()
        ? Uni.createFrom().voidItem()
        : tx.preparedQuery(sql.fillOverlay(ChangeImagesSql.changed(main, "$1", "$2", start.undoWorkingChanges())))
            .execute(Tuple.of(start.undo().toArray(String[]::new), start.redo().toArray(String[]::new)))
            .replaceWithVoid();
    return tx.query(STRATA_OWN_DDL + onBranch.lockAgainstWriters()).execute()
        .chain(() -> tx.query(sql.create()).execute())
        .chain(() -> fill)
        .chain(() -> tx.query(sql.copyChecks()).execute())
        .chain(() -> tx.preparedQuery(OverlaySql.EXISTS).execute(Tuple.of(Sql.qualified(viewSchema, tableName))))
        .chain(rows -> {
          // a view of that name is there already (a table of that name in another schema): a longer one
          String viewName = rows.iterator().next().getBoolean(0)
              ? tableName.substring(0, Math.min(tableName.length(), 40)) + "_" + onBranch.tableId() : tableName;
          return tx.preparedQuery(BranchObjectsSql.NEXT_EPOCH).execute(Tuple.of(onBranch.tableId()))
              .map(epoch -> epoch.iterator().next().getLong(0))
              .call(epoch -> tx.query(new BranchObjectsSql(onBranch.forkedAt(epoch)).createView(viewSchema, viewName))
                  .execute())
              .call(epoch -> PgQueryAccess.addViews(tx, onBranch.forkedAt(epoch)))
              .chain(epoch -> tx.preparedQuery(BranchObjectsSql.REGISTER_OVERLAY).execute(Tuple.of(onBranch.tableId(),
                  onBranch.bid(), branch, viewSchema, viewName, epoch)))
              // the rules its overlay was made with (a source's redefinitions: its start's rows keep to them)
              .chain(() -> tx.preparedQuery(BranchColumnsSql.REGISTER_REDEFINED).execute(Tuple.of(
                  onBranch.tableId(), onBranch.bid(), EventCodec.mapper().valueToTree(onBranch.redefined()).toString())));
        })
        .chain(() -> PgTracking.regenerateCapture(tx, onBranch));
  }

  /**
   * The schema of a branch's views: {@code strata_<branch>} when the name is a plain identifier that
   * fits, else a sanitised name with part of the branch id (identifier length and safety).
   */
  static String viewSchema(String branch, String bid) {
    if (branch.matches("[A-Za-z0-9_]{1,55}")) {
      return "strata_" + branch;
    }
    String plain = branch.replaceAll("[^A-Za-z0-9_]", "_");
    return "strata_" + plain.substring(0, Math.min(plain.length(), 40)) + "_" + bid.substring(0, 6);
  }
}
