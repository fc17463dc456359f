package io.strata.projections.overlay;

import io.smallrye.mutiny.Uni;
import io.strata.events.TableShape;
import io.strata.projections.postgres.PgErrors;
import io.strata.projections.postgres.Sql;
import io.strata.projections.rowdata.TrackedTable;
import io.strata.projections.rowdata.Tracking;
import io.strata.projections.rowdata.Tracking.Busy;
import io.strata.projections.rowdata.Tracking.IndexRefused;
import io.strata.projections.rowdata.UnitOfWork;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;

/**
 * What a merge into the default branch builds on a tracked table without holding its writers ({@link PgTracking}):
 * a branch's indexes, and its unique constraints made the table's own — each index {@code CREATE … CONCURRENTLY},
 * outside any transaction, under the migration lock timeout; a name another object has refused, an interrupted
 * build's invalid leftover built again, and nothing left behind that nobody recorded.
 */
final class TableIndexBuilds {
  private TableIndexBuilds() {}

  /**
   * The index named $2 in the schema of table $1 (a regclass): whether it indexes that table, whether it is valid, its
   * definition after the table's name, and whether a session is building it now. No row: no relation of that name in
   * the schema.
   */
  private static final String INDEX_NAMED = """
      select coalesce(i.indrelid = $1::regclass, false), i.indisvalid, substr(d, strpos(d, ' USING ') + 7),
             exists (select from pg_stat_progress_create_index p where p.index_relid = c.oid)
        from pg_class c left join pg_index i on i.indexrelid = c.oid
        cross join lateral pg_get_indexdef(c.oid) d
       where c.relname = $2 and c.relnamespace = (select relnamespace from pg_class where oid = $1::regclass)""";

  /** {@link Tracking#buildIndexes}. */
  static Uni<List<String>> buildIndexes(UnitOfWork unit, TrackedTable table, List<TableShape.Constraint> indexes,
      java.time.Duration lockTimeout) {
    SqlConnection conn = PgUnit.of(unit);
    String qualified = OverlaySql.of(table).table();
    List<String> built = new ArrayList<>();
    // the search path pinned as the shape reader pins it: a definition is parsed as it was printed, and an index
    // built before prints the same for the comparisons below
    Uni<Void> chain = conn.query("set lock_timeout = '" + Math.max(1, lockTimeout.toMillis()) + "ms'; set search_path"
        + " = pg_catalog, pg_temp").execute().replaceWithVoid();
    for (TableShape.Constraint index : indexes) {
      String drop = "drop index concurrently if exists " + Sql.quote(table.schema()) + "." + Sql.quote(index.name());
      chain = chain.chain(() -> conn.preparedQuery(INDEX_NAMED).execute(Tuple.of(qualified, index.name())))
          .chain(rows -> {
            Row r = rows.rowCount() == 0 ? null : rows.iterator().next();
            if (r != null && !Boolean.TRUE.equals(r.getBoolean(0))) {
              return Uni.createFrom().failure(new IndexRefused("schema " + table.schema() + " has an object named '"
                  + index.name() + "' already, which is not an index of table " + table.table()));
            }
            if (r != null && Boolean.TRUE.equals(r.getBoolean(1))) {
              // built before (an interrupted merge, retried): kept when it is the index the branch defined
              return r.getString(2).equals(index.definition()) ? Uni.createFrom().voidItem()
                  : Uni.createFrom().failure(new IndexRefused("table " + table.table() + " has an index '"
                      + index.name() + "' already, defined " + r.getString(2) + ", not " + index.definition()));
            }
            if (r != null && Boolean.TRUE.equals(r.getBoolean(3))) {
              // invalid because another session builds it right now (another merge bringing it): not taken over
              return Uni.createFrom().failure(new Busy("another session is building index " + index.name()
                  + " on table " + table.schema() + "." + table.table()));
            }
            // none, or one left invalid by a build interrupted or refused before: built (again), CONCURRENTLY
            Uni<Void> cleared = r == null ? Uni.createFrom().voidItem() : conn.query(drop).execute().replaceWithVoid();
            return cleared.chain(() -> conn.query(BranchIndexesSql.buildConcurrently(qualified, index)).execute())
                // IF NOT EXISTS passes over an object of the name another session made meanwhile: the index as
                // defined, on this table and valid, or not built here
                .chain(() -> conn.preparedQuery(INDEX_NAMED).execute(Tuple.of(qualified, index.name())))
                .invoke(now -> {
                  Row n = now.rowCount() == 0 ? null : now.iterator().next();
                  if (n != null && (!Boolean.TRUE.equals(n.getBoolean(0)) || Boolean.TRUE.equals(n.getBoolean(1))
                      && !index.definition().equals(n.getString(2)))) {
                    throw new IndexRefused("another session made an object named '" + index.name() + "' meanwhile,"
                        + " not this index (" + (Boolean.TRUE.equals(n.getBoolean(0)) ? "defined " + n.getString(2)
                        : "not an index of table " + table.table()) + ")");
                  }
                  if (n == null || !Boolean.TRUE.equals(n.getBoolean(1))) {
                    throw new Busy("another session is building index " + index.name() + " on table "
                        + table.schema() + "." + table.table());
                  }
                  built.add(index.name());
                })
                .replaceWithVoid()
                // a row of the table the index cannot hold (an entry too large, a value its operator class refuses):
                // the database's word, the invalid leftover dropped (when no old transaction holds it back)
                .onFailure(e -> PgErrors.hasStateClass(e, "22") || PgErrors.hasStateClass(e, "23")
                    || PgErrors.hasStateClass(e, "54") || "0A000".equals(PgErrors.sqlState(e)))
                .recoverWithUni(e -> conn.query(drop).execute().onFailure().recoverWithNull()
                    .chain(() -> Uni.createFrom().failure(new IndexRefused("the table's rows refused it: "
                        + PgErrors.message(e)))));
          });
    }
    return chain
        .onFailure(e -> "55P03".equals(PgErrors.sqlState(e))).transform(e -> new Busy("table " + table.schema() + "."
            + table.table() + " stayed locked by other sessions, or a transaction older than the build stayed open, for "
            + lockTimeout.toMillis() + " ms"))
        .onTermination().call(() -> conn.query("reset lock_timeout; reset search_path").execute()
            .onFailure().recoverWithNull())
        .map(x -> List.copyOf(built));
  }

