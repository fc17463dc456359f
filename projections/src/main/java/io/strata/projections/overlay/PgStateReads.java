package io.strata.projections.overlay;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.strata.events.EventCodec;
import io.strata.projections.postgres.Sql;
import io.strata.projections.rowdata.BranchRef;
import io.strata.projections.rowdata.StatePath;
import io.strata.projections.rowdata.StateReads;
import io.strata.projections.rowdata.TrackedTable;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Reads a tracked table as a branch sees it, at its working state or at any commit: the branch's
 * working state (the table, or overlay over table), with every key that differs from the wanted state
 * put back to its image there (see {@link OverlaySql#changed}). O(rows changed) on top of the read.
 * Rows are PostgreSQL's {@code row_to_json}: columns in table order, about twice as fast to render as
 * {@code to_jsonb}, with the same values.
 */
public final class PgStateReads implements StateReads<SqlConnection> {

  @Override
  public Uni<Page> page(SqlConnection tx, TrackedTable table, BranchRef branch, StatePath path,
      Map<String, String> filters, String after, int limit) {
    return new Reader(table, branch).page(tx, path, filters, after, limit);
  }

  @Override
  public Multi<String> stream(SqlConnection tx, TrackedTable table, BranchRef branch, StatePath path,
      Map<String, String> filters, String after, int fetch) {
    return new Reader(table, branch).stream(tx, path, filters, after, fetch);
  }

  /** The reads of one table as one branch sees it. */
  private static final class Reader {
    private final OverlaySql sql;
    private final String table;
    private final List<String> key;

    Reader(TrackedTable tracked, BranchRef branch) {
      OverlaySql main = OverlaySql.of(tracked);
      this.sql = branch.isDefault() ? main : main.onBranch(tracked.branchId(branch.name()));
      this.table = sql.table();
      this.key = sql.key();
    }

    /** @param filters column = value (the value in the column's type), columns already validated */
    Uni<Page> page(SqlConnection client, StatePath path, Map<String, String> filters, String after, int limit) {
      Query q = query(path, filters, after, limit);
      return client.preparedQuery(q.sql()).execute(Tuple.from(q.params())).map(rows -> {
        List<String> out = new ArrayList<>(rows.rowCount());
        String last = null;
        for (Row r : rows) {
          out.add(r.getString(0));
          last = r.getString(1);
        }
        return new Page(out, last);
      });
    }

    /**
     * Every row after {@code after} (null: all), in key order: one query, so one snapshot however long
     * the read, through a cursor of {@code tx} (which must be in a transaction) that fetches {@code
     * fetch} rows at a time as the subscriber asks for them. The ref's state is derived once, where a
     * read by pages derives it again for every page.
     */
    Multi<String> stream(SqlConnection tx, StatePath path, Map<String, String> filters, String after, int fetch) {
      Query q = query(path, filters, after, null);
      return tx.prepare(q.sql()).onItem().transformToMulti(statement -> statement.createStream(fetch,
              Tuple.from(q.params())).toMulti().onTermination().call(statement::close))
          .map(row -> row.getString(0));
    }

    private record Query(String sql, List<Object> params) {}

    /** The rows after {@code after}, in key order, {@code limit} of them (null: all). */
    private Query query(StatePath path, Map<String, String> filters, String after, Integer limit) {
      List<Object> params = new ArrayList<>();
      // Filters, the cursor and ORDER BY ... LIMIT go into each branch of the union, so that the table
      // side is a key-order index scan that stops after one page, whatever the table's size.
      StringBuilder conditions = new StringBuilder();
      String with = "";
      if (!filters.isEmpty()) {
        // the values take the columns' own types (a value that does not fit is an error, not a miss)
        params.add(EventCodec.mapper().valueToTree(filters).toString());
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
      String limited = "";
      if (limit != null) {
        params.add(limit);
        limited = " limit $" + params.size();
      }
      // a page names its last key for the next one's cursor; a stream has no use for it
      String cursorKey = limit == null ? "" : ", " + keyObject();
      // all rows: one ORDER BY over the union, which the planner merges from key-order scans
      String branchTail = conditions + (limit == null ? "" : " order by " + keys + limited);
      String query;
      if (path.isWorking()) {
        query = (with.isEmpty() ? "" : "with " + with + " ")
            + "select row_to_json(s.*)::text" + cursorKey + " from " + sql.state() + " s where true" + conditions
            + " order by " + keys + limited;
      } else {
        params.add(path.undo().toArray(String[]::new));
        String undo = "$" + params.size();
        params.add(path.redo().toArray(String[]::new));
        String redo = "$" + params.size();
        String open = limit == null ? "" : "(";
        String close = limit == null ? "" : ")";
        query = "with " + (with.isEmpty() ? "" : with + ", ")
            + sql.changed(undo, redo, path.undoWorkingChanges()) + ","
            + " page as ("
            // NOT IN over the (small) changed keys is a hashed filter: the key-order index scan stays
            + "  " + open + "select s.* from " + sql.state() + " s where " + sql.keyArray("s")
            + " not in (select c.k from changed c)" + branchTail + close
            + "  union all"
            + "  " + open + "select s.* from (select r.* from changed c, lateral jsonb_populate_record(null::" + table
            + ", c.img) r where c.img is not null) s where true" + branchTail + close + ")"
            + " select row_to_json(s.*)::text" + cursorKey + " from page s order by " + keys + limited;
      }
      return new Query(query, params);
    }

    private String keyObject() {
      return "json_build_object(" + key.stream().map(k -> "'" + k + "', s." + Sql.quote(k)).collect(Collectors.joining(", "))
          + ")::text";
    }
  }
}
