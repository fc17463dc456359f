package io.strata.projections.overlay;

import io.strata.events.TableShape;
import io.strata.projections.postgres.PgErrors;
import io.strata.projections.postgres.ShapeCatalog;
import io.strata.projections.postgres.Sql;
import io.strata.projections.rowdata.ShapeChange;
import java.util.Optional;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.strata.events.TableColumn;
import io.strata.projections.postgres.TableCatalog;
import io.strata.projections.rowdata.StatePath;
import io.strata.projections.rowdata.TrackedTable;
import io.strata.projections.rowdata.TableMaking;
import io.strata.projections.rowdata.Tracking;
import io.vertx.mutiny.sqlclient.Row;

import io.strata.projections.rowdata.UnitOfWork;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;

/**
 * Tracking a table in PostgreSQL: Strata's objects beside it, in schema {@code strata} of its own
 * database (see {@link OverlaySql}) — its registration, working log, change-set table, commit gate,
 * capture triggers, and each live branch's objects.
 */
public final class PgTracking implements Tracking<UnitOfWork> {
  private static final PgBranchObjects BRANCHES = new PgBranchObjects();

  /**
   * Holding off writers of the table: installs the working log and the capture triggers, then measures
   * the rows. Every live branch gets an empty overlay and its view: the table reads the same on every
   * branch.
   */
  @Override
  public Uni<Measured> track(UnitOfWork unit, TrackedTable tracked, List<String> branches,
      BiFunction<String, String, Uni<Boolean>> isStale) {
    OverlaySql.rowTypesChanging(); // statements naming its row type are prepared afresh
    SqlConnection tx = PgUnit.of(unit);
    String tid = tracked.id();
    String schema = tracked.schema();
    String table = tracked.table();
    OverlaySql sql = OverlaySql.of(tracked);
    return tx.query(sql.lockAgainstWriters()).execute()
        .chain(() -> tx.preparedQuery(TrackingSql.REGISTRY_ENTRY).execute(Tuple.of(schema, table)))
        .chain(rows -> {
          if (rows.rowCount() == 0) {
            return Uni.createFrom().voidItem();
          }
          Row existing = rows.iterator().next();
          String oldTid = existing.getString(0);
          return isStale.apply(existing.getString(1), existing.getString(2)).chain(stale -> {
            if (!stale) {
              throw new AlreadyTracked(existing.getString(1));
            }
            return dropIn(tx, OverlaySql.of(oldTid, schema, table, tracked.key(), tracked.columns()));
          });
        })
        .chain(() -> tx.query(new TrackingSql(sql).createWorkingLog()).execute())
        .chain(() -> tx.query(new TrackingSql(sql).createChanges()).execute())
        .chain(() -> tx.query(new TrackingSql(sql).createCapture(false, 0)).execute())
        .chain(() -> tx.query(new TrackingSql(sql).createTriggers()).execute())
        .chain(() -> tx.preparedQuery(TrackingSql.REGISTER).execute(Tuple.of(tid, tracked.repository(),
            tracked.name(), schema, table)))
        // the capture's template is kept with the registration, which comes last: the DDL guard leaves
        // alone the triggers made on a table until it is registered
        .chain(() -> tx.query(new TrackingSql(sql).keepCaptureTemplate(false, 0)).execute())
        .chain(() -> Multi.createFrom().iterable(branches)
            .onItem().transformToUniAndConcatenate(b -> BRANCHES.create(unit, tracked, b, StatePath.WORKING))
            .collect().last())
        .chain(() -> TableCatalog.measured(tx, schema, table))
        .map(m -> new Measured(m.rowCount(), m.rowSum()));
  }

  /**
   * Removes the objects of a tracked table, its branches' included (idempotent); a table made on a branch and still at
   * Strata's place ({@link TableMaking#aside}) goes too: it is Strata's, and no client can name it.
   */
  @Override
  public Uni<Void> untrack(UnitOfWork unit, TrackedTable table) {
    OverlaySql.rowTypesChanging(); // statements naming its row type are prepared afresh
    SqlConnection tx = PgUnit.of(unit);
    boolean aside = PgTableMaking.aside(table).equals(new TableMaking.Place(table.schema(), table.table()));
    return dropIn(tx, OverlaySql.of(table))
        .chain(() -> !aside ? Uni.createFrom().voidItem() : tx.query(DdlGuardSql.UNCHECKED + "; drop table if exists "
            + OverlaySql.of(table).table()).execute().replaceWithVoid());
  }

