package io.strata.projections.overlay;

import static io.strata.projections.overlay.PgBranchObjects.STRATA_OWN_DDL;

import io.smallrye.mutiny.Uni;
import io.strata.events.TableColumn;
import io.strata.events.TableShape;
import io.strata.projections.rowdata.BranchObjects.Hold;
import io.strata.projections.rowdata.Merges.HeldCheck;
import io.strata.projections.rowdata.TrackedTable;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The table's own unique constraints on a branch: a new branch's overlay holds them as it holds a unique rule of the
 * branch's ({@link BranchUniquesSql}, registered {@code own}), so a row the table would refuse for sharing values is
 * refused when the branch writes it, not when the branch merges into the default branch. Plain {@code UNIQUE (a, b)}
 * constraints only ({@link OwnUniquesSql#TABLE_UNIQUES}); their own index finds the table's rows by value.
 *
 * <p>The branch's shape does not list them (the table's shape does): merges into the branch find them in the registry
 * ({@link #own}), and a column the branch drops takes those naming it along ({@link #dropNaming}).
 */
final class PgOwnUniques {
  private PgOwnUniques() {}

  /**
   * Has new branch {@code branch}'s overlay {@code b} of {@code table} hold the table's own unique constraints, each
   * on columns the branch reads ({@code table}'s on the branch), but those it holds already. Its rows are not read but those that
   * differ from the table's (its overlay's, O(rows that differ): the table's own rows keep to the constraint): where
   * one of them shares a constraint's values with another row (a start older than the constraint), the branch does
   * not hold that constraint, rather than refuse a branch of an older commit.
   */
  static Uni<Void> hold(SqlConnection tx, OverlaySql b, TrackedTable table, String branch) {
    return unheld(tx, b, table).chain(rules -> hold(tx, b, table, branch, rules, null)).replaceWithVoid();
  }

  /**
   * The table's own unique constraints a branch of {@code table} (as it reads it) may hold that its overlay {@code b}
   * does not hold yet: plain ones on columns it reads, not containing the key.
   */
  static Uni<List<TableShape.Constraint>> unheld(SqlConnection tx, OverlaySql b, TrackedTable table) {
    // the columns the branch reads (a column it dropped takes the constraints naming it along)
    Set<String> columns = table.columnsOnRef().stream().map(TableColumn::name).collect(Collectors.toSet());
    return tx.preparedQuery(OwnUniquesSql.TABLE_UNIQUES).execute(Tuple.of(b.table())).chain(rows -> {
      List<TableShape.Constraint> holdable = new ArrayList<>();
      for (Row r : rows) {
        TableShape.Constraint rule = new TableShape.Constraint(r.getString(0), BranchUniquesSql.KIND, r.getString(1));
        // NULLS NOT DISTINCT, INCLUDE, a column the branch does not read: not held; one of the key's columns and
        // others: held by the key already
        if (BranchUniquesSql.holdable(rule.definition()) && columns.containsAll(BranchUniquesSql.columns(rule))
            && !BranchUniquesSql.columns(rule).containsAll(table.key())) {
          holdable.add(rule);
        }
      }
      return holdable.isEmpty() ? Uni.createFrom().item(List.<TableShape.Constraint>of())
          : tx.preparedQuery(OwnUniquesSql.held(b)).execute().map(held -> {
            Set<String> keys = new java.util.HashSet<>();
            held.forEach(h -> keys.add(h.getString(0)));
            return holdable.stream().filter(c -> !keys.contains(OwnUniquesSql.ownKey(c.name()))).toList();
          });
    });
  }

  /**
   * Has {@code b} hold {@code rules} ({@link #unheld}): each but one a row the branch reads other than the table's
   * already shares the values of ({@link OwnUniquesSql#sharedByOverlay}), each look at them taking at most {@code
   * limit} (null: the caller's statement timeout). Answers false where a look ran past it: the rules before it are
   * then held, for the caller to undo (it answers rather than raises: see {@code strata.exists_within}).
   */
  static Uni<Boolean> hold(SqlConnection tx, OverlaySql b, TrackedTable table, String branch,
      List<TableShape.Constraint> rules, java.time.Duration limit) {
    Uni<Boolean> chain = Uni.createFrom().item(true);
    for (TableShape.Constraint rule : rules) {
      // a rule the rows already break is undone to its savepoint, not dropped: dropping its index and triggers would
      // wait for every reader of the branch (an exclusive lock), and past a lock timeout fail the caller's transaction
      chain = chain.chain(complete -> !complete ? Uni.createFrom().item(false)
          : tx.query("savepoint strata_own_rule; " + STRATA_OWN_DDL + BranchUniquesSql.hold(b, rule, branch,
              table.schema(), table.table(), false, true) + ";\n" + BranchUniquesSql.indexPreimages(b, rule)).execute()
          .chain(() -> shared(tx, OwnUniquesSql.sharedByOverlay(b, rule), limit))
          .chain(shared -> tx.query(Boolean.FALSE.equals(shared) ? "release savepoint strata_own_rule"
                  : "rollback to savepoint strata_own_rule; release savepoint strata_own_rule").execute()
              .replaceWith(shared != null)));
    }
    return chain;
  }

  /** What {@code lookup} answers within {@code limit} (null: the caller's statement timeout); null past it. */
  private static Uni<Boolean> shared(SqlConnection tx, String lookup, java.time.Duration limit) {
    if (limit == null) {
      return tx.query(lookup).execute().map(rows -> rows.iterator().next().getBoolean(0));
    }
    return tx.query("select current_setting('statement_timeout')").execute()
        .map(rows -> rows.iterator().next().getString(0))
        .chain(before -> tx.query("set local statement_timeout = '" + Math.max(1, limit.toMillis()) + "ms'").execute()
            .chain(() -> tx.preparedQuery(OwnUniquesSql.EXISTS_WITHIN).execute(Tuple.of(lookup)))
            .map(rows -> rows.iterator().next().getBoolean(0))
            .call(() -> tx.preparedQuery("select set_config('statement_timeout', $1, true)").execute(Tuple.of(before))));
  }

  /**
   * {@link io.strata.projections.rowdata.BranchObjects#releaseSharedTableUniques}: each of the table's own unique
   * constraints {@code b}'s overlay holds that a row the calling transaction wrote there shares the values of with
   * another row the branch reads is no longer held.
   */
  static Uni<Void> releaseShared(SqlConnection tx, OverlaySql b) {
    return tx.query("select to_regclass(" + OverlaySql.literal(BranchUniquesSql.touched(b)) + ") is not null").execute()
        .chain(noted -> !noted.iterator().next().getBoolean(0) ? Uni.createFrom().voidItem()
            : own(tx, b, List.of()).chain(own -> {
              Uni<Void> chain = Uni.createFrom().voidItem();
              for (HeldCheck c : own) {
                chain = chain.chain(() -> tx.query(OwnUniquesSql.sharedByTouched(b, c.check())).execute())
                    .chain(shared -> !shared.iterator().next().getBoolean(0) ? Uni.createFrom().voidItem()
                        : tx.query(STRATA_OWN_DDL + BranchUniquesSql.drop(b, OwnUniquesSql.ownKey(c.check().name())))
                            .execute().replaceWithVoid());
              }
              return chain;
            }));
  }

  /** Drops what {@code b}'s overlay holds of the table's own unique constraints naming any of {@code columns}. */
  static Uni<Void> dropNaming(SqlConnection tx, OverlaySql b, List<String> columns) {
    return tx.preparedQuery(OwnUniquesSql.ownNaming(b)).execute(Tuple.of(columns.toArray(String[]::new)))
        .chain(rows -> {
          List<String> names = new ArrayList<>();
          rows.forEach(r -> names.add(r.getString(0)));
          return names.isEmpty() ? Uni.createFrom().voidItem() : tx.query(STRATA_OWN_DDL + names.stream()
              .map(n -> BranchUniquesSql.drop(b, n)).collect(Collectors.joining(";\n"))).execute().replaceWithVoid();
        });
  }

  /**
   * The table's own unique constraints {@code b}'s overlay holds, each as a rule of kind {@link BranchUniquesSql#KIND}
   * on its columns under the constraint's name, but those named as one of {@code uniques} (the rules of the branch's
   * shape a merge holds its rows to: a rule of the branch's of that name has its columns).
   */
  static Uni<List<HeldCheck>> own(SqlConnection tx, OverlaySql b, List<HeldCheck> uniques) {
    return tx.query(OwnUniquesSql.own(b)).execute().map(rows -> {
      List<HeldCheck> own = new ArrayList<>();
      for (Row r : rows) {
        String name = OwnUniquesSql.ownName(r.getString(0));
        List<String> columns = List.of(r.getArrayOfStrings(1));
        if (uniques.stream().noneMatch(u -> u.check().name().equals(name))) {
          own.add(new HeldCheck(new TableShape.Constraint(name, BranchUniquesSql.KIND, columns.stream()
              .map(io.strata.projections.postgres.Sql::quote).collect(Collectors.joining(", ", "UNIQUE (", ")"))),
              columns));
        }
      }
      return own;
    });
  }

  /** {@link BranchObjects#releaseDroppedTableUniques}: {@code strata.unique_unhold_gone} for the table. */
  static Uni<Void> releaseDropped(SqlConnection tx, OverlaySql main) {
    return tx.preparedQuery("select strata.unique_unhold_gone($1)").execute(Tuple.of(main.tableId()))
        .replaceWithVoid();
  }

  /** The longest a statement holding the table's unique constraints on a branch runs (the table's writers wait). */
  static final java.time.Duration HOLD_STATEMENT_TIMEOUT = java.time.Duration.ofSeconds(30);

  /**
   * Has {@code branch} hold the table's own unique constraints it does not hold yet, waiting at most {@code
   * lockTimeout} for each lock and {@link #HOLD_STATEMENT_TIMEOUT} for each statement; what it passes over is owed
   * (when {@code claimed}, a hold already owed stays owed). Past a limit, the caller's transaction is as it was.
   */
  static Uni<Hold> holdWithin(SqlConnection tx, TrackedTable table, String branch, java.time.Duration lockTimeout,
      boolean claimed) {
    OverlaySql onBranch = OverlaySql.of(table).onBranch(table.branchId(branch));
    // (nothing to hold, the common case: no lock asked for); a hold passed over is owed, tried again later. Under a
    // savepoint, with limits for every lock it waits for (the table's writers', the branch's, the pre-image log's) and
    // every look at the rows the branch reads other than the table's (while the table's writers wait), both answered
    // by the database rather than raised (a failure the driver saw would fail the caller's transaction at its commit,
    // savepoint or not): past one, the caller's transaction is as it was
    return unheld(tx, onBranch, table).chain(first -> (first.isEmpty() ? Uni.createFrom().item(Hold.HELD)
        : tx.query("savepoint strata_hold; " + STRATA_OWN_DDL).execute()
            .chain(() -> tx.query(OwnUniquesSql.lockAgainstWritersWithin(onBranch, lockTimeout)).execute())
            .chain(locked -> !locked.iterator().next().getBoolean(0) ? undoHold(tx, Hold.BUSY)
                // the constraints read again under the locks: DDL committed meanwhile may have changed them
                : unheld(tx, onBranch, table)
                    .chain(rules -> hold(tx, onBranch, table, branch, rules, HOLD_STATEMENT_TIMEOUT))
                    .chain(complete -> !complete ? undoHold(tx, Hold.FAILED)
                        : tx.query("release savepoint strata_hold").execute().replaceWith(Hold.HELD))))
        .call(hold -> hold != Hold.HELD && claimed ? Uni.createFrom().voidItem()
            : tx.preparedQuery(hold == Hold.HELD ? OwnUniquesSql.PAID : OwnUniquesSql.OWE)
                .execute(Tuple.of(table.id(), branch))));
  }

  private static Uni<Hold> undoHold(SqlConnection tx, Hold outcome) {
    return tx.query("rollback to savepoint strata_hold; release savepoint strata_hold").execute().replaceWith(outcome);
  }
}
