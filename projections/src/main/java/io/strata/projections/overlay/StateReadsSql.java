package io.strata.projections.overlay;

import static io.strata.projections.overlay.SqlTemplate.fill;

import io.strata.events.EventCodec;
import io.strata.projections.postgres.Sql;
import io.strata.projections.rowdata.StatePath;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The reads of one table as one branch sees it (see {@link PgStateReads}): the branch's working state,
 * with every key that differs from the wanted state put back to its image there (see {@link
 * ChangeImagesSql#changed}). O(rows changed) on top of the read. Rows are PostgreSQL's {@code
 * row_to_json}: columns in table order, about twice as fast to render as {@code to_jsonb}.
 */
final class StateReadsSql {
  /** A statement and its parameters, in order. */
  record Query(String sql, List<Object> params) {}

  private final OverlaySql s;

  /** @param table the table as the branch whose working state the read starts from sees it */
  StateReadsSql(OverlaySql table) {
    this.s = table;
  }

  /**
   * The rows at {@code path} after the key {@code after} (a JSON object, or null), in key order,
   * {@code limit} of them (null: all, without the last key a page names for the next one's cursor).
   * Filters, the cursor and ORDER BY ... LIMIT go into each arm of the union, so that the table's
   * side is a key-order index scan that stops after one page, whatever the table's size.
   *
   * @param filters column = value (the value in the column's type), columns already validated
   */
  Query rows(StatePath path, Map<String, String> filters, String after, Integer limit) {
    List<Object> params = new ArrayList<>();
    StringBuilder conditions = new StringBuilder();
    String filtersCte = "";
    if (!filters.isEmpty()) {
      // the values take the columns' own types (a value that does not fit is an error, not a miss)
      params.add(EventCodec.mapper().valueToTree(filters).toString());
      filtersCte = fill("f as (select * from jsonb_populate_record(null::{row_type}, ${n}::text::jsonb))",
          "table", s.table(), "row_type", s.rowType(), "n", Integer.toString(params.size()));
      for (String column : filters.keySet()) {
        conditions.append(fill(" and s.{c} = (select f.{c} from f)", "c", Sql.quote(column)));
      }
    }
    String keys = OverlaySql.list(s.key(), "s");
    if (after != null) {
      params.add(after);
      conditions.append(fill(" and ({keys}) > (select {keys_c} from jsonb_populate_record(null::{row_type}, ${n}::text::jsonb) c)",
          "keys", keys, "keys_c", OverlaySql.list(s.key(), "c"), "table", s.table(), "row_type", s.rowType(),
          "n", Integer.toString(params.size())));
    }
    String limited = "";
    if (limit != null) {
      params.add(limit);
      limited = " limit $" + params.size();
    }
    String[] holes = {
        "conditions", conditions.toString(), "keys", keys, "limited", limited, "state", s.state(),
        // a page names its last key for the next one's cursor; a stream has no use for it
        "cursor_key", limit == null ? "" : ", " + keyObject(),
        // all rows: one ORDER BY over the union, which the planner merges from key-order scans
        "tail", conditions + (limit == null ? "" : " order by " + keys + limited),
        "row_json", s.shape().rowJson("s"), "open", limit == null ? "" : "(", "close", limit == null ? "" : ")", "table", s.table(), "row_type", s.rowType()};
    if (path.isWorking()) {
      return new Query((filtersCte.isEmpty() ? "" : "with " + filtersCte + " ") + fill("""
          select {row_json}{cursor_key} from {state} s where true{conditions}
          order by {keys}{limited}""", holes), params);
    }
    params.add(path.undo().toArray(String[]::new));
    String undo = "$" + params.size();
    params.add(path.redo().toArray(String[]::new));
    String redo = "$" + params.size();
    // NOT IN over the (small) changed keys is a hashed filter: the key-order index scan stays
    return new Query("with " + (filtersCte.isEmpty() ? "" : filtersCte + ", ")
        + ChangeImagesSql.changed(s, undo, redo, path.undoWorkingChanges()) + "," + fill("""
        page as (
          {open}select s.* from {state} s where {key_array} not in (select c.k from changed c){tail}{close}
          union all
          {open}select s.* from (select r.* from changed c, lateral jsonb_populate_record(null::{row_type}, c.img) r
                                 where c.img is not null) s where true{tail}{close})
        select {row_json}{cursor_key} from page s order by {keys}{limited}""",
        SqlTemplate.with(holes, "key_array", s.keyArray("s"))), params);
  }


  /** The row's key as a JSON object (the next page's cursor). */
  private String keyObject() {
    return "json_build_object(" + s.key().stream().map(k -> OverlaySql.literal(k) + ", s." + Sql.quote(k))
        .collect(Collectors.joining(", ")) + ")::text";
  }
}
