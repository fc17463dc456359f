package io.strata.projections.overlay;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.strata.events.EventCodec;
import io.strata.projections.postgres.Sql;
import io.strata.projections.rowdata.BranchRef;
import io.strata.projections.rowdata.Merges.Conflict;
import io.strata.projections.rowdata.Merges.FieldConflict;
import io.strata.projections.rowdata.TrackedTable;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;

/**
 * A merge in progress in PostgreSQL ({@link PgMerges} answers for it through this): its conflicts kept beside the
 * table in {@code strata.<tid>__x_<bid>} with a read-only view in the branch's schema, what it wrote, their
 * resolution into the working state, the abort that puts the rows back, and the end that forgets it.
 */
final class PgMergesInProgress {
  private PgMergesInProgress() {}

  private static MergeStateSql state(MergeSql sql) {
    return new MergeStateSql(sql);
  }

  static Uni<Void> keep(SqlConnection tx, TrackedTable table, BranchRef target, MergeSql sql) {
    String schema = PgBranchObjects.viewSchema(target.name(), table.branchId(target.name()));
    return tx.query(new MergeWritesSql(sql).recordWritten()).execute()
        .chain(() -> tx.query(state(sql).mergedAsStored()).execute())
        .chain(() -> tx.query(state(sql).keep()).execute())
        .chain(() -> conflictsView(tx, sql, table, schema))
        .chain(view -> view.exists()
            ? Uni.createFrom().voidItem()
            : tx.query(state(sql).createConflictsView(schema, view.name())).execute().replaceWithVoid());
  }

  /** The conflicts view's name, and whether it is there already (made by an earlier merge). */
  private record View(String name, boolean exists) {}

  /**
   * {@code <table>__conflicts} in the branch's schema, unless a relation of that name is something else
   * (a user's, another table's view): then a name with the table's id.
   */
  private static Uni<View> conflictsView(SqlConnection tx, MergeSql sql, TrackedTable table, String schema) {
    String plain = table.table() + "__conflicts";
    String named = plain.length() <= 63 ? plain : table.table().substring(0, 40) + "__conflicts";
    String other = table.table().substring(0, Math.min(table.table().length(), 36)) + "_" + table.id() + "__conflicts";
    return isOurs(tx, sql, Sql.qualified(schema, named)).chain(ours -> {
      if (ours) {
        return Uni.createFrom().item(new View(named, true));
      }
      return tx.preparedQuery(OverlaySql.EXISTS).execute(Tuple.of(Sql.qualified(schema, named)))
          .chain(rows -> !rows.iterator().next().getBoolean(0)
              ? Uni.createFrom().item(new View(named, false))
              : isOurs(tx, sql, Sql.qualified(schema, other)).map(found -> new View(other, found)));
    });
  }

  private static Uni<Boolean> isOurs(SqlConnection tx, MergeSql sql, String view) {
    return tx.preparedQuery(state(sql).isConflictsView()).execute(Tuple.of(view))
        .map(rows -> rows.iterator().next().getBoolean(0));
  }

  /** Writes the rows in {@link MergeSql#images()} to the working state, staged. */
  private static Uni<Void> writeImages(SqlConnection tx, MergeSql sql, WorkingStateSql working) {
    return tx.query(working.logRows(sql.images())).execute()
        .chain(() -> tx.query(working.applyRows(sql.images())).execute())
        .replaceWithVoid();
  }

  static Multi<Conflict> conflicts(SqlConnection tx, TrackedTable table, MergeSql sql, int fetch) {
    return PgMerges.exists(tx, sql.conflicts()).onItem().transformToMulti(exists -> !exists
        ? Multi.createFrom().<Conflict>empty()
        : tx.prepare(sql.conflictRows(sql.conflicts())).onItem().transformToMulti(statement -> statement
                .createStream(fetch).toMulti().onTermination().call(statement::close))
            .map(r -> conflict(table.name(), r)));
  }

  static Uni<Long> remaining(SqlConnection tx, MergeSql sql) {
    return PgMerges.exists(tx, sql.conflicts()).chain(exists -> !exists ? Uni.createFrom().item(0L)
        : tx.query(state(sql).remaining()).execute().map(rows -> rows.iterator().next().getLong(0)));
  }

  static Uni<Long> resolve(SqlConnection tx, MergeSql sql, WorkingStateSql working, String key, String field,
      String take, String value) {
    return PgMerges.exists(tx, sql.conflicts()).chain(exists -> {
      if (!exists) {
        return Uni.createFrom().item(0L);
      }
      return tx.query(working.lockWorkingState()).execute()
          .chain(() -> tx.query("drop table if exists " + state(sql).resolution()).execute())
          .chain(() -> tx.preparedQuery(state(sql).createResolution()).execute(Tuple.of(key, field, take, value)))
          .chain(() -> tx.query("select count(*) from " + state(sql).resolution()).execute())
          .map(rows -> rows.iterator().next().getLong(0))
          .call(rows -> tx.preparedQuery(state(sql).partialRowLevel()).execute(Tuple.of(field)).invoke(partial -> {
            if (partial.iterator().next().getLong(0) > 0) {
              throw new IllegalArgumentException(
                  "a row deleted on one side and changed on the other, or refused by the table, is resolved whole:"
                      + " leave out field");
            }
          }))
          .call(rows -> tx.preparedQuery(state(sql).unfitForViolations()).execute(Tuple.of(key, field, take, value))
              .invoke(unfit -> {
                if (unfit.iterator().next().getLong(0) > 0) {
                  throw new IllegalArgumentException("a constraint_violation (a row that fails a check the merge"
                      + " brings, or shares the values of a unique constraint with another row) is resolved with take"
                      + " 'value': the row's new values as an object over its current ones (null deletes the row), or"
                      + " with field, that column's value");
                }
              }))
          .call(rows -> tx.query(state(sql).createResolvedImages()).execute()
              .chain(() -> writeImages(tx, sql, working))
              .chain(() -> tx.query(state(sql).settleResolution()).execute()));
    });
  }

  static Uni<Long> abort(SqlConnection tx, MergeSql sql, WorkingStateSql working) {
    return tx.query(working.lockWorkingState()).execute()
        .chain(() -> PgMerges.exists(tx, sql.written()))
        .chain(exists -> !exists ? Uni.createFrom().item(0L)
            : tx.query(state(sql).createAbortImages()).execute()
                .chain(() -> tx.query(state(sql).changedSinceMerge()).execute())
                .map(rows -> rows.iterator().next().getLong(0))
                .call(() -> tx.query(working.advanceRows(sql.images())).execute())
                .call(() -> tx.query(state(sql).forgetAbortedChanges()).execute()))
        .call(() -> end(tx, sql));
  }

  static Uni<Void> end(SqlConnection tx, MergeSql sql) {
    return tx.query(state(sql).forget()).execute().replaceWithVoid();
  }

  /** A conflict as a row of {@link MergeSql#conflictRows} gives it. */
  static Conflict conflict(String table, Row r) {
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
