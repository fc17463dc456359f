package io.strata.projections.overlay;

import io.smallrye.mutiny.Uni;
import io.strata.projections.postgres.PgErrors;
import io.strata.projections.postgres.Sql;
import io.strata.projections.rowdata.TrackedTable;
import io.strata.projections.rowdata.TableMaking;
import io.strata.projections.rowdata.Tracking;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;

/**
 * A table made on a branch, moved from Strata's own place ({@link TableMaking#aside}) to its place on the default
 * branch, in the caller's transaction: {@code ALTER TABLE … SET SCHEMA} and {@code RENAME} (no row is copied: it
 * holds none, the branches' rows are in their objects), its registration, capture and every branch's views made
 * again around it (their write functions named the table's old place). A lock the caller times; the transaction has
 * all of it or none. Done already (a retry after a crash between this commit and the event that records it): the
 * table is at its place, registered there, and nothing is done.
 */
final class TablePlacement {
  private TablePlacement() {}

  private static final String UPDATE_REGISTRY =
      "update strata.tracked_tables set schema_name = $2, table_name = $3 where tid = $1";

  /**
   * The first of {@code <table>_pkey}, {@code <table>_pkey1}, … ($1, in order) that no relation of schema $2 is named:
   * PostgreSQL's choice for an unnamed key (an index takes the constraint's name).
   */
  private static final String FREE_KEY_NAME = """
      select c from unnest($1::text[]) with ordinality u(c, o)
       where not exists (select from pg_catalog.pg_class r join pg_catalog.pg_namespace n on n.oid = r.relnamespace
                          where n.nspname = $2 and r.relname = u.c)
       order by o limit 1""";

  /** The name of table $1's primary key constraint. */
  private static final String KEY_NAME =
      "select conname from pg_catalog.pg_constraint where conrelid = $1::regclass and contype = 'p'";

  static Uni<String> place(SqlConnection tx, TrackedTable aside, String schema, String table) {
    TrackedTable placed = new TrackedTable(aside.repository(), aside.name(), schema, table, aside.key(),
        aside.columns());
    OverlaySql before = OverlaySql.of(aside);
    OverlaySql main = OverlaySql.of(placed);
    return tx.query("select to_regclass(" + OverlaySql.literal(before.table()) + ") is not null, to_regclass("
            + OverlaySql.literal(main.table()) + ") is not null").execute()
        .chain(found -> {
          Row r = found.iterator().next();
          boolean stillAside = r.getBoolean(0);
          boolean taken = r.getBoolean(1);
          if (!stillAside && taken) {
            // placed before: the event that records it is what is left
            return tx.preparedQuery(KEY_NAME).execute(Tuple.of(main.table())).map(TablePlacement::keyName);
          }
          if (taken) {
            throw new Tracking.TableExists(schema + "." + table + " exists already: the table made on a branch"
                + " cannot be made there; drop or rename that table, or make this one elsewhere");
          }
          return tx.query(PgQueryAccess.LOCK + "; " + DdlGuardSql.UNCHECKED + "; lock table " + before.table()
                  + " in access exclusive mode").execute()
              // the table and its registration first; the capture (its template names the table) made there
              .chain(() -> tx.query("alter table " + before.table() + " set schema " + Sql.quote(schema)
                  + "; alter table " + Sql.quote(schema) + "." + Sql.quote(aside.table()) + " rename to "
                  + Sql.quote(table)).execute())
              .chain(() -> tx.preparedQuery(UPDATE_REGISTRY).execute(Tuple.of(aside.id(), schema, table)))
              .chain(() -> PgTracking.regenerateCapture(tx, main))
              // then every branch's views, whose write functions named the old place
              .chain(() -> tx.preparedQuery(BranchObjectsSql.OVERLAYS).execute(Tuple.of(aside.id())))
              .chain(overlays -> {
                List<TableRetype.Branch> branches = new ArrayList<>();
                for (Row o : overlays) {
                  branches.add(new TableRetype.Branch(o, aside, placed));
                }
                return TableRetype.remakeViewsAround(tx, main, before, branches, "");
              })
              .chain(() -> renameKey(tx, aside, schema, table, main.table()));
        })
        .onFailure(e -> "3F000".equals(PgErrors.sqlState(e))).transform(e -> new Tracking.Untrackable(
            "schema " + schema + " does not exist: the table made on a branch cannot be made there", true));
  }

  /** The key constraint's name, or null when the table has none (its application dropped it). */
  private static String keyName(io.vertx.mutiny.sqlclient.RowSet<Row> rows) {
    return rows.rowCount() == 0 ? null : rows.iterator().next().getString(0);
  }

  /**
   * The key's constraint (and its index) named for Strata's place ({@code t…__n_pkey}) renamed as PostgreSQL would
   * have named it had the table been made here: the application's table shows no name of Strata's.
   */
  private static Uni<String> renameKey(SqlConnection tx, TrackedTable aside, String schema, String table,
      String qualified) {
    String asideKey = TableMaking.keyConstraint(aside.table());
    String base = TableMaking.keyConstraint(table);
    List<String> candidates = new ArrayList<>(List.of(base));
    for (int i = 1; i < 100; i++) {
      String suffix = Integer.toString(i);
      String cut = base.length() + suffix.length() <= 63 ? base
          : table.substring(0, 63 - "_pkey".length() - suffix.length()) + "_pkey";
      candidates.add(cut + suffix);
    }
    return tx.preparedQuery(KEY_NAME).execute(Tuple.of(qualified)).chain(key -> {
      String current = keyName(key);
      if (current == null || !current.equals(asideKey)) {
        return Uni.createFrom().item(current);
      }
      return tx.preparedQuery(FREE_KEY_NAME).execute(Tuple.of(candidates.toArray(String[]::new), schema))
          .chain(free -> {
            if (free.rowCount() == 0) {
              return Uni.createFrom().item(current); // a hundred names taken: it keeps Strata's
            }
            String name = free.iterator().next().getString(0);
            return tx.query("alter table " + qualified + " rename constraint " + Sql.quote(current) + " to "
                + Sql.quote(name)).execute().replaceWith(name);
          });
    });
  }
}