  private static Uni<Void> dropIn(SqlConnection tx, OverlaySql sql) {
    return tx.preparedQuery(BranchObjectsSql.OVERLAYS).execute(Tuple.of(sql.tableId()))
        .chain(rows -> {
          List<String> drops = new ArrayList<>();
          for (Row r : rows) {
            drops.add(new BranchObjectsSql(sql.onBranch(r.getString(0))).drop(r.getString(2), r.getString(3))
                + BranchObjectsSql.dropSchemaIfEmpty(r.getString(2)) + ";");
          }
          // Strata's own DDL: its triggers on the table go, which the DDL guard would refuse
          return tx.query(DdlGuardSql.UNCHECKED).execute()
              .chain(() -> tx.query(String.join("", drops) + new TrackingSql(sql).dropAll()).execute());
        })
        .chain(() -> tx.preparedQuery(TrackingSql.UNREGISTER_OVERLAYS)
            .execute(Tuple.of(sql.tableId())))
        .chain(() -> tx.preparedQuery(TrackingSql.UNREGISTER).execute(Tuple.of(sql.tableId())))
        .chain(() -> tx.preparedQuery(DdlGuardSql.FORGET_TABLE).execute(Tuple.of(sql.tableId())))
        .chain(() -> tx.preparedQuery(OwnUniquesSql.FORGIVEN).execute(Tuple.of(sql.tableId())))
        .replaceWithVoid();
  }

  static Uni<Void> regenerateCapture(SqlConnection tx, OverlaySql sql) {
    return tx.preparedQuery(BranchObjectsSql.OVERLAYS).execute(Tuple.of(sql.tableId()))
        .chain(overlays -> tx.preparedQuery(TrackingSql.LAST_EPOCH).execute(Tuple.of(sql.tableId()))
            .chain(epoch -> tx.query(new TrackingSql(sql).createCapture(overlays.size() > 0, epoch.iterator().next().getLong(0)))
                .execute()))
        .replaceWithVoid();
  }

  @Override
  public Uni<Void> followColumns(UnitOfWork unit, TrackedTable table) {
    SqlConnection tx = PgUnit.of(unit);
    // Strata's own DDL, the capture's triggers on T among it: nothing for the DDL guard to look at
    return tx.query(DdlGuardSql.UNCHECKED + ";" + OverlaySql.of(table).lockAgainstWriters()).execute()
        .chain(() -> regenerateCapture(tx, OverlaySql.of(table)));
  }

  @Override
  public Uni<Void> addColumns(UnitOfWork unit, TrackedTable table, List<TableShape.Column> columns,
      java.time.Duration lockTimeout) {
    // DDL on the table itself: the DDL guard looks at it and follows it, in this transaction
    String alter = "alter table " + OverlaySql.of(table).table() + " " + columns.stream()
        .map(c -> "add column if not exists " + Sql.quote(c.name()) + " " + c.type()
            + (c.nullable() ? "" : " not null") + (c.defaultValue() == null ? "" : " default " + c.defaultValue()))
        .collect(java.util.stream.Collectors.joining(", "));
    return tx(unit, alter, table, lockTimeout);
  }

  @Override
  public Uni<Void> redefineColumns(UnitOfWork unit, TrackedTable table, List<TableShape.Column> columns,
      java.time.Duration lockTimeout) {
    // a wider type first: the views that read the column made again around it (TableRetype)
    List<TableShape.Column> retyped = columns.stream().filter(c -> table.columns().stream()
        .anyMatch(x -> x.name().equals(c.name()) && !io.strata.events.ColumnTypes.same(x.type(), c.type()))).toList();
    SqlConnection tx = PgUnit.of(unit);
    Uni<Void> typed = retyped.isEmpty() ? Uni.createFrom().voidItem()
        : tx.query("set local lock_timeout = '" + Math.max(1, lockTimeout.toMillis()) + "ms'").execute()
            .chain(() -> TableRetype.retype(tx, table, retyped))
            .chain(() -> tx.query("set local lock_timeout = 0").execute())
            .onFailure(e -> "55P03".equals(PgErrors.sqlState(e))).transform(e -> new Busy("table " + table.schema()
                + "." + table.table() + " stayed locked by other sessions for " + lockTimeout.toMillis()
                + " ms: nothing changed"))
            .replaceWithVoid();
    // DDL on the table itself: the DDL guard looks at it and follows it, in this transaction
    String alter = "alter table " + OverlaySql.of(table).table() + " " + columns.stream()
        .map(c -> "alter column " + Sql.quote(c.name()) + (c.nullable() ? " drop not null" : " set not null")
            + ", alter column " + Sql.quote(c.name())
            + (c.defaultValue() == null ? " drop default" : " set default " + c.defaultValue()))
        .collect(java.util.stream.Collectors.joining(", "));
    return typed.chain(() -> tx(unit, alter, table, lockTimeout));
  }

