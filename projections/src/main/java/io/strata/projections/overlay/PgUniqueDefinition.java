package io.strata.projections.overlay;

import io.smallrye.mutiny.Uni;
import io.strata.events.TableColumn;
import io.strata.events.TableShape;
import io.strata.projections.postgres.PgErrors;
import io.strata.projections.postgres.Sql;
import io.strata.projections.rowdata.BranchObjects.DefinedRule;
import io.strata.projections.rowdata.BranchObjects.Undefinable;
import io.strata.projections.rowdata.TrackedTable;
import io.strata.projections.rowdata.UnitOfWork;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import java.util.List;

/**
 * Defines a unique rule a client asks of a branch ({@link io.strata.projections.rowdata.BranchObjects#defineUnique}),
 * nothing held yet: columns of the table's own that read alike on the branch, an index of the table to look written
 * rows up through, then the table's database judging the constraint on the probe ({@link BranchUniqueDefinitionSql}),
 * all under a savepoint rolled back after.
 */
final class PgUniqueDefinition {
  private PgUniqueDefinition() {}

  static Uni<DefinedRule> define(UnitOfWork unit, TrackedTable table, List<TableColumn> columns, String name,
      List<String> unique) {
    SqlConnection tx = PgUnit.of(unit);
    java.util.Map<String, String> tableTypes = new java.util.HashMap<>();
    table.columns().forEach(c -> tableTypes.put(c.name(), c.type()));
    java.util.Map<String, String> branchTypes = new java.util.HashMap<>();
    columns.forEach(c -> branchTypes.put(c.name(), c.type()));
    java.util.Set<String> added = new java.util.HashSet<>();
    table.refAdded().forEach(c -> added.add(c.name()));
    java.util.Set<String> redefined = new java.util.HashSet<>();
    table.refRedefined().forEach(c -> redefined.add(c.name()));
    for (String c : unique) {
      // the check compares the table's values with the branch's: the column must read the same on both
      if (!tableTypes.containsKey(c) || added.contains(c)) {
        return Uni.createFrom().failure(new Undefinable(name, "column '" + c + "' is not one of the table's own: a"
            + " unique constraint on a branch holds columns of the table (commit the column and merge it first)"));
      }
      if (!tableTypes.get(c).equals(branchTypes.get(c)) && !redefined.contains(c)) {
        return Uni.createFrom().failure(new Undefinable(name, "column '" + c + "' is of type " + branchTypes.get(c)
            + " on the branch and " + tableTypes.get(c) + " in the table: a unique constraint on a branch holds"
            + " columns that read the same in both"));
      }
    }
    // the branch's columns with their types on an empty temporary table: the database judges the types (a btree
    // operator class for each) and prints the definition as the table's shape reads it
    String create = "drop table if exists pg_temp." + BranchUniqueDefinitionSql.PROBE + "; create temporary table "
        + BranchUniqueDefinitionSql.PROBE + " (" + columns.stream().map(c -> Sql.quote(c.name()) + " " + c.type())
            .collect(java.util.stream.Collectors.joining(", ")) + ") on commit drop";
    return tx.query("savepoint strata_unique").execute()
        .chain(() -> tx.preparedQuery(BranchUniqueDefinitionSql.LOOKUP_INDEX)
            .execute(Tuple.of(OverlaySql.of(table).table(), unique.toArray(String[]::new), unique.size())))
        .invoke(rows -> {
          if (!Boolean.TRUE.equals(rows.iterator().next().getBoolean(0))) {
            throw new Undefinable(name, "the table has no btree index on " + unique + " (its first columns, in any"
                + " order, with no predicate): every row the branch writes is looked up among the table's rows through"
                + " it; add one with DDL on the default branch (CREATE INDEX CONCURRENTLY) first");
          }
        })
        .chain(() -> tx.query(create).execute())
        .chain(() -> tx.query("set local search_path = pg_catalog, pg_temp; set local statement_timeout = '5s'")
            .execute())
        .chain(() -> tx.query(BranchUniqueDefinitionSql.probe(unique)).execute())
        .chain(() -> tx.preparedQuery(BranchUniqueDefinitionSql.FOREIGN_EQUALITY).execute(Tuple.of(unique.toArray(String[]::new))))
        .invoke(rows -> {
          if (rows.rowCount() > 0) {
            throw new Undefinable(name, "column '" + rows.iterator().next().getString(0) + "' is of type "
                + rows.iterator().next().getString(1) + ", whose equality is not PostgreSQL's own: a unique constraint"
                + " on a branch compares with PostgreSQL's own operators only");
          }
        })
        .chain(() -> tx.query(BranchUniqueDefinitionSql.PROBED).execute())
        .map(rows -> {
          TableShape.Constraint rule = new TableShape.Constraint(name, BranchUniquesSql.KIND,
              rows.iterator().next().getString(0));
          BranchUniquesSql.requireDefinition(rule);
          return new DefinedRule(rule, List.copyOf(unique));
        })
        .call(() -> tx.query("rollback to savepoint strata_unique; release savepoint strata_unique").execute())
        .onFailure(e -> e instanceof Undefinable || PgErrors.sqlState(e) != null).recoverWithUni(e -> tx
            .query("rollback to savepoint strata_unique; release savepoint strata_unique").execute()
            .onItemOrFailure().transformToUni((x, fail) -> Uni.createFrom().failure(e instanceof Undefinable ? e
                : new Undefinable(name, PgErrors.message(e)))));
  }
}
