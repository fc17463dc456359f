package io.strata.projections.overlay;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.strata.projections.postgres.TableCatalog;
import io.strata.projections.rowdata.BranchRef;
import io.strata.projections.rowdata.ChangeCounts;
import io.strata.projections.rowdata.ChangeSets;
import io.strata.projections.rowdata.TrackedTable;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * A table's change sets in PostgreSQL: table {@code strata.<tid>__changes} beside it, one row per
 * changed key of each change set (see {@link OverlaySql}). The net row changes between two commits
 * come from the change sets on the two paths that lead to them from their merge base: per key, the
 * state at each side is the after-image of that side's last change, or else the state at the merge
 * base (the before-image of the other side's first change). O(rows changed on the two paths),
 * whatever the table's size.
 */
public final class PgChangeSets implements ChangeSets<SqlConnection> {

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
  @Override
  public Uni<ChangeCounts> diffCounts(SqlConnection tx, TrackedTable table, List<String> fromPath,
      List<String> toPath) {
    OverlaySql sql = OverlaySql.of(table);
    if (fromPath.isEmpty() && toPath.isEmpty()) {
      return Uni.createFrom().item(new ChangeCounts(0, 0, 0));
    }
    String query = net(sql) + " select count(*) filter (where op = 'insert'), count(*) filter (where op = 'update'),"
        + " count(*) filter (where op = 'delete') from d";
    return tx.preparedQuery(query).execute(paths(fromPath, toPath)).map(rows -> {
      Row r = rows.iterator().next();
      return new ChangeCounts(r.getLong(0), r.getLong(1), r.getLong(2));
    });
  }

  @Override
  public Uni<ContentDelta> contentDelta(SqlConnection tx, TrackedTable table, List<String> fromPath,
      List<String> toPath) {
    OverlaySql sql = OverlaySql.of(table);
    if (fromPath.isEmpty() && toPath.isEmpty()) {
      return Uni.createFrom().item(new ContentDelta(0, "0"));
    }
    String hash = "jsonb_populate_record(null::" + sql.table() + ", %s)::text";
    String query = net(sql) + " select count(*) filter (where op = 'insert') - count(*) filter (where op = 'delete'),"
        + " (coalesce(sum(" + TableCatalog.rowHash(hash.formatted("a")) + ")"
        + "   filter (where a is not null), 0)"
        + "  - coalesce(sum(" + TableCatalog.rowHash(hash.formatted("b")) + ")"
        + "   filter (where b is not null), 0))::text from d";
    return tx.preparedQuery(query).execute(paths(fromPath, toPath)).map(rows -> {
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

  @Override
  public Multi<RowChange> diff(SqlConnection tx, TrackedTable table, List<String> fromPath, List<String> toPath,
      int fetch) {
    OverlaySql sql = OverlaySql.of(table);
    if (fromPath.isEmpty() && toPath.isEmpty()) {
      return Multi.createFrom().empty();
    }
    return tx.prepare(rowsQuery(sql)).onItem().transformToMulti(statement -> statement.createStream(fetch,
            paths(fromPath, toPath)).toMulti().onTermination().call(statement::close))
        .map(PgChangeSets::change);
  }

  /**
   * Waits for the table's writers, then moves the staged working-log rows into a change set; with an
   * {@code attempt}, they are also kept in a recovery sidecar in this database.
   */
  @Override
  public Uni<Optional<Captured>> capture(SqlConnection tx, TrackedTable table, BranchRef branch, boolean stageAll,
      String attempt) {
    OverlaySql sql = onBranch(table, branch);
    String name = table.name();
    // (a table tracked before commit gates existed got its gate in StrataLayout's upgrade to 2)
    Uni<Void> writersAwaited = sql.lockForCommit()
        .map(lock -> tx.query(lock).execute().replaceWithVoid())
        .orElse(Uni.createFrom().voidItem());
    return writersAwaited.chain(() -> tx.query(sql.analyzeIfStale()).execute())
        .chain(() -> tx.query(sql.createChanges()).execute())
        .chain(() -> tx.query(sql.lockStaged(stageAll)).execute())
        .chain(() -> tx.query(sql.capture()).execute())
        .chain(() -> tx.query(sql.summarizeCapture()).execute())
        .chain(rows -> {
          Row r = rows.iterator().next();
          long ins = r.getLong(0);
          long upd = r.getLong(1);
          long del = r.getLong(2);
          Captured captured = new Captured(name, r.getString(3), ins, upd, del, r.getString(4));
          Uni<Void> store = ins + upd + del == 0
              ? Uni.createFrom().voidItem()
              : tx.preparedQuery(sql.storeCapture()).execute(Tuple.of(captured.changeSet())).replaceWithVoid();
          Uni<Void> sidecar = attempt == null
              ? Uni.createFrom().voidItem()
              : tx.preparedQuery(sql.saveSidecar()).execute(Tuple.of(attempt)).replaceWithVoid();
          return store.chain(() -> sidecar).chain(() -> tx.query(sql.clearCaptured()).execute())
              .map(done -> ins + upd + del == 0 ? Optional.<Captured>empty() : Optional.of(captured));
        });
  }

  /**
   * Puts the sidecar's working-log rows back; none when the branch was deleted since (its working log
   * went with it).
   */
  @Override
  public Uni<Long> restore(SqlConnection tx, TrackedTable table, BranchRef branch, String attempt) {
    OverlaySql sql = onBranch(table, branch);
    return tx.preparedQuery("select to_regclass($1) is not null").execute(Tuple.of(sql.workingLog()))
        .chain(exists -> exists.iterator().next().getBoolean(0)
            ? tx.preparedQuery(sql.restoreSidecar()).execute(Tuple.of(attempt)).map(r -> (long) r.rowCount())
            : Uni.createFrom().item(0L));
  }

  @Override
  public Uni<List<String>> keptAttempts(SqlConnection tx, List<TrackedTable> tables) {
    return tx.preparedQuery(OverlaySql.SIDECAR_ATTEMPTS)
        .execute(Tuple.of((Object) tables.stream().map(TrackedTable::id).toArray(String[]::new)))
        .map(rows -> {
          List<String> attempts = new ArrayList<>();
          rows.forEach(r -> attempts.add(r.getString(0)));
          return attempts;
        });
  }

  @Override
  public Uni<Void> forgetAttempt(SqlConnection tx, String attempt) {
    return tx.preparedQuery(OverlaySql.DROP_SIDECAR).execute(Tuple.of(attempt)).replaceWithVoid();
  }

  private static OverlaySql onBranch(TrackedTable table, BranchRef branch) {
    OverlaySql main = OverlaySql.of(table);
    return branch.isDefault() ? main : main.onBranch(table.branchId(branch.name()));
  }
}