  /** How many rows that fail a check a merge brings into the table are listed with its refusal. */
  static final int LISTED_VIOLATIONS = 100;

  @Override
  public Uni<Void> addChecks(UnitOfWork unit, TrackedTable table, List<TableShape.Constraint> checks,
      java.time.Duration lockTimeout) {
    SqlConnection tx = PgUnit.of(unit);
    OverlaySql t = OverlaySql.of(table);
    Uni<Void> chain = Uni.createFrom().voidItem();
    for (TableShape.Constraint c : checks) {
      String expression = BranchChecksSql.expression(c);
      // the first rows that fail it, in key order, and how many do
      String violating = "select " + t.keyText("s") + ", count(*) over () from " + t.table() + " s where not "
          + expression + " order by " + t.keyList("s") + " limit " + LISTED_VIOLATIONS;
      // each statement alone (extended protocol): the expression, as the database printed it, is nothing else.
      // Added first (the lock, held to the commit), then the rows looked at under it: no row slips in between
      chain = chain.chain(() -> CatalogPath.pinned(tx, () -> tx(unit, "alter table " + t.table() + " add constraint "
              + Sql.quote(c.name()) + " check " + expression + " not valid", table, lockTimeout)))
          .chain(() -> CatalogPath.pinned(tx, () -> tx.preparedQuery(violating).execute()))
          .invoke(rows -> {
            if (rows.rowCount() > 0) {
              List<String> keys = new java.util.ArrayList<>();
              rows.forEach(r -> keys.add(r.getString(0)));
              throw new io.strata.projections.rowdata.BranchObjects.CheckFailed(c.name(), keys,
                  rows.iterator().next().getLong(1));
            }
          })
          .chain(() -> tx.preparedQuery("alter table " + t.table() + " validate constraint " + Sql.quote(c.name()))
              .execute())
          .replaceWithVoid();
    }
    return chain;
  }

  @Override
  public Uni<List<String>> buildIndexes(UnitOfWork unit, TrackedTable table, List<TableShape.Constraint> indexes,
      java.time.Duration lockTimeout) {
    return TableIndexBuilds.buildIndexes(unit, table, indexes, lockTimeout);
  }

  @Override
  public Uni<Void> promoteUniques(UnitOfWork unit, TrackedTable table, List<TableShape.Constraint> uniques,
      java.time.Duration lockTimeout) {
    return TableIndexBuilds.promoteUniques(unit, table, uniques, lockTimeout);
  }

  @Override
  public Uni<Void> requireUnshared(UnitOfWork unit, TrackedTable table, List<TableShape.Constraint> uniques) {
    return TableIndexBuilds.requireUnshared(unit, table, uniques);
  }

  /** Runs {@code alter} on the table in the caller's transaction, waiting at most {@code lockTimeout} for its lock. */
  private static Uni<Void> tx(UnitOfWork unit, String alter, TrackedTable table, java.time.Duration lockTimeout) {
    SqlConnection tx = PgUnit.of(unit);
    return tx.query("set local lock_timeout = '" + Math.max(1, lockTimeout.toMillis()) + "ms'").execute()
        .chain(() -> tx.preparedQuery(alter).execute())
        .chain(() -> tx.query("set local lock_timeout = 0").execute())
        .onFailure(e -> "55P03".equals(PgErrors.sqlState(e))).transform(e -> new Busy("table " + table.schema() + "."
            + table.table() + " stayed locked by other sessions for " + lockTimeout.toMillis() + " ms: nothing changed"))
        .replaceWithVoid();
  }

