package io.strata.projections.overlay;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.strata.events.TableColumn;
import io.strata.projections.postgres.PgErrors;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.function.Function;
import org.jboss.logging.Logger;

/**
 * The layout version of Strata's objects in a database it writes into (schema {@code strata}: the
 * registry, the sidecars, and per tracked table its working log, change sets, capture and branch
 * objects), recorded in {@code strata.layout} and upgraded in place, in one transaction, the first
 * time this build uses the database. A table tracked by an older build is brought to this build's
 * objects with its data, working changes and history intact: no untrack and track again.
 *
 * <p>Each version's step says what changed. A step that regenerates a table's objects reads the
 * table's layout from what Strata keeps beside it (its working log's columns and key), so an upgrade
 * needs nothing from the metadata database and runs the same in every storage.
 */
public final class StrataLayout {
  private static final Logger LOG = Logger.getLogger(StrataLayout.class);

  /** The version this build writes. */
  public static final int CURRENT = 25;

  private record Step(int version, String what, Function<SqlConnection, Uni<Void>> apply) {}

  private static final List<Step> STEPS = List.of(
      // 1 is the layout of builds before versions were recorded: registry, overlays and sidecars
      new Step(2, "a commit gate per table, and captures that take it instead of an advisory lock",
          tx -> eachTrackedTable(tx, sql -> tx.query(sql.lockAgainstWriters()).execute()
              .chain(() -> tx.query(new TrackingSql(sql).createCommitGate()).execute())
              // commits made the change-set table where it was missing; they no longer look
              .chain(() -> tx.query(new TrackingSql(sql).createChanges()).execute())
              .chain(() -> PgTracking.regenerateCapture(tx, sql)))),
      // the merge functions come with the base objects of every layout from 3 on
      new Step(3, "the three-way merge functions", tx -> Uni.createFrom().voidItem()),
      // the merges' recovery sidecars come with the base objects of every layout from 4 on
      new Step(4, "recovery sidecars of merges", tx -> Uni.createFrom().voidItem()),
      new Step(5, "branch views whose anti joins hash the overlay, not the table (BranchStateSql)",
          tx -> eachTrackedTable(tx, sql -> tx.preparedQuery(BranchObjectsSql.OVERLAYS).execute(Tuple.of(sql.tableId()))
              .chain(overlays -> {
                StringBuilder views = new StringBuilder();
                for (Row r : overlays) {
                  views.append(BranchStateSql.replaceViews(sql.onBranch(r.getString(0)).forkedAt(r.getLong(4)),
                      r.getString(2), r.getString(3)));
                }
                return views.isEmpty() ? Uni.createFrom().voidItem() : tx.query(views.toString()).execute().replaceWithVoid();
              }))),
      new Step(6, "pre-image logs indexed by epoch: a branch's statement finds whether anything was filed since"
          + " its fork with one probe, not a scan of what older branches keep",
          tx -> eachTrackedTable(tx, sql -> tx.query(new TrackingSql(sql).indexPreimagesByEpoch()).execute()
              .replaceWithVoid())),
      new Step(7, "branch views' write functions read by keys whatever the pre-image log's statistics say (a"
          + " bulk write through a view scanned the whole log once per row while autovacuum had not analysed it)",
          tx -> eachTrackedTable(tx, sql -> tx.preparedQuery(BranchObjectsSql.OVERLAYS).execute(Tuple.of(sql.tableId()))
              .chain(overlays -> {
                StringBuilder functions = new StringBuilder();
                for (Row r : overlays) {
                  functions.append(new BranchObjectsSql(sql.onBranch(r.getString(0))).readByKeysOnly());
                }
                return functions.isEmpty() ? Uni.createFrom().voidItem()
                    : tx.query(functions.toString()).execute().replaceWithVoid();
              }))),
      // the DDL guard comes with the base objects of every layout from 8 on
      new Step(8, "the DDL guard: DDL on tracked tables followed or refused in its own transaction (DdlGuardSql)",
          tx -> Uni.createFrom().voidItem()),
      // strata.follow_columns comes with the base objects of every layout from 9 on
      new Step(9, "capture templates: a table's capture follows columns it gains in the transaction that adds"
          + " them (FollowColumnsSql)", tx -> eachTrackedTable(tx, sql -> PgTracking.regenerateCapture(tx, sql))),
      // the guard comes with the base objects
      new Step(10, "the DDL guard follows columns added while branches read the table: each keeps its columns",
          tx -> Uni.createFrom().voidItem()),
      // the functions come with the base objects
      new Step(11, "merges of images recorded before a column was added leave it to the other side"
          + " (strata.merge_images), rows inserted from them take its default (strata.column_defaults)",
          tx -> Uni.createFrom().voidItem()),
      // the guard comes with the base objects
      new Step(12, "only Strata's own role (and its members) may turn the DDL guard off (strata.ddl_check)",
          tx -> Uni.createFrom().voidItem()),
      // the registry's column comes with the base objects
      new Step(13, "columns added on a branch through Strata: filed with the branch's registration",
          tx -> Uni.createFrom().voidItem()),
      // the functions come with the base objects
      new Step(14, "a row inserted on both sides, one side's image recorded before the table gained a column:"
          + " the column is the other side's, not an add_add conflict (strata.merge_images)",
          tx -> Uni.createFrom().voidItem()),
      // the registry's column comes with the base objects
      new Step(15, "columns a branch shows under other names (rename_column): filed with the branch's registration,"
          + " shown by its views", tx -> Uni.createFrom().voidItem()),
      // the registry's column comes with the base objects; an overlay's unnamed check of the table's NOT NULL
      // columns is found by its kind (the one valid check that is not a column's own) when it is first made again
      new Step(16, "the table's own columns a branch defines otherwise (NOT NULL, default): filed with the branch's"
          + " registration, held by its overlay and view", tx -> Uni.createFrom().voidItem()),
      // the tables and the check come with the base objects
      new Step(17, "unique constraints on branches: checked once at the end of each transaction that wrote the"
          + " overlay (strata.unique_pending, strata.unique_check)", tx -> Uni.createFrom().voidItem()),
      // the column comes with the base objects
      new Step(18, "unique constraints a merge in progress carried to a branch: registered pending"
          + " (strata.unique_rules.pending) until it concludes or is aborted", tx -> Uni.createFrom().voidItem()),
      // the columns come with the base objects; a branch made before holds none of the table's own
      new Step(19, "the table's own unique constraints held on the branches made from now on"
          + " (strata.unique_rules.own, .columns)", tx -> Uni.createFrom().voidItem()),
      // the function comes with the base objects
      new Step(20, "the check at the end of a transaction that wrote a branch holding unique constraints asks"
          + " whether Strata's own recovery turned it off only when the setting is there", tx -> Uni.createFrom()
          .voidItem()),
      // the guard comes with the base objects
      new Step(21, "DDL on a branch's view (a column renamed, a default set, the view dropped or moved) refused,"
          + " naming the branch's schema operations: it left the branch's write function behind",
          tx -> Uni.createFrom().voidItem()),
      // the guard comes with the base objects
      new Step(22, "the refusal of DDL on a branch's view names the schema endpoint's operations as they are, and its"
          + " statements", tx -> Uni.createFrom().voidItem()),
      // the table comes with the base objects
      new Step(23, "the table's own unique constraints a branch could not hold when the table gained them (its writers"
          + " held it): tried again later (strata.unique_holds_owed)", tx -> Uni.createFrom().voidItem()),
      // the function comes with the base objects
      new Step(24, "a branch that keeps its columns when the table gains others reads them in the table's order, also"
          + " when its overlay has one given back at its end (strata.follow_columns)", tx -> Uni.createFrom()
          .voidItem()),
      new Step(25, "the promotion gate on every branch view: a statement's write refused while its branch is gated"
          + " (strata.gated_branches)", tx -> tx.query(GateSql.VIEWS).execute().chain(views -> {
            StringBuilder triggers = new StringBuilder();
            for (Row r : views) {
              triggers.append(GateSql.trigger(r.getString(1), r.getString(2), r.getString(0)));
            }
            return triggers.isEmpty() ? Uni.createFrom().voidItem()
                : tx.query(triggers.toString()).execute().replaceWithVoid();
          })));

