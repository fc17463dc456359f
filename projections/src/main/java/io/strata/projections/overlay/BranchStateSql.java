package io.strata.projections.overlay;

import static io.strata.projections.overlay.SqlTemplate.fill;

import io.strata.projections.postgres.Sql;

/**
 * The relation holding a branch's working state of a table T (its view {@code strata_<branch>.<T>}
 * reads it, so do its query views, reads, diffs and merges): four UNION ALL arms.
 *
 * <ol>
 *   <li>the overlay's live rows;
 *   <li>per key T changed since the fork that the overlay does not hold, the first pre-image after
 *       the fork (a tombstone: no row);
 *   <li>T's rows whose key the overlay does not hold, while no pre-image was filed since the fork:
 *       one anti join against the overlay alone;
 *   <li>the same once pre-images were filed since the fork, excluding their keys too, by a second
 *       anti join against the pre-image log.
 * </ol>
 *
 * <p>Arms 2 to 4 read rows the branch has not written: a column the branch added is its constant default
 * there ({@link OverlaySql#baseColumns}), so adding one copies no row and costs the arms nothing.
 *
 * <p>Arms 3 and 4 are gated by one uncorrelated {@code EXISTS} over the pre-image log (an InitPlan,
 * evaluated once per statement, that stops at its first row): exactly one of them runs. The shape is
 * chosen for the planner. Each anti join has one relation with statistics on its inner side, so the
 * planner hashes the smaller side (or probes the key index, for a point lookup), where an anti join
 * against the UNION ALL of both key sets (the shape before layout 5) gives an inner side without
 * statistics, whose hash the planner prices at its worst bucket size and which it avoided by hashing
 * the whole base table instead (a right anti join) at every size up to 1M rows; and with no pre-image
 * since the fork (the common case: a table not written since the branch was made, or a fresh branch)
 * the pre-image log costs one probe per statement, not one per row. Keys are NOT NULL (primary key),
 * so the equality matches are exact for composite keys too.
 */
final class BranchStateSql {
  private BranchStateSql() {}

  /** The working state of {@code s}, a non-default branch (see the class comment). */
  static String state(OverlaySql s) {
    String epoch = s.forkEpoch();
    String anyPreimage = fill("exists (select 1 from {preimages} where __epoch >= {fork_epoch})",
        "preimages", s.preimages(), "fork_epoch", epoch);
    return fill("""
        (select {columns_o} from {overlay} o where not o.__deleted
         union all
         select {columns_p} from {preimages_at_fork} p
         where not p.__deleted and not exists (select 1 from {overlay} o where {match_op})
         union all
         select {columns_x} from {table} x
         where not {any_preimage} and not exists (select 1 from {overlay} o where {match_ox})
         union all
         select {columns_x} from {table} x
         where {any_preimage} and not exists (select 1 from {overlay} o where {match_ox})
           and not exists (select 1 from {preimages} q where q.__epoch >= {fork_epoch} and {match_qx}))""",
        "columns_o", OverlaySql.list(s.columns(), "o"), "overlay", s.overlay(),
        "columns_p", s.shape().baseColumns("p"), "preimages_at_fork", preimagesAtFork(s),
        "match_op", s.keyMatch("o", "p"), "columns_x", s.shape().baseColumns("x"), "table", s.table(),
        "any_preimage", anyPreimage, "match_ox", s.keyMatch("o", "x"), "preimages", s.preimages(),
        "fork_epoch", epoch, "match_qx", s.keyMatch("q", "x"));
  }

  /**
   * Gives a live branch's view {@code viewSchema.viewName} and its query views the working state of
   * this build ({@link #state}), in place: CREATE OR REPLACE keeps the views' INSTEAD OF trigger,
   * column defaults, grants and dependent views. For a layout upgrade.
   */
  static String replaceViews(OverlaySql branch, String viewSchema, String viewName) {
    return fill("create or replace view {view} as select * from {state} s;",
        "view", Sql.quote(viewSchema) + "." + Sql.quote(viewName), "state", state(branch))
        + new QueryAccessSql(branch).createViews();
  }

  /** Per key written since this branch's fork, the first pre-image after it (columns, __epoch, __deleted). */
  private static String preimagesAtFork(OverlaySql s) {
    return fill("(select distinct on ({key}) * from {preimages} where __epoch >= {fork_epoch} order by {key}, __epoch)",
        "key", s.keyList(null), "preimages", s.preimages(), "fork_epoch", s.forkEpoch());
  }
}
