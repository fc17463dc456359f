package io.strata.projections.overlay;

import static io.strata.projections.overlay.SqlTemplate.fill;

/**
 * The change set from a merge's source (theirs) to the merge commit, from the sides' change sets or
 * from the plan of the merge's transaction ({@link MergeSql#plan()}), stored content-addressed.
 */
final class MergeFromSourceSql {
  private final OverlaySql s;
  private final MergeSql m;

  MergeFromSourceSql(MergeSql merge) {
    this.m = merge;
    this.s = merge.table();
  }

  String fromSourceTable() {
    return m.temporary("strata_from_source");
  }

  /**
   * The change set from the source (theirs) to the merge commit, as rows ({@code __key}, {@code __op},
   * {@code __before}, {@code __after}), from the sides' change sets ($1 ours, $2 theirs) and the merge
   * commit's change set from ours ($3; null: none): per key either side or the commit changed, the row
   * on theirs against the merged row, where they differ.
   */
  String createFromSource() {
    return fill("""
        create temporary table {from_source} on commit drop as
        with o as {ours_side}, t as {theirs_side},
        m as (select key, before, after from {changes} where change_set = $3),
        x as (select k.key,
                     case when t.key is not null then t.la when o.key is not null then o.fb else m.before end as theirs,
                     case when m.key is not null then m.after when o.key is not null then o.la else t.fb end as merged
              from (select key from o union select key from t union select key from m) k
              left join o on o.key = k.key left join t on t.key = k.key left join m on m.key = k.key)
        select key as __key, case when theirs is null then 'I' when merged is null then 'D' else 'U' end as __op,
               theirs as __before, merged as __after
        from x where theirs is distinct from merged""",
        "from_source", fromSourceTable(), "ours_side", ChangeImagesSql.side(s, "$1", false), "theirs_side", ChangeImagesSql.side(s, "$2", false),
        "changes", s.changes());
  }

  /**
   * The same from the plan of this transaction, for a merge commit that takes exactly what the merge
   * applied ($1: ours's change sets): per key theirs changed, theirs's row against the merged one; per
   * key only ours changed, the base's row (theirs's) against ours's.
   */
  String createFromSourceOfPlan(boolean oursSingle) {
    return fill("""
        create temporary table {from_source} on commit drop as
        select key as __key, case when theirs is null then 'I' when merged is null then 'D' else 'U' end as __op,
               theirs as __before, merged as __after
        from {plan} where merged is distinct from theirs
        union all
        select o.key, case when o.fb is null then 'I' when o.la is null then 'D' else 'U' end, o.fb, o.la
        from {ours_side} o
        where o.fb is distinct from o.la and not exists (select from {plan} p where p.key = o.key)""",
        "from_source", fromSourceTable(), "plan", m.plan(), "ours_side", ChangeImagesSql.side(s, "$1", oursSingle));
  }

  /** The change set's content address (null when it is empty). */
  String fromSourceHash() {
    return "select case when count(*) > 0 then " + ChangeSetsSql.CHANGE_SET_HASH + " end from " + fromSourceTable();
  }

  /** Stores the change set from the source as $1, unless stored before. */
  String storeFromSource() {
    return fill("""
        insert into {changes} (change_set, key, op, before, after)
        select $1, __key, __op, __before, __after from {from_source}
        where not exists (select from {changes} where change_set = $1)""",
        "changes", s.changes(), "from_source", fromSourceTable());
  }
}
