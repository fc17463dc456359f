package io.strata.projections.overlay;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.strata.events.EventCodec;
import io.strata.events.TableColumn;
import io.strata.projections.rowdata.BranchRef;
import io.strata.projections.rowdata.ChangeCounts;
import io.strata.projections.rowdata.Merges;
import io.strata.projections.rowdata.TrackedTable;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;

/**
 * Three-way merges in PostgreSQL: the plan is a temporary table of the merge's transaction; the merged
 * rows go through the working state's primitive ({@link WorkingStateSql#logRows}, {@link
 * WorkingStateSql#applyRows}), staged; the conflicts of a merge in progress are kept in {@code
 * strata.<tid>__x_<bid>} beside the table, with a read-only view {@code strata_<branch>.<table>__conflicts}.
 */
public final class PgMerges implements Merges<SqlConnection> {

  private static MergeSql sql(TrackedTable table, BranchRef branch) {
    return new MergeSql(OverlaySql.of(table, branch));
  }

  @Override
  public Uni<TableMerge> plan(SqlConnection tx, TrackedTable table, BranchRef target, List<String> ours,
      List<String> theirs, Strategy strategy) {
    MergeSql sql = sql(table, target);
    List<String> json = table.columns().stream().filter(c -> c.type().equals("jsonb")).map(TableColumn::name).toList();
    return tx.query("drop table if exists " + sql.plan()).execute()
        .chain(() -> tx.preparedQuery(sql.createPlan(json))
            .execute(Tuple.of(ours.toArray(String[]::new), theirs.toArray(String[]::new))))
        .chain(() -> tx.query(sql.analyzePlan()).execute())
        .chain(() -> strategy == Strategy.THEIRS ? tx.query(sql.takeTheirs()).execute().replaceWithVoid()
            : Uni.createFrom().voidItem())
        .chain(() -> summary(tx, table, sql));
  }

  private static Uni<TableMerge> summary(SqlConnection tx, TrackedTable table, MergeSql sql) {
    return tx.query(sql.summarize()).execute().map(rows -> {
      Row r = rows.iterator().next();
      long conflicts = r.getLong(3);
      return new TableMerge(table.name(), new ChangeCounts(r.getLong(0), r.getLong(1), r.getLong(2)), conflicts,
          conflicts == 0 ? null : r.getString(4));
    });
  }

  @Override
  public Uni<List<Conflict>> plannedConflicts(SqlConnection tx, TrackedTable table, int limit) {
    MergeSql sql = sql(table, new BranchRef("", true));
    return tx.preparedQuery(sql.conflictRows(sql.plan()) + " limit $1").execute(Tuple.of(limit))
        .map(rows -> {
          List<Conflict> conflicts = new ArrayList<>();
          rows.forEach(r -> conflicts.add(conflict(table.name(), r)));
          return conflicts;
        });
  }

  @Override
  public Uni<TableMerge> apply(SqlConnection tx, TrackedTable table, BranchRef target, boolean keepConflicts) {
    MergeSql sql = sql(table, target);
    WorkingStateSql working = new WorkingStateSql(OverlaySql.of(table, target));
    return tx.query(sql.applyGuarded(working.logRows(sql.images()) + ";" + working.applyRows(sql.images()))).execute()
        .chain(() -> summary(tx, table, sql))
        .call(m -> !keepConflicts || m.conflicts() == 0 ? Uni.createFrom().voidItem()
            : tx.query(sql.keepConflicts()).execute()
                .chain(() -> tx.query(sql.createConflictsView(viewSchema(table, target), conflictsView(table))).execute()));
  }

  /** Writes the rows {@code create} makes (the batch's shape) to the working state, staged. */
  private static Uni<Void> writeImages(SqlConnection tx, MergeSql sql, WorkingStateSql working, String create,
      Tuple params) {
    return tx.query("drop table if exists " + sql.images()).execute()
        .chain(() -> tx.preparedQuery(create).execute(params))
        .chain(() -> tx.query(working.logRows(sql.images())).execute())
        .chain(() -> tx.query(working.applyRows(sql.images())).execute())
        .replaceWithVoid();
  }