  @Override
  public Uni<List<TableColumn>> versionedColumns(UnitOfWork unit, String repository, String name, String schema,
      String table) {
    SqlConnection tx = PgUnit.of(unit);
    OverlaySql named = OverlaySql.of(TrackedTable.idOf(repository, name), schema, table, List.of(), List.of());
    // not tracked here (no working log, or no table): nothing versions it; asked first, not failed on, so
    // that the caller's transaction goes on
    return tx.preparedQuery("select to_regclass($1) is not null and to_regclass($2) is not null")
        .execute(Tuple.of(named.workingLog(), named.table()))
        .chain(found -> !found.iterator().next().getBoolean(0) ? Uni.createFrom().item(List.<TableColumn>of())
            : tx.preparedQuery(LayoutSql.TRACKED_LAYOUT).execute(Tuple.of(named.workingLog(), named.table()))
                .map(rows -> {
                  List<TableColumn> columns = new ArrayList<>();
                  for (Row r : rows) {
                    columns.add(new TableColumn(r.getString(0), r.getString(1), r.getBoolean(2)));
                  }
                  return columns;
                }));
  }

  @Override
  public Uni<List<TableColumn>> columns(UnitOfWork unit, TrackedTable table) {
    return TableCatalog.columns(PgUnit.of(unit), table.schema(), table.table());
  }

  @Override
  public Uni<Optional<TableShape>> shape(UnitOfWork unit, String schema, String table) {
    return ShapeCatalog.shape(PgUnit.of(unit), schema, table);
  }

  @Override
  public Uni<Boolean> keyHolds(UnitOfWork unit, TrackedTable table) {
    return PgUnit.of(unit).preparedQuery(DdlGuardSql.KEY_HOLDS)
        .execute(Tuple.of(table.schema(), table.table(), table.key().toArray(String[]::new)))
        .map(rows -> Boolean.TRUE.equals(rows.iterator().next().getBoolean(0)));
  }

  @Override
  public List<String> migration(TrackedTable table, List<ShapeChange> changes) {
    return new ShapeMigrationSql(table).statements(changes);
  }

  @Override
  public List<String> creation(TrackedTable table, TableShape shape) {
    // a table made on a branch has its key under a name of Strata's place until its placement renames it
    String asideKey = TableMaking.keyConstraint(PgTableMaking.aside(table).table());
    boolean keyAside = shape.constraints() != null && shape.constraints().stream()
        .anyMatch(c -> c.kind().equals(TableShape.PRIMARY_KEY) && c.name().equals(asideKey));
    return new ShapeMigrationSql(table).creation(keyAside ? shape.withKeyConstraint(TableMaking.keyConstraint(
        table.table())) : shape);
  }

  @Override
  public List<String> removal(TrackedTable table) {
    return new ShapeMigrationSql(table).removal();
  }

  @Override
  public List<String> migrationPastGuard(TrackedTable table, List<ShapeChange> changes) {
    List<String> statements = migration(table, changes);
    if (statements.isEmpty()) {
      return statements;
    }
    List<String> script = new ArrayList<>();
    script.add(DdlGuardSql.UNCHECKED);
    script.addAll(statements);
    return List.copyOf(script);
  }

  @Override
  public Uni<List<FollowedDdl>> followedDdl(UnitOfWork unit, String repository) {
    SqlConnection tx = PgUnit.of(unit);
    return tx.preparedQuery(DdlGuardSql.FOLLOWED).execute(Tuple.of(repository))
        .map(rows -> {
          List<FollowedDdl> followed = new ArrayList<>();
          for (Row r : rows) {
            followed.add(new FollowedDdl(r.getLong(0), r.getString(1), r.getString(2), r.getString(3), r.getString(4),
                r.getString(5), r.getString(6), r.getString(7), r.getOffsetDateTime(8).toInstant()));
          }
          return followed;
        });
  }

  @Override
  public Uni<Void> forgetFollowedDdl(UnitOfWork unit, List<Long> ids) {
    SqlConnection tx = PgUnit.of(unit);
    return tx.preparedQuery(DdlGuardSql.FORGET).execute(Tuple.of(ids.toArray(Long[]::new)))
        .chain(() -> tx.query(DdlGuardSql.FORGET_UNTRACKED).execute())
        .replaceWithVoid();
  }

  @Override
  public Uni<Boolean> guardsDdl(UnitOfWork unit) {
    return PgUnit.of(unit).query(DdlGuardSql.INSTALLED).execute().map(rows -> rows.iterator().next().getBoolean(0));
  }

  @Override
  public Uni<Shape> inspect(UnitOfWork unit, String schema, String table, List<String> requestedKey) {
    return TableCatalog.inspect(PgUnit.of(unit), schema, table, requestedKey);
  }
}
