package io.strata.projections.overlay;

import static io.strata.projections.overlay.SqlTemplate.fill;

import io.strata.projections.postgres.TableCatalog;

/**
 * The statements over what a merge wrote (see {@link PgMerges}), once its plan is applied ({@link MergeSql}): the
 * rows recorded as the branch's working changes for a merge that stops, the change set of its merge commit, and the
 * working log it leaves.
 */
final class MergeWritesSql {
  private final OverlaySql s;
  private final MergeSql m;

  MergeWritesSql(MergeSql merge) {
    this.m = merge;
    this.s = merge.table();
  }

  /**
   * Records the rows the merge wrote as the branch's staged working changes, each with its first
   * before-image (ours), as a REST write is recorded: for a merge that stops before its commit.
   */
  String recordWritten() {
    return recordWritten(true);
  }

  /** {@link #recordWritten()}, the changes staged or not. */
  String recordWritten(boolean staged) {
    return fill("""
        insert into {working_log} ({columns}, __present, __staged)
        select {columns_r}, p.ours is not null, {staged}
        from {plan} p, lateral jsonb_populate_record(null::{row_type}, coalesce(p.ours, {key_object})) r
        where p.merged is distinct from p.ours order by {key_r}{log_upsert}""",
        "working_log", s.workingLog(), "columns", OverlaySql.list(s.columns(), null),
        "columns_r", OverlaySql.list(s.columns(), "r"), "plan", m.plan(), "table", s.table(), "row_type", s.rowType(),
        "key_object", s.keyObject("p.key"), "key_r", s.keyList("r"), "staged", String.valueOf(staged),
        "log_upsert", s.logUpsert(String.valueOf(staged)));
  }

  /**
   * The change set of a merge commit that takes exactly what the merge wrote, from the plan and the rows
   * as the table now holds them (its own defaults, generated columns and triggers included), in the
   * capture table's shape ({@link ChangeSetsSql#captureTable}): per written key, ours as the before-image
   * and the branch's current row as the after-image, with their row hashes.
   */
  String captureWritten(String capture, boolean fromImages) {
    return fill("""
        create temporary table {capture} on commit drop as
        select x.__key,
               case when x.__before is null and x.__after is null then 'N' when x.__before is null then 'I'
                    when x.__after is null then 'D' when x.__after = x.__before then 'N' else 'U' end as __op,
               x.__before, x.__after,
               case when x.__after is not null then {after_hash} end as __after_hash,
               case when x.__before is not null then {before_hash} end as __before_hash
        from (select p.key as __key, p.ours as __before,
                     case when {present} then {after_image} end as __after,
                     case when {present} then {after_text} end as __after_text,
                     case when p.ours is not null then jsonb_populate_record(null::{row_type}, p.ours)::text end
                       as __before_text
              from {plan} p
              {current_row}
              where p.merged is distinct from p.ours
              offset 0) x""",
        "capture", capture, "after_hash", TableCatalog.rowHash("x.__after_text"),
        "before_hash", TableCatalog.rowHash("x.__before_text"),
        "present", fromImages ? "p.merged is not null" : s.present("t"),
        "after_image", fromImages ? "p.merged" : "to_jsonb(t.*)",
        "after_text", fromImages ? "jsonb_populate_record(null::" + s.rowType() + ", p.merged)::text" : "(t.*)::text",
        "table", s.table(), "row_type", s.rowType(), "plan", m.plan(),
        "current_row", fromImages ? "" : "cross join lateral jsonb_populate_record(null::" + s.table() + ", "
            + s.keyObject("p.key") + ") k " + m.currentRowOfKey("k"));
  }

  /**
   * Whether the rows the merge wrote are exactly its plan's merged rows, so {@link #captureWritten} may
   * take them from the plan rather than read them from the table: every row went
   * in one set-wise write (no constraint conflict) from an image of every column, and on the default branch the table changes no row
   * it is given (no row trigger of its own before writes, no stored generated column). A branch's
   * overlay is written the images as they are (its generated columns computed in them).
   */
  String imagesAreTheRows() {
    // an image of fewer columns (a side that read the table before it gained some) was completed when
    // written: the row holds the column's value or default, the image does not name it
    String plan = fill("not exists (select from {plan} where kind = 'constraint' or merged is not null"
        + " and not merged ?& {columns})", "plan", m.plan(), "columns", OverlaySql.textArray(s.columns()));
    if (!s.isDefaultBranch()) { // the overlay holds generated columns computed in the images, not the plan
      return fill("""
          select {plan_clean} and not exists (select from pg_attribute where attrelid = {table_literal}::regclass
                                              and attgenerated = 's' and not attisdropped)""",
          "plan_clean", plan, "table_literal", OverlaySql.literal(s.table()));
    }
    return fill("""
        select {plan_clean}
          and not exists (select from pg_trigger where tgrelid = {table_literal}::regclass and not tgisinternal
                          and tgtype & 3 = 3 and tgname <> {moved_trigger})
          and not exists (select from pg_attribute where attrelid = {table_literal}::regclass and attgenerated = 's'
                          and not attisdropped)""",
        "plan_clean", plan, "table_literal", OverlaySql.literal(s.table()),
        "moved_trigger", OverlaySql.literal("strata_" + s.tableId() + "_moved"));
  }

  /**
   * Makes the plan's merged rows the rows as written (captured in {@code capture}): where the table
   * computed something of its own (a generated column, a trigger), the change set from the source must
   * lead to the row as stored.
   */
  String mergedAsCaptured(String capture) {
    return fill("""
        update {plan} p set merged = c.__after from {capture} c
        where c.__key = p.key and c.__after is distinct from p.merged""", "plan", m.plan(), "capture", capture);
  }

  /**
   * Forgets the working-log rows of the keys the merge wrote: they held changes that came back to where
   * they were (the branch was clean), and the merge commit takes the keys as they are now.
   */
  String forgetWrittenLog() {
    return fill("""
        delete from {working_log} w using (
          select k.* from {plan} p, lateral jsonb_populate_record(null::{row_type}, {key_object}) k
          where p.merged is distinct from p.ours) k
        where {key_match}""",
        "working_log", s.workingLog(), "plan", m.plan(), "table", s.table(), "row_type", s.rowType(), "key_object", s.keyObject("p.key"),
        "key_match", s.keyMatch("w", "k"));
  }
}
