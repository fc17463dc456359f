package io.strata.projections.overlay;

import static io.strata.projections.overlay.SqlTemplate.fill;

import io.strata.projections.postgres.Sql;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The statements of a three-way merge of one table into a branch (see {@link PgMerges}). Each side is
 * the change sets from the merge base ({@link OverlaySql#side}); only keys the source (theirs) changed
 * are compared, so the cost is O(rows changed on the two sides), and a key only the source changed
 * takes the source's row without comparing fields. Keys both sides changed go through
 * {@code strata.merge_images} (the field-level truth table, {@link LayoutSql#MERGE_FUNCTION}).
 */
final class MergeSql {
  private final OverlaySql s;

  /** @param table the table as the target branch sees it */
  MergeSql(OverlaySql table) {
    this.s = table;
  }

  /** The plan of a merge: per key the source changed, base, ours, theirs and merged images, and any conflict. */
  String plan() {
    return Sql.quote("strata_merge_" + s.tableId());
  }

  /** The rows a merge or a resolution writes, in the shape of a batch ({@code __o}, then T's columns). */
  String images() {
    return Sql.quote("strata_merged_" + s.tableId());
  }

  /** The conflicts a merge in progress keeps, until they are resolved or the merge ends. */
  String conflicts() {
    return OverlaySql.SCHEMA + "." + Sql.quote(s.tableId() + "__x_" + (s.isDefaultBranch() ? "0" : s.bid()));
  }

  /**
   * Creates the plan from the sides' change sets ($1 ours, $2 theirs; text arrays, oldest first). A key
   * only theirs changed takes theirs; a key both changed is merged field by field, conflicts keeping
   * ours. Keys where nothing is to be written and nothing conflicts are left out.
   *
   * @param jsonColumns the table's jsonb columns, merged key by key
   */
  String createPlan(List<String> jsonColumns) {
    String json = jsonColumns.stream().map(OverlaySql::literal).collect(Collectors.joining(", ", "array[", "]::text[]"));
    return fill("""
        create temporary table {plan} on commit drop as
        select * from (
          select j.key, j.base, j.ours, j.theirs,
                 case when j.both_sides then m.merged else j.theirs end as merged,
                 m.kind, coalesce(m.fields, array[]::text[]) as fields, null::text as refused_by
          from (select t.key, coalesce(o.fb, t.fb) as base,
                       case when o.key is not null then o.la else t.fb end as ours, t.la as theirs,
                       o.key is not null as both_sides
                from {theirs_side} t left join {ours_side} o on o.key = t.key) j
          left join lateral (select * from strata.merge_images(j.base, j.ours, j.theirs, {json})
                             where j.both_sides) m on true) p
        where p.merged is distinct from p.ours or p.kind is not null""",
        "plan", plan(), "theirs_side", s.side("$2"), "ours_side", s.side("$1"), "json", json);
  }

  /** Statistics of the plan, for the statements that join it. */
  String analyzePlan() {
    return "analyze " + plan();
  }

  /** Settles every conflict of the plan to theirs: the conflicting columns, or the whole row. */
  String takeTheirs() {
    return fill("""
        update {plan} set merged = case when kind = 'modify_modify'
            then merged || (select jsonb_object_agg(f, theirs -> f) from unnest(fields) f) else theirs end
        where kind is not null""", "plan", plan());
  }

  /**
   * What the plan does to the target: rows inserted, updated and deleted, conflicts, and the SHA-256 of
   * the conflicts' canonical form (one line per conflicting row, sorted by key).
   */
  String summarize() {
    return fill("""
        select count(*) filter (where ours is null and merged is not null),
               count(*) filter (where ours is not null and merged is not null and merged <> ours),
               count(*) filter (where ours is not null and merged is null),
               count(*) filter (where kind is not null),
               encode(sha256(convert_to(coalesce(string_agg(key::text || ' ' || kind || ' ' || coalesce(base::text, '-')
                 || ' ' || coalesce(ours::text, '-') || ' ' || coalesce(theirs::text, '-') || ' '
                 || array_to_string(fields, ','), E'\\n' order by key::text collate "C")
                 filter (where kind is not null), ''), 'UTF8')), 'hex')
        from {plan}""", "plan", plan());
  }

  /**
   * Conflicting rows of {@code relation} (the plan, or the kept conflicts) in key order, at most $1:
   * key, kind, and per conflicting column its base, ours and theirs values (a JSON array).
   */
  String conflictRows(String relation) {
    return fill("""
        select p.key::text, p.kind, p.refused_by,
               coalesce((select jsonb_agg(jsonb_build_object('name', f, 'base', p.base -> f, 'ours', p.ours -> f,
                                          'theirs', p.theirs -> f) order by f)
                         from unnest(p.fields) f), '[]'::jsonb)::text
        from {relation} p where p.kind is not null order by p.key""", "relation", relation);
  }

  /** Rows of the batch's shape from {@code source} (key, image: a JSON row or null for none). */
  private String createImages(String source) {
    return fill("""
        create temporary table {images} on commit drop as
        select case when x.image is null then 'd' else 'u' end as __o, r.*
        from ({source}) x, lateral jsonb_populate_record(null::{table}, coalesce(x.image, {key_object})) r""",
        "images", images(), "source", source, "table", s.table(), "key_object", s.keyObject("x.key"));
  }

  /** Where {@link #applyGuarded} puts a key (as a quoted literal) in a statement written for one row. */
  private static final String KEY_MARK = "__strata_merge_key__";

  /**
   * Writes the plan's rows ({@code writeAll}: statements over {@link #images()}, made by {@code create}
   * from a source of key and image) in one set-wise write; if the table refuses one of them (an integrity
   * constraint: NOT NULL, CHECK, UNIQUE, a foreign key), that write is undone and the rows are written one
   * at a time, each refused row becoming a {@code constraint} conflict that keeps ours, with the
   * constraint's name, the database's message and the constraint's columns. One DO block whose
   * exception handlers are subtransactions: a refusal never fails the caller's transaction.
   */
  String applyGuarded(String writeAll) {
    String all = "drop table if exists " + images() + ";" + createImages(fill(
        "select key, merged as image from {plan} where merged is distinct from ours", "plan", plan())) + ";" + writeAll;
    String one = "drop table if exists " + images() + ";" + createImages(fill(
        "select key, merged as image from {plan} where key = {mark}::jsonb", "plan", plan(), "mark", KEY_MARK))
        + ";" + writeAll;
    return fill("""
        do $strata_apply$
        declare k text; c text; col text; msg text; cols text[];
        begin
          begin
            execute {all};
          exception when integrity_constraint_violation then
            for k in select key::text from {plan} where merged is distinct from ours order by key loop
              begin
                execute replace({one}, {mark_literal}, quote_literal(k));
              exception when integrity_constraint_violation then
                get stacked diagnostics c = constraint_name, col = column_name, msg = message_text;
                select array_agg(a.attname::text order by a.attnum) into cols
                from pg_constraint x join pg_attribute a on a.attrelid = x.conrelid and a.attnum = any(x.conkey)
                where x.conname = c and x.conrelid = {table_literal}::regclass;
                update {plan} set kind = 'constraint', merged = ours,
                  refused_by = case when c <> '' then c || ': ' else '' end || msg,
                  fields = coalesce(cols, case when col <> '' then array[col] else array[]::text[] end)
                where key = k::jsonb;
              end;
            end loop;
          end;
        end $strata_apply$""",
        "all", OverlaySql.literal(all), "plan", plan(), "one", OverlaySql.literal(one),
        "mark_literal", OverlaySql.literal(KEY_MARK), "table_literal", OverlaySql.literal(s.table()));
  }

  /** Keeps the plan's conflicts (with the merged row each one wrote) for the merge in progress. */
  String keepConflicts() {
    return fill("""
        drop table if exists {conflicts};
        create table {conflicts} (key jsonb primary key, kind text not null, base jsonb, ours jsonb, theirs jsonb,
          merged jsonb, fields text[] not null, refused_by text);
        insert into {conflicts} select key, kind, base, ours, theirs, merged, fields, refused_by from {plan}
          where kind is not null order by key""", "conflicts", conflicts(), "plan", plan());
  }

  /**
   * The read-only view {@code viewSchema.viewName} of the kept conflicts, as SQL tools read Dolt's
   * {@code dolt_conflicts_<table>}: the key's columns, the conflict's kind, the conflicting columns,
   * and per column of the table its base_, ours_ and theirs_ value.
   */
  String createConflictsView(String viewSchema, String viewName) {
    String sides = s.columns().stream()
        .flatMap(c -> List.of("base", "ours", "theirs").stream()
            .map(side -> side.charAt(0) + "." + Sql.quote(c) + " as " + Sql.quote(side + "_" + c)))
        .collect(Collectors.joining(", "));
    return fill("""
        create schema if not exists {schema};
        create or replace view {view} as
        select {key_k}, c.kind as conflict_type, c.fields as conflicting_columns, {sides}
        from {conflicts} c
        cross join lateral jsonb_populate_record(null::{table}, {key_object}) k
        cross join lateral jsonb_populate_record(null::{table}, c.base) b
        cross join lateral jsonb_populate_record(null::{table}, c.ours) o
        cross join lateral jsonb_populate_record(null::{table}, c.theirs) t""",
        "schema", Sql.quote(viewSchema), "view", Sql.qualified(viewSchema, viewName), "key_k", s.keyList("k"),
        "sides", sides, "conflicts", conflicts(), "table", s.table(), "key_object", s.keyObject("c.key"));
  }

  /** Drops the kept conflicts and their view (and the view's schema when it holds nothing else). */
  String dropConflicts(String viewSchema, String viewName) {
    return fill("""
        drop view if exists {view};
        drop table if exists {conflicts};
        """, "view", Sql.qualified(viewSchema, viewName), "conflicts", conflicts())
        + BranchObjectsSql.dropSchemaIfEmpty(viewSchema);
  }

  /** How many kept conflicts are left. */
  String remaining() {
    return "select count(*) from " + conflicts();
  }

  private static final String ROW_LEVEL = "c.kind in ('delete_modify', 'modify_delete')";

  /**
   * Resolves the kept conflicts of key $1 (a JSON array; null: all) on column $2 (null: every
   * conflicting one), taking $3 ('ours', 'theirs', 'base' or 'value': $4, JSON): per row the image to
   * write and the columns left in conflict. A row-level conflict (a delete against a change, or an
   * add_add resolved whole) takes the chosen side's row (a value: a JSON object is the row, null none);
   * otherwise the merged row takes the chosen side's value in each resolved column (a value without a
   * column: a JSON object gives columns their values, anything else is every conflicting column's value).
   */
  String createResolution() {
    String side = "(case $3 when 'ours' then c.ours when 'theirs' then c.theirs when 'base' then c.base end)";
    return fill("""
        create temporary table {resolution} on commit drop as
        select c.key,
               case when {row_level} or c.kind = 'add_add' and $2::text is null
                      then case when $3 = 'value' then nullif($4::text::jsonb, 'null'::jsonb) else {side} end
                    when $3 = 'value' and $2::text is null and jsonb_typeof($4::text::jsonb) = 'object'
                      then c.merged || $4::text::jsonb
                    when $3 = 'value' and $2::text is null
                      then c.merged || (select jsonb_object_agg(f, $4::text::jsonb) from unnest(c.fields) f)
                    when $3 = 'value' then jsonb_set(c.merged, array[$2::text], $4::text::jsonb)
                    else c.merged || coalesce((select jsonb_object_agg(f, {side} -> f) from unnest(c.fields) f
                                               where $2::text is null or f = $2), '{}'::jsonb)
               end as image,
               case when $2::text is null or {row_level} then array[]::text[] else array_remove(c.fields, $2) end as fields
        from {conflicts} c
        where ($1::text::jsonb is null or c.key = $1::text::jsonb) and ($2::text is null or $2 = any(c.fields))
        order by c.key""",
        "resolution", resolution(), "row_level", ROW_LEVEL, "side", side, "conflicts", conflicts());
  }

  String resolution() {
    return Sql.quote("strata_resolution_" + s.tableId());
  }

  /** How many rows of the resolution are row-level conflicts resolved on one column only (refused). */
  String partialRowLevel() {
    return fill("select count(*) from {resolution} r join {conflicts} c on c.key = r.key where $1::text is not null and "
        + ROW_LEVEL, "resolution", resolution(), "conflicts", conflicts());
  }

  /** The resolution's rows to write. */
  String createResolvedImages() {
    return createImages("select key, image from " + resolution());
  }

  /** Forgets resolved conflicts; keeps the rest with their new merged row and columns left. */
  String settleResolution() {
    return fill("""
        delete from {conflicts} c using {resolution} r where c.key = r.key and cardinality(r.fields) = 0;
        update {conflicts} c set merged = r.image, fields = r.fields from {resolution} r
          where c.key = r.key and cardinality(r.fields) > 0""", "conflicts", conflicts(), "resolution", resolution());
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
        "from_source", fromSourceTable(), "ours_side", s.side("$1"), "theirs_side", s.side("$2"),
        "changes", s.changes());
  }

  String fromSourceTable() {
    return Sql.quote("strata_from_source_" + s.tableId());
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