  /** The definition of the table $1's (regclass text) constraint named $2, if it has one. */
  private static final String CONSTRAINT_NAMED =
      "select pg_get_constraintdef(k.oid) from pg_constraint k where k.conrelid = $1::regclass and k.conname = $2";

  /**
   * Whether the table $1's (regclass text) index named $2 could be the unique constraint on columns $3 (text[], in
   * order): unique, btree, on exactly those columns, no expression, predicate nor INCLUDE.
   */
  private static final String UNIQUE_INDEX_FITS = """
      select i.indisunique and i.indpred is null and i.indexprs is null and m.amname = 'btree'
             and (select array_agg(a.attname::text order by k.ord) from unnest(i.indkey::int2[]) with ordinality k(n, ord)
                    join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.n) = $3::text[]
        from pg_index i join pg_class c on c.oid = i.indexrelid join pg_am m on m.oid = c.relam
       where i.indrelid = $1::regclass and c.relname = $2""";

  /** {@link Tracking#promoteUniques}. */
  static Uni<Void> promoteUniques(UnitOfWork unit, TrackedTable table, List<TableShape.Constraint> uniques,
      java.time.Duration lockTimeout) {
    SqlConnection conn = PgUnit.of(unit);
    String qualified = OverlaySql.of(table).table();
    Uni<Void> chain = conn.query("set lock_timeout = '" + Math.max(1, lockTimeout.toMillis()) + "ms'; set search_path"
        + " = pg_catalog, pg_temp").execute().replaceWithVoid();
    for (TableShape.Constraint rule : uniques) {
      chain = chain.chain(() -> promoteUnique(conn, table, qualified, rule));
    }
    return chain
        .onFailure(e -> "55P03".equals(PgErrors.sqlState(e))).transform(e -> new Busy("table " + table.schema() + "."
            + table.table() + " stayed locked by other sessions, or a transaction older than the build stayed open, for "
            + lockTimeout.toMillis() + " ms"))
        .onTermination().call(() -> conn.query("reset lock_timeout; reset search_path").execute()
            .onFailure().recoverWithNull());
  }

  /** {@link Tracking#requireUnshared}. */
  static Uni<Void> requireUnshared(UnitOfWork unit, TrackedTable table, List<TableShape.Constraint> uniques) {
    SqlConnection tx = PgUnit.of(unit);
    OverlaySql t = OverlaySql.of(table);
    // under a savepoint rolled back after (the scans only read), which takes the time limit back with it
    Uni<Void> chain = tx.query("savepoint strata_unshared; set local statement_timeout = '"
        + PgBranchRules.CHECK_SCAN_TIMEOUT + "'").execute().replaceWithVoid();
    for (TableShape.Constraint rule : uniques) {
      chain = chain.chain(() -> tx.preparedQuery(CONSTRAINT_NAMED).execute(Tuple.of(t.table(), rule.name())))
          .chain(held -> held.rowCount() > 0 ? Uni.createFrom().voidItem() // the table's already: a retried merge
              : tx.query(BranchUniquesSql.duplicates(t, rule)).execute().invoke(rows -> {
                if (rows.rowCount() > 0) {
                  String[] keys = rows.iterator().next().getArrayOfStrings(0);
                  throw new IndexRefused("the table's rows of keys " + keys[0] + " and " + keys[1] + " share the"
                      + " values of " + rule.name() + " " + rule.definition());
                }
              }).replaceWithVoid());
    }
    return chain
        .onItemOrFailure().call((x, f) -> tx.query("rollback to savepoint strata_unshared; release savepoint"
            + " strata_unshared").execute())
        // looked at too long: left to the build, which looks again anyway
        .onFailure(e -> "57014".equals(PgErrors.sqlState(e))).recoverWithNull();
  }