  @Override
  public Multi<Conflict> conflicts(SqlConnection tx, TrackedTable table, BranchRef target, int fetch) {
    MergeSql sql = sql(table, target);
    return exists(tx, sql).onItem().transformToMulti(exists -> !exists ? Multi.createFrom().<Conflict>empty()
        : tx.prepare(sql.conflictRows(sql.conflicts())).onItem().transformToMulti(statement -> statement
                .createStream(fetch).toMulti().onTermination().call(statement::close))
            .map(r -> conflict(table.name(), r)));
  }

  @Override
  public Uni<Long> remaining(SqlConnection tx, TrackedTable table, BranchRef target) {
    MergeSql sql = sql(table, target);
    return exists(tx, sql).chain(exists -> !exists ? Uni.createFrom().item(0L)
        : tx.query(sql.remaining()).execute().map(rows -> rows.iterator().next().getLong(0)));
  }

  @Override
  public Uni<Long> resolve(SqlConnection tx, TrackedTable table, BranchRef target, String key, String field,
      String take, String value) {
    MergeSql sql = sql(table, target);
    WorkingStateSql working = new WorkingStateSql(OverlaySql.of(table, target));
    return exists(tx, sql).chain(exists -> {
      if (!exists) {
        return Uni.createFrom().item(0L);
      }
      return tx.query(working.lockWorkingState()).execute()
          .chain(() -> tx.query("drop table if exists " + sql.resolution()).execute())
          .chain(() -> tx.preparedQuery(sql.createResolution()).execute(Tuple.of(key, field, take, value)))
          .chain(() -> tx.query("select count(*) from " + sql.resolution()).execute())
          .chain(created -> {
            long rows = created.iterator().next().getLong(0);
            return tx.preparedQuery(sql.partialRowLevel()).execute(Tuple.of(field))
                .chain(partial -> {
                  if (partial.iterator().next().getLong(0) > 0) {
                    throw new IllegalArgumentException(
                        "a row deleted on one side and changed on the other is resolved whole: leave out field");
                  }
                  return writeImages(tx, sql, working, sql.createResolvedImages(), Tuple.tuple());
                })
                .chain(() -> tx.query(sql.settleResolution()).execute())
                .map(done -> rows);
          });
    });
  }

  @Override
  public Uni<Void> end(SqlConnection tx, TrackedTable table, BranchRef target) {
    MergeSql sql = sql(table, target);
    return tx.query(sql.dropConflicts(viewSchema(table, target), conflictsView(table))).execute().replaceWithVoid();
  }

  @Override
  public Uni<String> fromSource(SqlConnection tx, TrackedTable table, List<String> ours, List<String> theirs,
      String merged) {
    MergeSql sql = sql(table, new BranchRef("", true));
    return tx.query("drop table if exists " + sql.fromSourceTable()).execute()
        .chain(() -> tx.preparedQuery(sql.createFromSource())
            .execute(Tuple.of(ours.toArray(String[]::new), theirs.toArray(String[]::new), merged)))
        .chain(() -> tx.query(sql.fromSourceHash()).execute())
        .chain(rows -> {
          String hash = rows.iterator().next().getString(0);
          return hash == null ? Uni.createFrom().<String>nullItem()
              : tx.preparedQuery(sql.storeFromSource()).execute(Tuple.of(hash)).replaceWith(hash);
        });
  }

  private static Uni<Boolean> exists(SqlConnection tx, MergeSql sql) {
    return tx.preparedQuery(OverlaySql.EXISTS).execute(Tuple.of(sql.conflicts()))
        .map(rows -> rows.iterator().next().getBoolean(0));
  }

  /** The schema of the conflicts view: the branch's view schema (the default branch's named the same way). */
  private static String viewSchema(TrackedTable table, BranchRef target) {
    return PgBranchObjects.viewSchema(target.name(), table.branchId(target.name()));
  }

  private static String conflictsView(TrackedTable table) {
    String name = table.table() + "__conflicts";
    return name.length() <= 63 ? name : table.table().substring(0, 40) + "_" + table.id() + "__conflicts";
  }

  private static Conflict conflict(String table, Row r) {
    try {
      List<FieldConflict> fields = new ArrayList<>();
      for (JsonNode f : EventCodec.mapper().readTree(r.getString(3))) {
        fields.add(new FieldConflict(f.path("name").asText(), text(f.get("base")), text(f.get("ours")),
            text(f.get("theirs"))));
      }
      return new Conflict(table, r.getString(0), r.getString(1), fields, r.getString(2));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("unreadable conflict", e);
    }
  }

  private static String text(JsonNode value) {
    return value == null ? null : value.toString();
  }
}
