package io.strata.projections.overlay;

import io.smallrye.mutiny.Uni;
import io.strata.projections.postgres.Sql;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Reads a tracked table as it was at a commit of the default branch: the table itself, with every key
 * changed since that commit (by later commits' change sets, oldest first, then by the working log)
 * put back to its earliest before-image. O(rows changed since the commit) on top of the read itself.
 */
public final class TableReader {
  private final OverlaySql sql;
  private final String table;
  private final List<String> key;
  private final List<String> columns;

  public TableReader(String repository, String name, String schema, String table, List<String> key,
      List<String> columns) {
    this.sql = new OverlaySql(OverlaySql.tableId(repository, name), schema, table, key, columns);
    this.table = Sql.qualified(schema, table);
    this.key = List.copyOf(key);
    this.columns = List.copyOf(columns);
  }

  /** One page of rows in key order, after the row {@code after} (a JSON object of key values, or null). */
  public record Page(List<String> rows, String lastKey) {}

  /**
   * @param changeSets the change sets to undo, oldest first; null reads the table as it is (the default
   *     branch's working state)
   * @param filters column = value (the value in the column's type), columns already validated
   */
  public Uni<Page> page(SqlClient client, List<String> changeSets, Map<String, String> filters, String after,
      int limit) {
    List<Object> params = new ArrayList<>();
    // Filters, the cursor and ORDER BY ... LIMIT go into each branch of the union, so that the table
    // side is a key-order index scan that stops after one page, whatever the table's size.
    StringBuilder conditions = new StringBuilder();
    String with = "";
    if (!filters.isEmpty()) {
      // the values take the columns' own types (a value that does not fit is an error, not a miss)
      params.add(io.strata.events.EventCodec.mapper().valueToTree(filters).toString());
      with = "f as (select * from jsonb_populate_record(null::" + table + ", $" + params.size() + "::text::jsonb))";
      for (String column : filters.keySet()) {
        conditions.append(" and s.").append(Sql.quote(column)).append(" = (select f.").append(Sql.quote(column))
            .append(" from f)");
      }
    }
    String keys = key.stream().map(k -> "s." + Sql.quote(k)).collect(Collectors.joining(", "));
    if (after != null) {
      params.add(after);
      String cursor = "(select " + key.stream().map(k -> "c." + Sql.quote(k)).collect(Collectors.joining(", "))
          + " from jsonb_populate_record(null::" + table + ", $" + params.size() + "::text::jsonb) c)";
      conditions.append(" and (").append(keys).append(") > ").append(cursor);
    }
    params.add(limit);
    String limitParam = "$" + params.size();
    String branchTail = conditions + " order by " + keys + " limit " + limitParam;
    String query;
    if (changeSets == null) {
      query = (with.isEmpty() ? "" : "with " + with + " ")
          + "select to_jsonb(s)::text, " + keyObject() + " from " + table + " s where true" + branchTail;
    } else {
      params.add(changeSets.toArray(String[]::new));
      String sets = "$" + params.size();
      String keyArray = "jsonb_build_array(" + key.stream().map(k -> "s." + Sql.quote(k)).collect(Collectors.joining(", ")) + ")";
      String wKeyArray = "jsonb_build_array(" + key.stream().map(k -> "w." + Sql.quote(k)).collect(Collectors.joining(", ")) + ")";
      query = "with " + (with.isEmpty() ? "" : with + ", ")
          + "changed as (select distinct on (x.k) x.k, x.before from ("
          + "  select c.key as k, c.before, o.ord from " + sql.changes() + " c"
          + "  join unnest(" + sets + "::text[]) with ordinality o(cs, ord) on c.change_set = o.cs"
          + "  union all select " + wKeyArray + ", w.__before, 9223372036854775807 from " + sql.workingLog() + " w"
          + " ) x order by x.k, x.ord),"
          + " page as ("
          // NOT IN over the (small) changed keys is a hashed filter: the key-order index scan stays
          + "  (select s.* from " + table + " s where " + keyArray + " not in (select c.k from changed c)"
          + branchTail + ")"
          + "  union all"
          + "  (select s.* from (select (jsonb_populate_record(null::" + table + ", c.before)).* from changed c"
          + "   where c.before is not null) s where true" + branchTail + "))"
          + " select to_jsonb(s)::text, " + keyObject() + " from page s order by " + keys + " limit " + limitParam;
    }
    return client.preparedQuery(query).execute(Tuple.from(params)).map(rows -> {
      List<String> out = new ArrayList<>(rows.rowCount());
      String last = null;
      for (Row r : rows) {
        out.add(r.getString(0));
        last = r.getString(1);
      }
      return new Page(out, last);
    });
  }

  private String keyObject() {
    return "jsonb_build_object(" + key.stream().map(k -> "'" + k + "', s." + Sql.quote(k)).collect(Collectors.joining(", "))
        + ")::text";
  }

  public List<String> columns() {
    return columns;
  }
}