  /**
   * One unique rule made the table's own: kept when the table has it already; an index of its name that fits (a
   * retry after a crash between the build and the constraint, or the table's own) taken as it is; an invalid leftover
   * dropped and built again; any other object of the name refused. An index this call built is dropped again when a
   * later step fails, so no unique index nobody recorded is left enforcing anything.
   */
  private static Uni<Void> promoteUnique(SqlConnection conn, TrackedTable table, String qualified,
      TableShape.Constraint rule) {
    List<String> columns = BranchUniquesSql.columns(rule);
    String name = Sql.quote(rule.name());
    String drop = "drop index concurrently if exists " + Sql.quote(table.schema()) + "." + name;
    String add = "alter table " + qualified + " add constraint " + name + " unique using index " + name;
    Uni<Void> dropBuilt = conn.query(drop).execute().onFailure().recoverWithNull().replaceWithVoid();
    return conn.preparedQuery(CONSTRAINT_NAMED).execute(Tuple.of(qualified, rule.name())).chain(found -> {
      if (found.rowCount() > 0) {
        String had = found.iterator().next().getString(0);
        return had.equals(rule.definition()) ? Uni.createFrom().voidItem() // made before: a retried merge
            : Uni.createFrom().failure(new IndexRefused("table " + table.table() + " has a constraint '"
                + rule.name() + "' already, defined " + had + ", not " + rule.definition()));
      }
      return conn.preparedQuery(INDEX_NAMED).execute(Tuple.of(qualified, rule.name())).chain(rows -> {
        Row r = rows.rowCount() == 0 ? null : rows.iterator().next();
        if (r != null && !Boolean.TRUE.equals(r.getBoolean(0))) {
          return Uni.createFrom().failure(new IndexRefused("schema " + table.schema() + " has an object named '"
              + rule.name() + "' already, which is not an index of table " + table.table()));
        }
        if (r != null && Boolean.TRUE.equals(r.getBoolean(3))) {
          return Uni.createFrom().failure(new Busy("another session is building index " + rule.name() + " on table "
              + table.schema() + "." + table.table()));
        }
        if (r != null && Boolean.TRUE.equals(r.getBoolean(1))) {
          // a valid index of the name: the constraint's when it fits (never dropped: it may be the table's own)
          return conn.preparedQuery(UNIQUE_INDEX_FITS)
              .execute(Tuple.of(qualified, rule.name(), columns.toArray(String[]::new)))
              .chain(fits -> Boolean.TRUE.equals(fits.iterator().next().getBoolean(0))
                  ? conn.query(add).execute().replaceWithVoid()
                  : Uni.createFrom().failure(new IndexRefused("table " + table.table() + " has an index '"
                      + rule.name() + "' already, defined " + r.getString(2) + ", which is not a unique index of "
                      + columns)));
        }
        Uni<Void> cleared = r == null ? Uni.createFrom().voidItem() : conn.query(drop).execute().replaceWithVoid();
        return cleared
            .chain(() -> conn.query("create unique index concurrently " + name + " on " + qualified + " ("
                + columns.stream().map(Sql::quote).collect(java.util.stream.Collectors.joining(", ")) + ")").execute())
            // another session made an object of the name meanwhile: not this call's to drop
            .onFailure(e -> "42P07".equals(PgErrors.sqlState(e))).transform(e -> new Busy("another session made an"
                + " object named '" + rule.name() + "' meanwhile in schema " + table.schema()))
            .onFailure(e -> !(e instanceof Busy) && (PgErrors.hasStateClass(e, "23") || PgErrors.hasStateClass(e, "22")
                || PgErrors.hasStateClass(e, "54"))).recoverWithUni(e -> dropBuilt
                .chain(() -> Uni.createFrom().failure(new IndexRefused("the table's rows refused it: "
                    + PgErrors.message(e)))))
            .onFailure(e -> "0A000".equals(PgErrors.sqlState(e))).recoverWithUni(e -> dropBuilt
                .chain(() -> Uni.createFrom().failure(new IndexRefused("the table cannot be indexed CONCURRENTLY ("
                    + PgErrors.message(e) + "): add the constraint with DDL as its owner"))))
            .chain(() -> conn.query(add).execute()
                // not made the table's (a lock held too long, most likely): the index this call built goes again
                .onFailure().call(e -> dropBuilt))
            .replaceWithVoid()
            // a build that timed out waiting for older transactions leaves an index that already refuses duplicates
            .onFailure(e -> "55P03".equals(PgErrors.sqlState(e))).call(e -> dropBuilt);
      });
    });
  }
}
