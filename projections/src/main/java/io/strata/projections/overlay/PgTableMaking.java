package io.strata.projections.overlay;

import io.smallrye.mutiny.Uni;
import io.strata.events.TableShape;
import io.strata.projections.postgres.PgErrors;
import io.strata.projections.postgres.Sql;
import io.strata.projections.postgres.TableCatalog;
import io.strata.projections.rowdata.TableMaking;
import io.strata.projections.rowdata.TrackedTable;
import io.strata.projections.rowdata.Tracking.Busy;
import io.strata.projections.rowdata.Tracking.TableExists;
import io.strata.projections.rowdata.Tracking.Untrackable;
import io.strata.projections.rowdata.UnitOfWork;
import io.vertx.mutiny.sqlclient.SqlConnection;
import java.util.List;

/** {@link TableMaking} in PostgreSQL: {@code CREATE TABLE}, and Strata's place {@code strata.<tid>__n}. */
public final class PgTableMaking implements TableMaking<UnitOfWork> {
  private static final PgTracking TRACKING = new PgTracking();

  /** Strata's place for the table {@code table} tracks (by its repository and name). */
  static Place aside(TrackedTable table) {
    return new PgTableMaking().aside(table.repository(), table.name());
  }

  @Override
  public Uni<Void> clearAside(UnitOfWork unit, String repository, String name) {
    OverlaySql.rowTypesChanging(); // statements naming its row type are prepared afresh
    SqlConnection tx = PgUnit.of(unit);
    Place p = aside(repository, name);
    String qualified = Sql.quote(p.schema()) + "." + Sql.quote(p.table());
    return tx.query("select to_regclass(" + OverlaySql.literal(qualified) + ") is not null").execute()
        .chain(found -> !found.iterator().next().getBoolean(0) ? Uni.createFrom().voidItem()
            : TableCatalog.columns(tx, p.schema(), p.table()).chain(columns -> TRACKING.untrack(unit,
                new TrackedTable(repository, name, p.schema(), p.table(), List.of(), columns))));
  }

  @Override
  public Uni<Void> create(UnitOfWork unit, String schema, String table, List<TableShape.Column> columns,
      List<String> key, java.util.Map<String, String> properties) {
    if (!properties.isEmpty()) {
      throw new IllegalArgumentException("a PostgreSQL table has no table properties"); // refused by the caller first
    }
    OverlaySql.rowTypesChanging(); // statements naming its row type are prepared afresh
    SqlConnection tx = PgUnit.of(unit);
    StringBuilder ddl = new StringBuilder("create table ").append(Sql.quote(schema)).append('.')
        .append(Sql.quote(table)).append(" (");
    for (TableShape.Column c : columns) {
      // the type and default as the database printed them when it defined the column (BranchObjects.define)
      ddl.append(Sql.quote(c.name())).append(' ').append(c.type()).append(c.nullable() ? "" : " not null")
          .append(c.defaultValue() == null ? "" : " default " + c.defaultValue()).append(", ");
    }
    ddl.append("primary key (").append(String.join(", ", key.stream().map(Sql::quote).toList())).append("))");
    // the types are PostgreSQL's own, printed by format_type: resolved there again (not in a session's temporary types)
    return tx.query("set local search_path = pg_catalog, pg_temp").execute()
        .chain(() -> tx.query("savepoint strata_create").execute())
        .chain(() -> tx.query(ddl.toString()).execute())
        .chain(() -> tx.query("release savepoint strata_create; set local search_path to default").execute())
        .onFailure(e -> PgErrors.sqlState(e) != null).recoverWithUni(e -> tx
            .query("rollback to savepoint strata_create").execute().onItemOrFailure().transformToUni((x, f) -> {
              String state = PgErrors.sqlState(e);
              return Uni.createFrom().failure("42P07".equals(state)
                  ? new TableExists(schema + "." + table + " exists already")
                  : new Untrackable(schema + "." + table + " cannot be made: " + PgErrors.message(e),
                      "3F000".equals(state)));
            }))
        .replaceWithVoid();
  }

  @Override
  public Uni<String> place(UnitOfWork unit, TrackedTable aside, String schema, String table,
      java.time.Duration lockTimeout) {
    SqlConnection tx = PgUnit.of(unit);
    return tx.query("set local lock_timeout = '" + Math.max(1, lockTimeout.toMillis()) + "ms'").execute()
        .chain(() -> TablePlacement.place(tx, aside, schema, table))
        .call(() -> tx.query("set local lock_timeout = 0").execute())
        .onFailure(e -> "55P03".equals(PgErrors.sqlState(e))).transform(e -> new Busy("table " + aside.name()
            + " stayed locked by other sessions for " + lockTimeout.toMillis() + " ms: nothing changed"))
        .onFailure(e -> "42P07".equals(PgErrors.sqlState(e))).transform(e -> new TableExists(schema + "." + table
            + " exists already (made meanwhile): nothing changed"))
        .onFailure(e -> PgErrors.kind(e) == PgErrors.Kind.PRIVILEGE).transform(e -> new Untrackable(
            "the database refused Strata's user: " + PgErrors.message(e) + "; nothing changed", false));
  }

  @Override
  public Place aside(String repository, String name) {
    return new Place(OverlaySql.SCHEMA, TrackedTable.idOf(repository, name) + "__n");
  }

  @Override
  public Uni<Void> dropMade(UnitOfWork unit, String schema, String table) {
    OverlaySql.rowTypesChanging(); // statements naming its row type are prepared afresh
    SqlConnection tx = PgUnit.of(unit);
    String qualified = Sql.quote(schema) + "." + Sql.quote(table);
    // held against writers from the look to the drop, waiting a bounded time (else it stays: a leftover)
    return tx.query("set local lock_timeout = '5s'; lock table " + qualified + " in access exclusive mode").execute()
        .chain(() -> tx.query("select exists (select from " + qualified + ")").execute())
        .chain(rows -> rows.iterator().next().getBoolean(0) ? Uni.createFrom().voidItem()
            : tx.query("drop table " + qualified).execute().replaceWithVoid());
  }
}
