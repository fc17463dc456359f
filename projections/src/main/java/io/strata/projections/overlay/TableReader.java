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
    String state = state(changeSets, params);
    StringBuilder where = new StringBuilder(" where true");
    String from = " from state s";
    if (!filters.isEmpty()) {
      // the values take the columns' own types (a value that does not fit is an error, not a miss),
      // so a filter on the key is an index lookup
      params.add(io.strata.events.EventCodec.mapper().valueToTree(filters).toString());
      state += ", f as (select * from jsonb_populate_record(null::" + table + ", $" + params.size() + "::text::jsonb))";
      from += " cross join f";
      for (String column : filters.keySet()) {
        where.append(" and s.").append(Sql.quote(column)).append(" = f.").append(Sql.quote(column));
      }
    }
    String keys = key.stream().map(k -> "s." + Sql.quote(k)).collect(Collectors.joining(", "));
    if (after != null) {
      params.add(after);
      String cursor = "(select " + key.stream().map(k -> "c." + Sql.quote(k)).collect(Collectors.joining(", "))
          + " from jsonb_populate_record(null::" + table + ", $" + params.size() + "::text::jsonb) c)";
      where.append(" and (").append(keys).append(") > ").append(cursor);
    }
    params.add(limit);
    String query = state + " select to_jsonb(s)::text, jsonb_build_object("
        + key.stream().map(k -> "'" + k + "', s." + Sql.quote(k)).collect(Collectors.joining(", ")) + ")::text"
        + from + where + " order by " + keys + " limit $" + params.size();
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

  /** {@code with state as (...)}: the table's rows at the point the change sets lead back to. */
  private String state(List<String> changeSets, List<Object> params) {
    if (changeSets == null) {
      return "with state as (select * from " + table + ")";
    }
    params.add(changeSets.toArray(String[]::new));
    String keyArray = "jsonb_build_array(" + key.stream().map(k -> "t." + Sql.quote(k)).collect(Collectors.joining(", ")) + ")";
    String wKeyArray = "jsonb_build_array(" + key.stream().map(k -> "w." + Sql.quote(k)).collect(Collectors.joining(", ")) + ")";
    return "with changed as (select distinct on (x.k) x.k, x.before from ("
        + "  select c.key as k, c.before, o.ord from " + sql.changes() + " c"
        + "  join unnest($1::text[]) with ordinality o(cs, ord) on c.change_set = o.cs"
        + "  union all select " + wKeyArray + ", w.__before, 9223372036854775807 from " + sql.workingLog() + " w"
        + " ) x order by x.k, x.ord),"
        + " state as ("
        + "  select t.* from " + table + " t where not exists (select 1 from changed c where c.k = " + keyArray + ")"
        + "  union all select (jsonb_populate_record(null::" + table + ", c.before)).* from changed c"
        + "  where c.before is not null)";
  }

  public List<String> columns() {
    return columns;
  }
}