  private StrataLayout() {}

  /**
   * Brings the database of {@code pool} to {@link #CURRENT}: creates the layout of an empty one, runs
   * the steps after an older one's version. Answers the version found.
   *
   * @throws IllegalStateException (as the Uni's failure) when a newer build wrote the database: this
   *     build would not know its objects
   */
  public static Uni<Integer> upgrade(Pool pool) {
    // the steps' own DDL on tracked tables (captures regenerated) is not the guard's to look at
    return pool.withTransaction(tx -> tx.query(DdlGuardSql.UNCHECKED).execute()
            .chain(() -> tx.query(LayoutSql.PREPARE).execute())
            .chain(() -> tx.query(LayoutSql.VERSION).execute())
            .map(rows -> rows.iterator().next().getInteger(0))
            .call(found -> upgradeFrom(tx, found)))
        // two servers creating the schema or table at once: the loser's transaction rolled back; again
        .onFailure(e -> PgErrors.kind(e) == PgErrors.Kind.DUPLICATE).retry().atMost(2);
  }

  private static Uni<Void> upgradeFrom(SqlConnection tx, int found) {
    if (found > CURRENT) {
      return Uni.createFrom().failure(new IllegalStateException("Strata's objects in this database are of layout "
          + found + ", newer than this build's " + CURRENT + ": run a newer build"));
    }
    if (found == CURRENT) {
      return Uni.createFrom().voidItem();
    }
    Uni<Void> base = tx.query(LayoutSql.BASE).execute()
        .chain(() -> tx.query(LayoutSql.MERGE_FUNCTION).execute())
        .chain(() -> tx.query(DdlGuardSql.INSTALL).execute())
        .chain(() -> tx.query(FollowColumnsSql.FUNCTION).execute())
        .chain(() -> tx.query(BranchUniquesLayoutSql.INSTALL).execute())
        .chain(() -> tx.query(GateSql.INSTALL).execute()).replaceWithVoid();
    if (found == 0) {
      return base.chain(() -> record(tx, CURRENT)); // nothing to upgrade: the objects come with each table
    }
    List<Step> due = STEPS.stream().filter(s -> s.version() > found).toList();
    return base.chain(() -> Multi.createFrom().iterable(due)
            .onItem().transformToUniAndConcatenate(step -> step.apply().apply(tx)
                .invoke(() -> LOG.infof("Strata layout %d: %s", step.version(), step.what())))
            .collect().last())
        .chain(() -> record(tx, CURRENT));
  }

