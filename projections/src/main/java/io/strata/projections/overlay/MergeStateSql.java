package io.strata.projections.overlay;

import static io.strata.projections.overlay.SqlTemplate.fill;

import io.strata.projections.postgres.Sql;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The statements of a merge in progress (see {@link PgMerges}): what it keeps (its unsettled conflicts,
 * what it wrote), the read-only view of its conflicts, their resolution, and the abort that puts back
 * what it wrote. The plan and its application are {@link MergeSql}'s.
 */
final class MergeStateSql {
  /** Kinds of conflict resolved by taking one side's whole row. */
  private static final String ROW_LEVEL = "c.kind in ('delete_modify', 'modify_delete', 'constraint')";

  private final OverlaySql s;
  private final MergeSql m;

  MergeStateSql(MergeSql merge) {
    this.m = merge;
    this.s = merge.table();
  }

  String resolution() {
    return m.temporary("strata_resolution");
  }

  /** The same from the branch's current rows, for a merge that stops ({@link #keep}). */
  String mergedAsStored() {
    return fill("""
        update {plan} p set merged = x.stored from (
          select p.key, case when {present} then to_jsonb({after_row}) end as stored
          from {plan} p
          cross join lateral jsonb_populate_record(null::{row_type}, {key_object}) k
          {current_row}
          where p.merged is distinct from p.ours) x
        where x.key = p.key and x.stored is distinct from p.merged""",
        "plan", m.plan(), "present", s.present("t"), "after_row", "t.*", "table", s.table(), "row_type", s.rowType(),
        "key_object", s.keyObject("p.key"), "current_row", m.currentRowOfKey("k"));
  }

  /**
   * Keeps, for the merge in progress, the plan's unsettled conflicts (with the merged row each one
   * wrote) and what the merge wrote. The tables stay once made (emptied when a merge ends), so ending a
   * merge takes no lock that a reader of its conflicts would hold up.
   */
  String keep() {
    return fill("""
        create table if not exists {conflicts} (key jsonb primary key, kind text not null, base jsonb, ours jsonb,
          theirs jsonb, merged jsonb, fields text[] not null, refused_by text);
        create table if not exists {written} (key jsonb primary key, ours jsonb, merged jsonb);
        delete from {conflicts};
        delete from {written};
        insert into {conflicts} select key, kind, base, ours, theirs, merged, fields, refused_by from {plan}
          where kind is not null and not settled order by key;
        insert into {written} select key, ours, merged from {plan} where merged is distinct from ours order by key""",
        "conflicts", m.conflicts(), "written", m.written(), "plan", m.plan());
  }

  /**
   * The read-only view {@code viewSchema.viewName} of the kept conflicts, as SQL tools read Dolt's
   * {@code dolt_conflicts_<table>}: the key's columns, the conflict's kind, the conflicting columns,
   * and per column of the table its base_, ours_ and theirs_ value.
   */
  String createConflictsView(String viewSchema, String viewName) {
    return "create schema if not exists " + Sql.quote(viewSchema) + ";\n"
        + conflictsViewDefinition(Sql.qualified(viewSchema, viewName));
  }

  /** The CREATE VIEW statement of {@link #createConflictsView} as {@code view} (a qualified name). */
  String conflictsViewDefinition(String view) {
    String sides = s.columns().stream()
        .flatMap(c -> List.of("base", "ours", "theirs").stream()
            .map(side -> side.charAt(0) + "." + Sql.quote(c) + " as " + Sql.quote(side + "_" + c)))
        .collect(Collectors.joining(", "));
    return fill("""
        create view {view} as
        select {key_k}, c.kind as conflict_type, c.fields as conflicting_columns, c.refused_by, {sides}
        from {conflicts} c
        cross join lateral jsonb_populate_record(null::{row_type}, {key_object}) k
        cross join lateral jsonb_populate_record(null::{row_type}, c.base) b
        cross join lateral jsonb_populate_record(null::{row_type}, c.ours) o
        cross join lateral jsonb_populate_record(null::{row_type}, c.theirs) t""",
        "view", view, "key_k", s.keyList("k"),
        "sides", sides, "conflicts", m.conflicts(), "table", s.table(), "row_type", s.rowType(), "key_object", s.keyObject("c.key"));
  }

  /**
   * Whether relation $1 (qualified) is this table's conflicts view: a view reading {@link MergeSql#conflicts()}
   * (false also when there is no such relation).
   */
  String isConflictsView() {
    return fill("""
        select exists (select 1 from pg_depend d join pg_rewrite r on r.oid = d.objid
                       where r.ev_class = to_regclass($1) and d.refobjid = to_regclass({conflicts_literal}))""",
        "conflicts_literal", OverlaySql.literal(m.conflicts()));
  }

  /** Empties what a merge in progress kept: it ended. */
  String forget() {
    return fill("""
        do $strata_f$ begin
          if to_regclass({conflicts_literal}) is not null then delete from {conflicts}; end if;
          if to_regclass({written_literal}) is not null then delete from {written}; end if;
        end $strata_f$""",
        "conflicts_literal", OverlaySql.literal(m.conflicts()), "conflicts", m.conflicts(),
        "written_literal", OverlaySql.literal(m.written()), "written", m.written());
  }

  /** How many kept conflicts are left. */
  String remaining() {
    return "select count(*) from " + m.conflicts();
  }

