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
  public Uni<Void> gate(UnitOfWork unit, String repository, java.util.Map<String, String> gated) {
    SqlConnection tx = PgUnit.of(unit);
    Uni<Void> cleared = tx.preparedQuery(GateSql.CLEAR).execute(Tuple.of(repository)).replaceWithVoid();
    if (gated.isEmpty()) {
      return cleared;
    }
    List<Tuple> rows = gated.entrySet().stream().map(e -> Tuple.of(e.getKey(), repository, e.getValue())).toList();
    return cleared.chain(() -> tx.preparedQuery(GateSql.ADD).executeBatch(rows)).replaceWithVoid();
  }

  @Override
  public Uni<java.util.Map<String, String>> gated(UnitOfWork unit, String repository) {
    return PgUnit.of(unit).preparedQuery(GateSql.LIST).execute(Tuple.of(repository)).map(rows -> {
      java.util.Map<String, String> gated = new java.util.TreeMap<>();
      rows.forEach(r -> gated.put(r.getString(0), r.getString(1)));
      return gated;
    });
  }

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
            .preparedQuery(new ColumnFillSql(onBranch).refillColumns(ChangeImagesSql.changed(main, "$1", "$2",
                start.undoWorkingChanges()), inherited.stream().map(TableShape.Column::name).toList()))
            .execute(Tuple.of(start.undo().toArray(String[]::new), start.redo().toArray(String[]::new)))
            .replaceWithVoid());
  }

  @Override
  public Uni<Void> releaseDroppedTableUniques(UnitOfWork unit, TrackedTable table) {
    return PgOwnUniques.releaseDropped(PgUnit.of(unit), OverlaySql.of(table));
  }

  @Override
  public Uni<Void> releaseSharedTableUniques(UnitOfWork unit, TrackedTable table, String branch) {
    return PgOwnUniques.releaseShared(PgUnit.of(unit), OverlaySql.of(table).onBranch(table.branchId(branch)));
  }

  @Override
  public Uni<Hold> holdTableUniques(UnitOfWork unit, TrackedTable table, String branch,
      java.time.Duration lockTimeout) {
    return PgOwnUniques.holdWithin(PgUnit.of(unit), table, branch, lockTimeout, false);
  }

  @Override
  public Uni<Hold> holdOwedTableUniques(UnitOfWork unit, TrackedTable table, String branch,
      java.time.Duration lockTimeout) {
    return PgOwnUniques.holdWithin(PgUnit.of(unit), table, branch, lockTimeout, true);
  }

  @Override
  public Uni<Void> oweTableUniques(UnitOfWork unit, TrackedTable table, String branch) {
    SqlConnection tx = PgUnit.of(unit);
    return PgOwnUniques.unheld(tx, OverlaySql.of(table).onBranch(table.branchId(branch)), table)
        .chain(unheld -> unheld.isEmpty() ? Uni.createFrom().voidItem()
            : tx.preparedQuery(OwnUniquesSql.OWE_NOW).execute(Tuple.of(table.id(), branch)).replaceWithVoid());
  }

  @Override
  public Uni<List<OwedHold>> owedTableUniques(UnitOfWork unit) {
    return PgUnit.of(unit).query(OwnUniquesSql.DUE).execute().map(rows -> {
      List<OwedHold> owed = new ArrayList<>();
      rows.forEach(r -> owed.add(new OwedHold(r.getString(0), r.getString(1), r.getString(2))));
      return owed;
    });
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
                  .chain(() -> tx.preparedQuery(OwnUniquesSql.PAID).execute(Tuple.of(table.id(), branch)))
                  .chain(() -> tx.query(new TrackingSql(onBranch).collectPreimages()).execute())
                  .chain(() -> PgTracking.regenerateCapture(tx, onBranch));
            }
          }
          return Uni.createFrom().voidItem();
        });
  }

  private final PgOverlayIncarnations incarnations = new PgOverlayIncarnations(this::remove);

  @Override
  public Uni<Optional<String>> incarnation(UnitOfWork unit, TrackedTable table, String branch) {
    return incarnations.of(unit, table, branch);
  }

  @Override
  public Uni<Boolean> remove(UnitOfWork unit, TrackedTable table, String branch, String incarnation) {
    return incarnations.remove(unit, table, branch, incarnation);
  }

  @Override
  public Uni<java.util.Map<String, String>> madeBefore(UnitOfWork unit, TrackedTable table, java.time.Duration age) {
    return incarnations.madeBefore(unit, table, age);
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
    return PgBranchColumns.addColumns(unit, table, branch, columns);
  }

  @Override
  public Uni<Void> dropColumns(UnitOfWork unit, TrackedTable table, String branch, List<String> names) {
    return PgBranchColumns.dropColumns(unit, table, branch, names);
  }

  @Override
  public Uni<Void> renameColumns(UnitOfWork unit, TrackedTable table, String branch,
      java.util.Map<String, String> renamed) {
    return PgBranchColumns.renameColumns(unit, table, branch, renamed);
  }

  @Override
  public Uni<Void> restoreColumns(UnitOfWork unit, TrackedTable table, String branch, List<TableColumn> columns) {
    return PgBranchColumns.restoreColumns(unit, table, branch, columns);
  }

  @Override
  public Uni<Void> fillRestoredColumns(UnitOfWork unit, TrackedTable table, String branch, List<TableColumn> columns,
      StatePath target) {
    return PgBranchColumns.fillRestoredColumns(unit, table, branch, columns, target);
  }

  @Override
  public Uni<Void> fillTakenColumns(UnitOfWork unit, TrackedTable table, String branch, List<TableColumn> columns,
      StatePath target) {
    return PgBranchColumns.fillRestoredColumns(unit, table, branch, columns, target, true);
  }

  @Override
  public Uni<Void> alterColumns(UnitOfWork unit, TrackedTable table, String branch, List<TableShape.Column> columns,
      java.util.Map<String, String> using) {
    return PgBranchColumns.alterColumns(unit, table, branch, columns, using);
  }

  @Override
  public Uni<Void> redefineColumns(UnitOfWork unit, TrackedTable table, String branch,
      List<TableShape.Column> redefined) {
    return PgBranchColumns.redefineColumns(unit, table, branch, redefined);
  }

  @Override
  public Uni<Void> requireRedefinable(UnitOfWork unit, TrackedTable table, String branch,
      List<TableShape.Column> redefined) {
    return PgBranchColumns.requireRedefinable(unit, table, branch, redefined);
  }

  @Override
  public Uni<Boolean> redefineColumnsIfTheyConvert(UnitOfWork unit, TrackedTable table, String branch,
      List<TableShape.Column> redefined) {
    return PgBranchColumns.redefineColumnsIfTheyConvert(unit, table, branch, redefined);
  }

  @Override
  public Uni<Boolean> alterColumnsIfTheyConvert(UnitOfWork unit, TrackedTable table, String branch,
      List<TableShape.Column> columns) {
    return PgBranchColumns.alterColumnsIfTheyConvert(unit, table, branch, columns);
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
                  onBranch.tableId(), onBranch.bid(), EventCodec.mapper().valueToTree(onBranch.shape().redefined()).toString())));
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
