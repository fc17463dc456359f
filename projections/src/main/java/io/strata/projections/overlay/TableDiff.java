package io.strata.projections.overlay;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.strata.projections.postgres.TableCatalog;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The net row changes of a table between two commits, from the change sets on the two paths that
 * lead to them from their merge base: per key, the state at each side is the after-image of that
 * side's last change, or else the state at the merge base (the before-image of the other side's
 * first change). O(rows changed on the two paths), whatever the table's size.
 */
public final class TableDiff {
  private TableDiff() {}

  /** One changed row: key (JSON array), op, before and after (JSON objects or null), changed columns. */
  public record RowChange(String key, String op, String before, String after, List<String> fields) {}


  private static String net(OverlaySql sql) {
    String side = "(select key, (array_agg(before order by ord))[1] as fb, (array_agg(after order by ord desc))[1] as la"
        + " from (select c.key, c.before, c.after, o.ord from " + sql.changes() + " c"
        + "   join unnest(%s::text[]) with ordinality o(cs, ord) on c.change_set = o.cs) r group by key)";
    return "with a as " + side.formatted("$1") + ", b as " + side.formatted("$2") + ","
        + " n as (select coalesce(a.key, b.key) as key,"
        + "   case when a.key is not null then a.la else b.fb end as before,"
        + "   case when b.key is not null then b.la else a.fb end as after"
        + "   from a full join b on a.key = b.key),"
        + " d as (select key, before as b, after as a,"
        + "   case when before is null then 'insert' when after is null then 'delete' else 'update' end as op"
        + "   from n where before is distinct from after)";
  }

  private static Tuple paths(List<String> fromPath, List<String> toPath) {
    return Tuple.of(fromPath.toArray(String[]::new), toPath.toArray(String[]::new));
  }

  /**
   * @param fromPath change sets from the merge base to the "from" commit, oldest first
   * @param toPath change sets from the merge base to the "to" commit, oldest first
   */
  public static Uni<TableObjects.Counts> counts(SqlClient client, OverlaySql sql, List<String> fromPath, List<String> toPath) {
    if (fromPath.isEmpty() && toPath.isEmpty()) {
      return Uni.createFrom().item(new TableObjects.Counts(0, 0, 0));
    }
    String query = net(sql) + " select count(*) filter (where op = 'insert'), count(*) filter (where op = 'update'),"
        + " count(*) filter (where op = 'delete') from d";
    return client.preparedQuery(query).execute(paths(fromPath, toPath)).map(rows -> {
      Row r = rows.iterator().next();
      return new TableObjects.Counts(r.getLong(0), r.getLong(1), r.getLong(2));
    });
  }

  /** How a table's content moves from the "from" commit to the "to" one: rows added, row-hash sum delta. */
  public record ContentDelta(long rows, String sum) {}

  public static Uni<ContentDelta> contentDelta(SqlClient client, OverlaySql sql, List<String> fromPath,
      List<String> toPath) {
    if (fromPath.isEmpty() && toPath.isEmpty()) {
      return Uni.createFrom().item(new ContentDelta(0, "0"));
    }
    String hash = "jsonb_populate_record(null::" + sql.table() + ", %s)::text";
    String query = net(sql) + " select count(*) filter (where op = 'insert') - count(*) filter (where op = 'delete'),"
        + " (coalesce(sum(" + TableCatalog.rowHash(hash.formatted("a")) + ")"
        + "   filter (where a is not null), 0)"
        + "  - coalesce(sum(" + TableCatalog.rowHash(hash.formatted("b")) + ")"
        + "   filter (where b is not null), 0))::text from d";
    return client.preparedQuery(query).execute(paths(fromPath, toPath)).map(rows -> {
      Row r = rows.iterator().next();
      return new ContentDelta(r.getLong(0), r.getString(1));
    });
  }

  private static String rowsQuery(OverlaySql sql) {
    return net(sql) + " select key::text, op, b::text, a::text,"
        + " array(select k from (select jsonb_object_keys(coalesce(a, '{}')) k union"
        + "   select jsonb_object_keys(coalesce(b, '{}'))) ks where (a -> k) is distinct from (b -> k) order by k)"
        + " from d order by d.key"; // the jsonb key (numbers in numeric order), not the text column of that name
  }

  private static RowChange change(Row r) {
    return new RowChange(r.getString(0), r.getString(1), r.getString(2), r.getString(3),
        Arrays.asList(r.getArrayOfStrings(4)));
  }

  /**
   * The changed rows, in key order, through a cursor of {@code tx} (which must be in a transaction)
   * that fetches {@code fetch} of them at a time as the subscriber asks: however many rows changed,
   * the server holds a few thousand at once.
   */
  public static Multi<RowChange> stream(SqlConnection tx, OverlaySql sql, List<String> fromPath, List<String> toPath,
      int fetch) {
    if (fromPath.isEmpty() && toPath.isEmpty()) {
      return Multi.createFrom().empty();
    }
    return tx.prepare(rowsQuery(sql)).onItem().transformToMulti(statement -> statement.createStream(fetch,
            paths(fromPath, toPath)).toMulti().onTermination().call(statement::close))
        .map(TableDiff::change);
  }
}