  /**
   * Resolves the kept conflicts of key $1 (a JSON array; null: all) on column $2 (null: every
   * conflicting one), taking $3 ('ours', 'theirs', 'base' or 'value': $4, JSON): per row the image to
   * write and the columns left in conflict. A row-level conflict (a delete against a change, a row the
   * table refused, or an add_add resolved whole) takes the chosen side's row (a value: a JSON object of
   * the row's columns, null for none). Otherwise the branch's current row takes the chosen side's value
   * in each resolved column (a value without a column: a JSON object gives columns their values, anything
   * else is every conflicting column's value), so edits made during the merge stay. A {@code constraint_violation}
   * takes a value only ({@link #unfitForViolations}): an object over the current row, null for none, or one field's,
   * and is resolved once written (the overlay holds the write to the check). An image always keeps the conflict's
   * key.
   */
  String createResolution() {
    String side = "(case $3 when 'ours' then c.ours when 'theirs' then c.theirs when 'base' then c.base end)";
    return fill("""
        create temporary table {resolution} on commit drop as
        select x.key, case when x.image is null then null else x.image || {key_object} end as image, x.fields
        from (
          select c.key,
                 case when c.kind = 'constraint_violation' and $2::text is not null
                        then jsonb_set(cur.row, array[$2::text], $4::text::jsonb)
                      when c.kind = 'constraint_violation'
                        then case when $4::text::jsonb = 'null'::jsonb then null else cur.row || $4::text::jsonb end
                      when {row_level} or c.kind = 'add_add' and $2::text is null
                        then case when $3 = 'value' then nullif($4::text::jsonb, 'null'::jsonb) else {side} end
                      when $3 = 'value' and $2::text is null and jsonb_typeof($4::text::jsonb) = 'object'
                        then cur.row || $4::text::jsonb
                      when $3 = 'value' and $2::text is null
                        then cur.row || (select jsonb_object_agg(f, $4::text::jsonb) from unnest(c.fields) f)
                      when $3 = 'value' then jsonb_set(cur.row, array[$2::text], $4::text::jsonb)
                      else cur.row || coalesce((select jsonb_object_agg(f, {side} -> f) from unnest(c.fields) f
                                                where $2::text is null or f = $2), '{}'::jsonb)
                 end as image,
                 case when $2::text is null or {row_level} or c.kind = 'constraint_violation' then array[]::text[]
                      else array_remove(c.fields, $2) end as fields
          from {conflicts} c
          cross join lateral jsonb_populate_record(null::{row_type}, {key_object_c}) kr
          left join lateral (select to_jsonb(x.*) as row from {state} x where {key_match} limit 1) cur on true
          where ($1::text::jsonb is null or c.key = $1::text::jsonb) and ($2::text is null or $2 = any(c.fields))
        ) x order by x.key""",
        "resolution", resolution(), "key_object", s.keyObject("x.key"), "row_level", ROW_LEVEL, "side", side,
        "conflicts", m.conflicts(), "table", s.table(), "row_type", s.rowType(), "key_object_c", s.keyObject("c.key"), "state", s.state(),
        "key_match", s.keyMatch("x", "kr"));
  }

  /**
   * How many {@code constraint_violation} conflicts the resolution ($1 key, $2 field, $3 take, $4 value, as {@link
   * #createResolution}) would resolve otherwise than with values (refused): a side's row would fail the check again
   * (ours is the row that fails it; the source never had it), so the client gives the row's new values — an object
   * over its current ones, or null to delete it — or one field's.
   */
  String unfitForViolations() {
    return fill("""
        select count(*) from {conflicts} c
        where c.kind = 'constraint_violation' and ($1::text::jsonb is null or c.key = $1::text::jsonb)
          and ($2::text is null or $2 = any(c.fields))
          and ($3 <> 'value' or $2::text is null and jsonb_typeof($4::text::jsonb) not in ('object', 'null'))""",
        "conflicts", m.conflicts());
  }

  /** How many rows of the resolution are row-level conflicts resolved on one column only (refused). */
  String partialRowLevel() {
    return fill("select count(*) from {resolution} r join {conflicts} c on c.key = r.key where $1::text is not null and "
        + ROW_LEVEL, "resolution", resolution(), "conflicts", m.conflicts());
  }

  /** The resolution's rows to write. */
  String createResolvedImages() {
    return "drop table if exists " + m.images() + ";" + m.createImages("select key, image from " + resolution());
  }

  /**
   * Records what the resolution wrote (an abort puts those rows back too), forgets resolved conflicts,
   * and keeps the rest with their columns left.
   */
  String settleResolution() {
    return fill("""
        insert into {written} (key, ours, merged) select r.key, c.ours, r.image from {resolution} r
          join {conflicts} c on c.key = r.key
          on conflict (key) do update set merged = excluded.merged;
        delete from {conflicts} c using {resolution} r where c.key = r.key and cardinality(r.fields) = 0;
        update {conflicts} c set merged = r.image, fields = r.fields from {resolution} r
          where c.key = r.key and cardinality(r.fields) > 0""",
        "written", m.written(), "conflicts", m.conflicts(), "resolution", resolution());
  }

  /**
   * The rows an abort writes: ours, for every key the merge (or a resolution) wrote whose current row
   * is still the one written. A row changed since (an application's write to the table, an edit through
   * the branch's view) is someone's later work: it stays.
   */
  String createAbortImages() {
    return m.createPutBackImages(m.written());
  }

  /** How many rows the merge wrote changed since (they stay as working changes), after {@link #createAbortImages}. */
  String changedSinceMerge() {
    return fill("select (select count(*) from {written}) - (select count(*) from {images})",
        "written", m.written(), "images", m.images());
  }

  /** Forgets the working changes of the keys an abort put back: they are at the branch's head again. */
  String forgetAbortedChanges() {
    return fill("delete from {working_log} l using {images} i where {key_match}",
        "working_log", s.workingLog(), "images", m.images(), "key_match", s.keyMatch("l", "i"));
  }
}
