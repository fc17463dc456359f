package io.strata.projections.overlay;

import io.smallrye.mutiny.Uni;
import io.strata.projections.rowdata.Merges.HeldCheck;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A merge's rows that share the values of a unique rule its target branch holds, as {@code constraint_violation}
 * conflicts ({@link UniqueViolationsSql}): marked after the merge wrote its rows, settled at each resolution, and all
 * its rows looked at again when it continues ({@link PgMerges}).
 */
final class PgUniqueViolations {
  private PgUniqueViolations() {}

  /**
   * Marks the conflicts of {@code uniques} (those among a merge's held rules that are unique rules): of a rule the
   * target held before, the rows the merge wrote that share its values and the rows they share them with; of a rule
   * the merge carried (held pending) or would carry (a dry run's, not held), every row of the target that shares its
   * values, one scan of its rows under a check's time limit. The keys with open conflicts then leave the ones the
   * check at the commit looks at. With {@code lenient} (a dry run), a rule naming a column the target does not have
   * (yet) is passed over. The table's own unique constraints the target's overlay holds are among them ({@link
   * PgOwnUniques#own}: held before, never scanned), as they are for {@link #settle} and {@link #recheckWritten}.
   * Answers whether there was any rule to look at (none: nothing changed).
   */
  static Uni<Boolean> mark(SqlConnection tx, MergeSql sql, List<HeldCheck> uniques, boolean lenient) {
    List<HeldCheck> shaped = uniques.stream().filter(c -> BranchUniquesSql.KIND.equals(c.check().kind())).toList();
    return PgOwnUniques.own(tx, sql.table(), shaped)
        .chain(own -> markHeld(tx, sql, shaped, own, lenient).replaceWith(!shaped.isEmpty() || !own.isEmpty()));
  }

  /** {@link #mark} of the rules of the branch's shape {@code shaped} and of the table's own {@code own} (never new). */
  private static Uni<Void> markHeld(SqlConnection tx, MergeSql sql, List<HeldCheck> shaped, List<HeldCheck> own,
      boolean lenient) {
    List<HeldCheck> held = new java.util.ArrayList<>(shaped);
    held.addAll(own);
    if (held.isEmpty()) {
      return Uni.createFrom().voidItem();
    }
    Set<String> scanned = new HashSet<>();
    boolean[] touched = {false};
    String[] before = {null};
    return tx.preparedQuery(BranchUniquesSql.pendingOrUnheld(sql.table()))
        .execute(Tuple.of(shaped.stream().map(c -> c.check().name()).toArray(String[]::new)))
        .invoke(rows -> rows.forEach(r -> scanned.add(r.getString(0))))
        .chain(() -> tx.query(UniqueViolationsSql.touchedExists(sql)).execute())
        .invoke(rows -> touched[0] = rows.iterator().next().getBoolean(0))
        // the caller's time limit, read once: each scan runs under its own and gives it back
        .chain(() -> tx.query("select current_setting('statement_timeout')").execute())
        .invoke(rows -> before[0] = rows.iterator().next().getString(0))
        .chain(() -> {
          Uni<Void> chain = Uni.createFrom().voidItem();
          for (HeldCheck u : held) {
            UniqueViolationsSql violations = new UniqueViolationsSql(sql, u.check());
            if (scanned.contains(u.check().name())) {
              chain = chain.chain(() -> PgMerges.scanned(tx, u.check().name(),
                  () -> tx.query(violations.markAll(u.columns())).execute().replaceWithVoid(), lenient, before[0]));
            } else if (touched[0]) {
              chain = chain.chain(() -> CatalogPath.pinned(tx, () -> tx.query(violations.mark(u.columns())).execute())
                  .replaceWithVoid());
            }
          }
          return chain.chain(() -> !touched[0] ? Uni.createFrom().voidItem()
              : tx.query(UniqueViolationsSql.forgetConflicting(sql)).execute().replaceWithVoid());
        });
  }

  /** {@link io.strata.projections.rowdata.Merges#settleViolations}: answers how many conflicts it forgot. */
  static Uni<Long> settle(SqlConnection tx, MergeSql sql, List<HeldCheck> uniques) {
    return withOwn(tx, sql, uniques).chain(held -> settleHeld(tx, sql, held));
  }

  /** The unique rules among {@code uniques} and the table's own unique constraints the target's overlay holds. */
  private static Uni<List<HeldCheck>> withOwn(SqlConnection tx, MergeSql sql, List<HeldCheck> uniques) {
    List<HeldCheck> shaped = uniques.stream().filter(c -> BranchUniquesSql.KIND.equals(c.check().kind())).toList();
    return PgOwnUniques.own(tx, sql.table(), shaped).map(own -> {
      List<HeldCheck> all = new java.util.ArrayList<>(shaped);
      all.addAll(own);
      return all;
    });
  }

  private static Uni<Long> settleHeld(SqlConnection tx, MergeSql sql, List<HeldCheck> held) {
    return held.isEmpty() ? Uni.createFrom().item(0L) : PgMerges.exists(tx, sql.conflicts()).chain(kept -> {
      long[] settled = {0};
      Uni<Void> chain = Uni.createFrom().voidItem();
      for (HeldCheck u : kept ? held : List.<HeldCheck>of()) {
        chain = chain.chain(() -> CatalogPath.pinned(tx, () -> tx.query(new UniqueViolationsSql(sql, u.check())
            .settle()).execute()).invoke(rows -> settled[0] += rows.rowCount()).replaceWithVoid());
      }
      return chain.map(done -> settled[0]);
    });
  }

  /** {@link io.strata.projections.rowdata.Merges#recheckWritten}. */
  static Uni<Void> recheckWritten(SqlConnection tx, MergeSql sql, List<HeldCheck> uniques) {
    return withOwn(tx, sql, uniques).chain(held -> held.isEmpty() ? Uni.createFrom().voidItem()
            : PgMerges.exists(tx, sql.written()).chain(kept -> !kept ? Uni.createFrom().voidItem()
                : tx.query(UniqueViolationsSql.recheckWritten(sql)).execute().replaceWithVoid()));
  }
}
