package io.strata.projections.postgres;

import io.smallrye.mutiny.Uni;
import io.strata.events.TableColumn;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import io.strata.projections.rowdata.Tracking.Shape;
import io.strata.projections.rowdata.Tracking.Untrackable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What PostgreSQL's catalog says about a table: its columns, its key, and (measured from the rows)
 * its row count and an order-independent content hash.
 */
public final class TableCatalog {
  private static final String COLUMNS =
      "select a.attname, format_type(a.atttypid, a.atttypmod), not a.attnotnull"
          + " from pg_attribute a join pg_class c on c.oid = a.attrelid"
          + " join pg_namespace n on n.oid = c.relnamespace"
          + " where n.nspname = $1 and c.relname = $2 and c.relkind in ('r', 'p')"
          + " and a.attnum > 0 and not a.attisdropped order by a.attnum";

  /** Every unique, non-partial, column-only index: the primary key first. */
  private static final String UNIQUE_KEYS =
      "select i.indisprimary, array(select a.attname from unnest(i.indkey) with ordinality k(attnum, ord)"
          + "   join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum order by k.ord)"
          + " from pg_index i join pg_class c on c.oid = i.indrelid join pg_namespace n on n.oid = c.relnamespace"
          + " where n.nspname = $1 and c.relname = $2 and i.indisunique and i.indpred is null"
          + " and not (0 = any(i.indkey::int2[])) order by i.indisprimary desc";

  private TableCatalog() {}

  /** The table's columns as the catalog says now (empty when the table is gone). */
  public static Uni<List<TableColumn>> columns(SqlClient client, String schema, String table) {
    return client.preparedQuery(COLUMNS).execute(Tuple.of(schema, table)).map(rows -> {
      List<TableColumn> columns = new ArrayList<>();
      rows.forEach(r -> columns.add(new TableColumn(r.getString(0), r.getString(1), r.getBoolean(2))));
      return columns;
    });
  }

  /**
   * Reads the table's columns and key. With {@code requestedKey} null the primary key is used; a
   * requested key must be non-null columns covered exactly by a unique index.
   */
  public static Uni<Shape> inspect(SqlClient client, String schema, String table, List<String> requestedKey) {
    return client.preparedQuery(COLUMNS).execute(Tuple.of(schema, table))
        .chain(rows -> {
          List<TableColumn> columns = new ArrayList<>();
          for (Row r : rows) {
            columns.add(new TableColumn(r.getString(0), r.getString(1), r.getBoolean(2)));
          }
          if (columns.isEmpty()) {
            throw new Untrackable("no table " + schema + "." + table + " in this storage", true);
          }
          // Strata's tables beside T carry T's columns and bookkeeping columns named so
          for (TableColumn c : columns) {
            if (!Sql.isIdentifier(c.name())) {
              throw new Untrackable("column \"" + c.name().replace("\"", "\"\"") + "\": Strata tracks columns named with"
                  + " letters, digits, _ and $ (not starting with a digit, at most 63 characters); rename it", false);
            }
            if (c.name().startsWith("__")) {
              throw new Untrackable("column " + c.name() + ": names starting with two underscores are reserved for"
                  + " Strata's bookkeeping", false);
            }
          }
          return client.preparedQuery(UNIQUE_KEYS).execute(Tuple.of(schema, table))
              .map(keys -> new Shape(columns, chooseKey(schema + "." + table, columns, keys, requestedKey)));
        });
  }

  private static List<String> chooseKey(String table, List<TableColumn> columns, Iterable<Row> keys,
      List<String> requested) {
    List<List<String>> unique = new ArrayList<>();
    List<String> primary = null;
    for (Row r : keys) {
      List<String> cols = Arrays.asList(r.getArrayOfStrings(1));
      unique.add(cols);
      if (r.getBoolean(0)) {
        primary = cols;
      }
    }
    if (requested == null || requested.isEmpty()) {
      if (primary == null) {
        throw new Untrackable(table + " has no primary key; name unique, non-null columns in primary_key", false);
      }
      return primary;
    }
    Set<String> wanted = new HashSet<>(requested);
    if (wanted.size() != requested.size()) {
      throw new Untrackable("primary_key names a column twice", false);
    }
    for (String name : requested) {
      TableColumn column = columns.stream().filter(c -> c.name().equals(name)).findFirst()
          .orElseThrow(() -> new Untrackable("primary_key: " + table + " has no column " + name, false));
      if (column.nullable()) {
        throw new Untrackable("primary_key: column " + name + " allows NULL", false);
      }
    }
    boolean coveredByUniqueIndex = unique.stream().anyMatch(cols -> new HashSet<>(cols).equals(wanted));
    if (!coveredByUniqueIndex) {
      throw new Untrackable("primary_key: no unique index on exactly (" + String.join(", ", requested) + ")", false);
    }
    return List.copyOf(requested);
  }

  /** Row count and content hash: a sum of per-row hashes, so row order does not matter. O(table). */
  public static Uni<Measured> measured(SqlClient client, String schema, String table) {
    String sql = "select count(*), coalesce(sum(" + rowHash("(t.*)::text") + "), 0)::text"
        + " from " + Sql.qualified(schema, table) + " t";
    return client.query(sql).execute().map(rows -> {
      Row r = rows.iterator().next();
      return new Measured(r.getLong(0), r.getString(1));
    });
  }

  /** Row count and the sum of the rows' 60-bit hashes (see {@link io.strata.events.TableTracked}). */
  public record Measured(long rowCount, String rowSum) {}

  /** The 60-bit hash of a row, as SQL over a row-valued expression (its text form). */
  public static String rowHash(String rowText) {
    return "('x' || left(md5(" + rowText + "), 15))::bit(60)::bigint";
  }
}
