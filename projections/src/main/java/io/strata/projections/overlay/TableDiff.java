package io.strata.projections.overlay;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The net row changes of a table across a run of consecutive change sets: per key, the before-image
 * of its first change and the after-image of its last. O(rows changed), whatever the table's size.
 */
public final class TableDiff {
  private TableDiff() {}

  /** One changed row: key (JSON array), op, before and after (JSON objects or null), changed columns. */
  public record RowChange(String key, String op, String before, String after, List<String> fields) {}

  public record Counts(long inserted, long updated, long deleted) {}

  private static String net(OverlaySql sql) {
    return "with r as (select c.key, c.before, c.after, o.ord from " + sql.changes() + " c"
        + "   join unnest($1::text[]) with ordinality o(cs, ord) on c.change_set = o.cs),"
        + " n as (select key, (array_agg(before order by ord))[1] as b, (array_agg(after order by ord desc))[1] as a"
        + "   from r group by key),"
        + " d as (select key, b, a, case when b is null then 'insert' when a is null then 'delete' else 'update' end as op"
        + "   from n where b is distinct from a)";
  }

  /**
   * @param changeSets oldest first
   * @param reversed diff from the newer state to the older one (before and after swap)
   */
  public static Uni<Counts> counts(SqlClient client, OverlaySql sql, List<String> changeSets, boolean reversed) {
    if (changeSets.isEmpty()) {
      return Uni.createFrom().item(new Counts(0, 0, 0));
    }
    String query = net(sql) + " select count(*) filter (where op = 'insert'), count(*) filter (where op = 'update'),"
        + " count(*) filter (where op = 'delete') from d";
    return client.preparedQuery(query).execute(Tuple.of((Object) changeSets.toArray(String[]::new))).map(rows -> {
      Row r = rows.iterator().next();
      return reversed ? new Counts(r.getLong(2), r.getLong(1), r.getLong(0)) : new Counts(r.getLong(0), r.getLong(1), r.getLong(2));
    });
  }

  public static Uni<List<RowChange>> rows(SqlClient client, OverlaySql sql, List<String> changeSets, boolean reversed) {
    if (changeSets.isEmpty()) {
      return Uni.createFrom().item(List.of());
    }
    String query = net(sql) + " select key::text, op, b::text, a::text,"
        + " array(select k from (select jsonb_object_keys(coalesce(a, '{}')) k union"
        + "   select jsonb_object_keys(coalesce(b, '{}'))) ks where (a -> k) is distinct from (b -> k) order by k)"
        + " from d order by key";
    return client.preparedQuery(query).execute(Tuple.of((Object) changeSets.toArray(String[]::new))).map(rows -> {
      List<RowChange> changes = new ArrayList<>(rows.rowCount());
      for (Row r : rows) {
        String op = r.getString(1);
        String before = r.getString(2);
        String after = r.getString(3);
        if (reversed) {
          op = op.equals("insert") ? "delete" : op.equals("delete") ? "insert" : op;
          String swap = before;
          before = after;
          after = swap;
        }
        changes.add(new RowChange(r.getString(0), op, before, after, Arrays.asList(r.getArrayOfStrings(4))));
      }
      return changes;
    });
  }
}