  private static Uni<Void> record(SqlConnection tx, int version) {
    return tx.preparedQuery(LayoutSql.RECORD).execute(Tuple.of(version)).replaceWithVoid();
  }

  /** Runs {@code work} for every table tracked in this database, as its default branch sees it. */
  private static Uni<Void> eachTrackedTable(SqlConnection tx, Function<OverlaySql, Uni<Void>> work) {
    return tx.query(LayoutSql.TRACKED).execute()
        .chain(rows -> {
          List<Uni<OverlaySql>> tables = new ArrayList<>();
          for (Row r : rows) {
            tables.add(trackedTable(tx, r.getString(0), r.getString(1), r.getString(2)));
          }
          return Multi.createFrom().iterable(tables)
              .onItem().transformToUniAndConcatenate(table -> table.chain(t -> work.apply(t)))
              .collect().last();
        })
        .replaceWithVoid();
  }

  private static Uni<OverlaySql> trackedTable(SqlConnection tx, String tid, String schema, String table) {
    OverlaySql named = OverlaySql.of(tid, schema, table, List.of(), List.of());
    return tx.preparedQuery(LayoutSql.TRACKED_LAYOUT).execute(Tuple.of(named.workingLog(), named.table()))
        .map(rows -> {
          List<TableColumn> columns = new ArrayList<>();
          TreeMap<Integer, String> key = new TreeMap<>();
          for (Row r : rows) {
            columns.add(new TableColumn(r.getString(0), r.getString(1), r.getBoolean(2)));
            if (r.getInteger(3) != null) {
              key.put(r.getInteger(3), r.getString(0));
            }
          }
          return OverlaySql.of(tid, schema, table, List.copyOf(key.values()), columns);
        });
  }
}
