package io.strata.projections.overlay;

import static io.strata.projections.overlay.SqlTemplate.fill;

import io.strata.projections.postgres.Sql;
import io.strata.projections.postgres.TableCatalog;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The statements of a three-way merge of one table into a branch (see {@link PgMerges}). Each side is
 * the change sets from the merge base ({@link OverlaySql#side}); only keys the source (theirs) changed
 * are compared, so the cost is O(rows changed on the two sides), and a key only the source changed
 * takes the source's row without comparing fields. Keys both sides changed go through
 * {@code strata.merge_images} (the field-level truth table, {@link LayoutSql#MERGE_FUNCTION}).
 *
 * <p>Temporary tables are named in {@code pg_temp}, so that dropping one never reaches a user's table.
 */
final class MergeSql {
  /** Kinds of conflict resolved by taking one side's whole row. */
  private static final String ROW_LEVEL = "c.kind in ('delete_modify', 'modify_delete', 'constraint')";

  private final OverlaySql s;

  /** @param table the table as the target branch sees it */
  MergeSql(OverlaySql table) {
    this.s = table;
  }

  private String temporary(String name) {
    return "pg_temp." + Sql.quote(name + "_" + s.tableId());
  }

  /** The plan of a merge: per key the source changed, base, ours, theirs and merged images, and any conflict. */
  String plan() {
    return temporary("strata_merge");
  }

  /** The rows a merge, a resolution or an abort writes, in the shape of a batch ({@code __o}, then T's columns). */
  String images() {
    return temporary("strata_merged");
  }

  String resolution() {
    return temporary("strata_resolution");
  }

  String fromSourceTable() {
    return temporary("strata_from_source");
  }

  private String suffix() {
    return s.isDefaultBranch() ? "0" : s.bid();
  }

  /** The conflicts a merge in progress keeps, until they are resolved or the merge ends. */
  String conflicts() {
    return OverlaySql.SCHEMA + "." + Sql.quote(s.tableId() + "__x_" + suffix());
  }

  /**
   * What a merge in progress wrote (or a resolution since): per key, ours (the row before) and the row
   * written, so that an abort puts back the rows that are still as the merge left them, and no other.
   */
  String written() {
    return OverlaySql.SCHEMA + "." + Sql.quote(s.tableId() + "__xk_" + suffix());
  }

  /**
   * Creates the plan from the sides' change sets ($1 ours, $2 theirs; text arrays, oldest first): a row
   * per key theirs changed. A key only theirs changed takes theirs; a key both changed is merged field by
   * field, conflicts keeping ours. {@code settled} marks conflicts a strategy resolved to one side.
   *
   * @param jsonColumns the table's jsonb columns, merged key by key
   * @param derivedColumns the table's stored generated columns, not compared (computed when written)
   * @param oursSingle whether ours is one change set at most (likewise {@code theirsSingle})
   */
  String createPlan(List<String> jsonColumns, List<String> derivedColumns, boolean oursSingle, boolean theirsSingle) {
    return createPlan(jsonColumns, derivedColumns, s.side("$1", oursSingle), s.side("$2", theirsSingle));
  }

  /**
   * The same where the base is not an ancestor of each side (a revert's, a cherry-pick's): each side
   * from the base through the merge base of the two ({@link OverlaySql#sideBetween}): $1 ours' change
   * sets to redo, $2 theirs', $3 ours' to undo, $4 theirs'.
   */
  String createPlanBetween(List<String> jsonColumns, List<String> derivedColumns) {
    return createPlan(jsonColumns, derivedColumns, s.sideBetween("$3", "$1"), s.sideBetween("$4", "$2"));
  }

  /**
   * The plan's statement. {@code offset 0} keeps {@code j.both_sides} a one-time filter of the lateral
   * subquery, so {@code strata.merge_images} runs only for keys both sides changed; pulled up, the
   * condition became a join filter tested after calling the function for every key theirs changed
   * (half the plan's time on a merge of 100K rows only theirs changed).
   */
  private String createPlan(List<String> jsonColumns, List<String> derivedColumns, String oursSide, String theirsSide) {
    String json = jsonColumns.stream().map(OverlaySql::literal).collect(Collectors.joining(", ", "array[", "]::text[]"));
    String derived = derivedColumns.stream().map(OverlaySql::literal)
        .collect(Collectors.joining(", ", "array[", "]::text[]"));
    return fill("""
        create temporary table {plan} on commit drop as
        select j.key, j.base, j.ours, j.theirs,
               case when j.both_sides then m.merged else j.theirs end as merged,
               m.kind, coalesce(m.fields, array[]::text[]) as fields, null::text as refused_by, false as settled
        from (select t.key, coalesce(o.fb, t.fb) as base,
                     case when o.key is not null then o.la else t.fb end as ours, t.la as theirs,
                     o.key is not null as both_sides
              from {theirs_side} t left join {ours_side} o on o.key = t.key) j
        left join lateral (select * from strata.merge_images(j.base, j.ours, j.theirs, {json}, {derived})
                           where j.both_sides offset 0) m on true""",
        "plan", plan(), "theirs_side", theirsSide, "ours_side", oursSide, "json", json,
        "derived", derived);
  }

  /**
   * Whether writing the table may change rows other than those written (a user's trigger of any kind, a
   * foreign key referencing it with an action such as ON DELETE CASCADE): then a merge writes with the
   * capture on, so that whatever else changes is recorded as working changes.
   */
  String writesMayReachOtherRows() {
    return fill("""
        select exists (select from pg_trigger where tgrelid = {table_literal}::regclass and not tgisinternal
                       and left(tgname, {prefix_length}) <> {prefix})
            or exists (select from pg_constraint where confrelid = {table_literal}::regclass and contype = 'f'
                       and (confdeltype not in ('a', 'r') or confupdtype not in ('a', 'r')))""",
        "table_literal", OverlaySql.literal(s.table()),
        "prefix", OverlaySql.literal("strata_" + s.tableId() + "_"),
        "prefix_length", String.valueOf(("strata_" + s.tableId() + "_").length()));
  }

  /** The table's stored generated columns. */
  String generatedColumnNames() {
    return fill("""
        select coalesce(array_agg(attname::text order by attnum), array[]::text[]) from pg_attribute
        where attrelid = {table_literal}::regclass and attgenerated = 's' and not attisdropped""",
        "table_literal", OverlaySql.literal(s.table()));
  }

  /** Settles every conflict of the plan to theirs: the conflicting columns, or the whole row. */
  String takeTheirs() {
    return fill("""
        update {plan} set settled = true, merged = case when kind = 'modify_modify'
            then merged || (select jsonb_object_agg(f, theirs -> f) from unnest(fields) f) else theirs end
        where kind is not null""", "plan", plan());
  }

  /** Settles every conflict of the plan to ours (the merged row keeps ours already). */
  String takeOurs() {
    return "update " + plan() + " set settled = true where kind is not null";
  }

  /**
   * What the plan does to the target: rows inserted, updated and deleted, conflicts, those left
   * unsettled, and the SHA-256 of the conflicts' canonical form (one line per conflicting row, by key).
   */
  String summarize() {
    return fill("""
        select count(*) filter (where ours is null and merged is not null),
               count(*) filter (where ours is not null and merged is not null and merged <> ours),
               count(*) filter (where ours is not null and merged is null),
               count(*) filter (where kind is not null),
               count(*) filter (where kind is not null and not settled),
               encode(sha256(convert_to(coalesce(string_agg(key::text || ' ' || kind || ' ' || coalesce(base::text, '-')
                 || ' ' || coalesce(ours::text, '-') || ' ' || coalesce(theirs::text, '-') || ' '
                 || array_to_string(fields, ','), E'\\n' order by key::text collate "C")
                 filter (where kind is not null), ''), 'UTF8')), 'hex')
        from {plan}""", "plan", plan());
  }

  /**
   * Conflicting rows of {@code relation} (the plan, or the kept conflicts) in key order: key, kind,
   * what refused a {@code constraint} conflict, and per conflicting column its base, ours and theirs
   * values (a JSON array).
   */
  String conflictRows(String relation) {
    return fill("""
        select p.key::text, p.kind, p.refused_by,
               coalesce((select jsonb_agg(jsonb_build_object('name', f, 'base', p.base -> f, 'ours', p.ours -> f,
                                          'theirs', p.theirs -> f) order by f)
                         from unnest(p.fields) f), '[]'::jsonb)::text
        from {relation} p where p.kind is not null order by p.key""", "relation", relation);
  }

  /**
   * Rows of the batch's shape from {@code source} (key, image: a JSON row or null for none), analyzed:
   * a temporary table has no statistics otherwise, and the writes that join it with the overlay were
   * planned for a handful of rows (a nested loop comparing every row with every other: 220 ms for the
   * 1 000 rows of a rebased commit, against 3 ms with the statistics).
   */
  private String createImages(String source) {
    return fill("""
        create temporary table {images} on commit drop as
        select case when x.image is null then 'd' else 'u' end as __o, r.*
        from ({source}) x, lateral jsonb_populate_record(null::{table}, coalesce(x.image, {key_object})) r;
        analyze {images}""",
        "images", images(), "source", source, "table", s.table(), "key_object", s.keyObject("x.key"));
  }

  /** Fills the images table {@link #createImages} made with the rows of {@code source}. */
  private String refillImages(String source) {
    return fill("""
        delete from {images};
        insert into {images}
        select case when x.image is null then 'd' else 'u' end as __o, r.*
        from ({source}) x, lateral jsonb_populate_record(null::{table}, coalesce(x.image, {key_object})) r""",
        "images", images(), "source", source, "table", s.table(), "key_object", s.keyObject("x.key"));
  }

  /** Where {@link #applyGuarded} puts a key (as a quoted literal) in a statement written for one row. */
  private static final String KEY_MARK = "__strata_merge_key__";

  /**
   * Writes the plan's rows ({@code writeAll}: statements over {@link #images()}) in one set-wise write;
   * if the table refuses one of them (an integrity constraint: NOT NULL, CHECK, UNIQUE, a foreign key),
   * that write is undone and the rows are written one at a time, each refused row becoming a {@code
   * constraint} conflict that keeps ours, with the constraint's name, the database's message and the
   * constraint's columns. One DO block whose exception handlers are subtransactions: a refusal never
   * fails the caller's transaction; the row-at-a-time path reuses one images table, so it creates no
   * relation per row.
   */
  String applyGuarded(String writeAll) {
    String planned = fill("select key, merged as image from {plan} where merged is distinct from ours", "plan", plan());
    String all = "drop table if exists " + images() + ";" + createImages(planned) + ";" + writeAll;
    String empty = "drop table if exists " + images() + ";" + createImages(planned + " limit 0");
    String one = refillImages(fill("select key, merged as image from {plan} where key = {mark}::jsonb",
        "plan", plan(), "mark", KEY_MARK)) + ";" + writeAll;
    return fill("""
        do $strata_apply$
        declare k text; c text; col text; msg text; cols text[];
        begin
          begin
            execute {all};
          exception when integrity_constraint_violation then
            execute {empty};
            for k in select key::text from {plan} where merged is distinct from ours order by key loop
              begin
                execute replace({one}, {mark_literal}, quote_literal(k));
              exception when integrity_constraint_violation then
                get stacked diagnostics c = constraint_name, col = column_name, msg = message_text;
                select array_agg(a.attname::text order by a.attnum) into cols
                from pg_constraint x join pg_attribute a on a.attrelid = x.conrelid and a.attnum = any(x.conkey)
                where x.conname = c and x.conrelid = {table_literal}::regclass;
                update {plan} set kind = 'constraint', merged = ours, settled = false,
                  refused_by = case when c <> '' then c || ': ' else '' end || msg,
                  fields = coalesce(cols, case when col <> '' then array[col] else array[]::text[] end)
                where key = k::jsonb;
              end;
            end loop;
          end;
        end $strata_apply$""",
        "all", OverlaySql.literal(all), "empty", OverlaySql.literal(empty), "plan", plan(),
        "one", OverlaySql.literal(one), "mark_literal", OverlaySql.literal(KEY_MARK),
        "table_literal", OverlaySql.literal(s.table()));
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
        from {plan} p, lateral jsonb_populate_record(null::{table}, coalesce(p.ours, {key_object})) r
        where p.merged is distinct from p.ours order by {key_r}{log_upsert}""",
        "working_log", s.workingLog(), "columns", OverlaySql.list(s.columns(), null),
        "columns_r", OverlaySql.list(s.columns(), "r"), "plan", plan(), "table", s.table(),
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
                     case when p.ours is not null then jsonb_populate_record(null::{table}, p.ours)::text end
                       as __before_text
              from {plan} p
              {current_row}
              where p.merged is distinct from p.ours
              offset 0) x""",
        "capture", capture, "after_hash", TableCatalog.rowHash("x.__after_text"),
        "before_hash", TableCatalog.rowHash("x.__before_text"),
        "present", fromImages ? "p.merged is not null" : s.present("t"),
        "after_image", fromImages ? "p.merged" : "to_jsonb(t.*)",
        "after_text", fromImages ? "jsonb_populate_record(null::" + s.table() + ", p.merged)::text" : "(t.*)::text",
        "table", s.table(), "plan", plan(),
        "current_row", fromImages ? "" : "cross join lateral jsonb_populate_record(null::" + s.table() + ", "
            + s.keyObject("p.key") + ") k " + currentRowOfKey("k"));
  }

  /**
   * Whether the rows the merge wrote are exactly its plan's merged rows, so {@link #captureWritten} may
   * take them from the plan rather than read them from the table: every row went
   * in one set-wise write (no constraint conflict), and on the default branch the table changes no row
   * it is given (no row trigger of its own before writes, no stored generated column). A branch's
   * overlay is written the images as they are (its generated columns computed in them).
   */
  String imagesAreTheRows() {
    String plan = fill("not exists (select from {plan} where kind = 'constraint')", "plan", plan());
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
   * A left join of the branch's current row of the key in {@code k} (a record of the table's type) as
   * {@code t}. On the default branch with a one-column key, one index scan takes the written keys
   * together ({@code = any}) and a hash join matches them: a third of the cost of a probe per key.
   */
  private String currentRowOfKey(String k) {
    if (!s.isDefaultBranch() || s.key().size() > 1) {
      return fill("left join lateral (select * from {state} x where {key_match} limit 1) t on true",
          "state", s.state(), "key_match", s.keyMatch("x", k));
    }
    String key = Sql.quote(s.key().get(0));
    return fill("""
        left join (select * from {table} x where x.{key} = any(array(
                     select (jsonb_populate_record(null::{table}, {key_object})).{key} from {plan} p2
                     where p2.merged is distinct from p2.ours))) t on t.{key} = {k}.{key}""",
        "table", s.table(), "key", key, "key_object", s.keyObject("p2.key"), "plan", plan(), "k", k);
  }

  /**
   * Makes the plan's merged rows the rows as written (captured in {@code capture}): where the table
   * computed something of its own (a generated column, a trigger), the change set from the source must
   * lead to the row as stored.
   */
  String mergedAsCaptured(String capture) {
    return fill("""
        update {plan} p set merged = c.__after from {capture} c
        where c.__key = p.key and c.__after is distinct from p.merged""", "plan", plan(), "capture", capture);
  }

  /** The same from the branch's current rows, for a merge that stops ({@link #keep}). */
  String mergedAsStored() {
    return fill("""
        update {plan} p set merged = x.stored from (
          select p.key, case when {present} then to_jsonb({after_row}) end as stored
          from {plan} p
          cross join lateral jsonb_populate_record(null::{table}, {key_object}) k
          {current_row}
          where p.merged is distinct from p.ours) x
        where x.key = p.key and x.stored is distinct from p.merged""",
        "plan", plan(), "present", s.present("t"), "after_row", "t.*", "table", s.table(),
        "key_object", s.keyObject("p.key"), "current_row", currentRowOfKey("k"));
  }

  /**
   * Forgets the working-log rows of the keys the merge wrote: they held changes that came back to where
   * they were (the branch was clean), and the merge commit takes the keys as they are now.
   */
  String forgetWrittenLog() {
    return fill("""
        delete from {working_log} w using (
          select k.* from {plan} p, lateral jsonb_populate_record(null::{table}, {key_object}) k
          where p.merged is distinct from p.ours) k
        where {key_match}""",
        "working_log", s.workingLog(), "plan", plan(), "table", s.table(), "key_object", s.keyObject("p.key"),
        "key_match", s.keyMatch("w", "k"));
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
        "conflicts", conflicts(), "written", written(), "plan", plan());
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
        create view {view} as
        select {key_k}, c.kind as conflict_type, c.fields as conflicting_columns, c.refused_by, {sides}
        from {conflicts} c
        cross join lateral jsonb_populate_record(null::{table}, {key_object}) k
        cross join lateral jsonb_populate_record(null::{table}, c.base) b
        cross join lateral jsonb_populate_record(null::{table}, c.ours) o
        cross join lateral jsonb_populate_record(null::{table}, c.theirs) t""",
        "schema", Sql.quote(viewSchema), "view", Sql.qualified(viewSchema, viewName), "key_k", s.keyList("k"),
        "sides", sides, "conflicts", conflicts(), "table", s.table(), "key_object", s.keyObject("c.key"));
  }

  /**
   * Whether relation $1 (qualified) is this table's conflicts view: a view reading {@link #conflicts()}
   * (false also when there is no such relation).
   */
  String isConflictsView() {
    return fill("""
        select exists (select 1 from pg_depend d join pg_rewrite r on r.oid = d.objid
                       where r.ev_class = to_regclass($1) and d.refobjid = to_regclass({conflicts_literal}))""",
        "conflicts_literal", OverlaySql.literal(conflicts()));
  }

  /** Empties what a merge in progress kept: it ended. */
  String forget() {
    return fill("""
        do $strata_f$ begin
          if to_regclass({conflicts_literal}) is not null then delete from {conflicts}; end if;
          if to_regclass({written_literal}) is not null then delete from {written}; end if;
        end $strata_f$""",
        "conflicts_literal", OverlaySql.literal(conflicts()), "conflicts", conflicts(),
        "written_literal", OverlaySql.literal(written()), "written", written());
  }

  /** How many kept conflicts are left. */
  String remaining() {
    return "select count(*) from " + conflicts();
  }

  /**
   * Resolves the kept conflicts of key $1 (a JSON array; null: all) on column $2 (null: every
   * conflicting one), taking $3 ('ours', 'theirs', 'base' or 'value': $4, JSON): per row the image to
   * write and the columns left in conflict. A row-level conflict (a delete against a change, a row the
   * table refused, or an add_add resolved whole) takes the chosen side's row (a value: a JSON object of
   * the row's columns, null for none). Otherwise the branch's current row takes the chosen side's value
   * in each resolved column (a value without a column: a JSON object gives columns their values, anything
   * else is every conflicting column's value), so edits made during the merge stay. An image always keeps
   * the conflict's key.
   */
  String createResolution() {
    String side = "(case $3 when 'ours' then c.ours when 'theirs' then c.theirs when 'base' then c.base end)";
    return fill("""
        create temporary table {resolution} on commit drop as
        select x.key, case when x.image is null then null else x.image || {key_object} end as image, x.fields
        from (
          select c.key,
                 case when {row_level} or c.kind = 'add_add' and $2::text is null
                        then case when $3 = 'value' then nullif($4::text::jsonb, 'null'::jsonb) else {side} end
                      when $3 = 'value' and $2::text is null and jsonb_typeof($4::text::jsonb) = 'object'
                        then cur.row || $4::text::jsonb
                      when $3 = 'value' and $2::text is null
                        then cur.row || (select jsonb_object_agg(f, $4::text::jsonb) from unnest(c.fields) f)
                      when $3 = 'value' then jsonb_set(cur.row, array[$2::text], $4::text::jsonb)
                      else cur.row || coalesce((select jsonb_object_agg(f, {side} -> f) from unnest(c.fields) f
                                                where $2::text is null or f = $2), '{}'::jsonb)
                 end as image,
                 case when $2::text is null or {row_level} then array[]::text[] else array_remove(c.fields, $2) end as fields
          from {conflicts} c
          cross join lateral jsonb_populate_record(null::{table}, {key_object_c}) kr
          left join lateral (select to_jsonb(x.*) as row from {state} x where {key_match} limit 1) cur on true
          where ($1::text::jsonb is null or c.key = $1::text::jsonb) and ($2::text is null or $2 = any(c.fields))
        ) x order by x.key""",
        "resolution", resolution(), "key_object", s.keyObject("x.key"), "row_level", ROW_LEVEL, "side", side,
        "conflicts", conflicts(), "table", s.table(), "key_object_c", s.keyObject("c.key"), "state", s.state(),
        "key_match", s.keyMatch("x", "kr"));
  }

  /** How many rows of the resolution are row-level conflicts resolved on one column only (refused). */
  String partialRowLevel() {
    return fill("select count(*) from {resolution} r join {conflicts} c on c.key = r.key where $1::text is not null and "
        + ROW_LEVEL, "resolution", resolution(), "conflicts", conflicts());
  }

  /** The resolution's rows to write. */
  String createResolvedImages() {
    return "drop table if exists " + images() + ";" + createImages("select key, image from " + resolution());
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
        "written", written(), "conflicts", conflicts(), "resolution", resolution());
  }

  /**
   * The rows an abort writes: ours, for every key the merge (or a resolution) wrote whose current row
   * is still the one written. A row changed since (an application's write to the table, an edit through
   * the branch's view) is someone's later work: it stays.
   */
  String createAbortImages() {
    return createPutBackImages(written());
  }

  /** {@link #createAbortImages} for the rows in {@code written} (key, ours, merged). */
  private String createPutBackImages(String written) {
    return "drop table if exists " + images() + ";" + createImages(fill("""
        select w.key, w.ours as image from {written} w
        cross join lateral jsonb_populate_record(null::{table}, {key_object}) kr
        left join lateral (select to_jsonb(x.*) as row from {state} x where {key_match} limit 1) cur on true
        where cur.row is not distinct from w.merged""",
        "written", written, "table", s.table(), "key_object", s.keyObject("w.key"), "state", s.state(),
        "key_match", s.keyMatch("x", "kr")));
  }

  // ---- recovery sidecars of merges over tables in other databases ----

  /** The sidecar rows of {@code attempt} (a literal) for this table in {@code role}, as (key, ours, merged). */
  private String sidecar(String attempt, String role) {
    return fill("(select key, ours, merged from strata.merge_sidecars where attempt = {attempt} and tid = {tid}"
        + " and role = {role})", "attempt", OverlaySql.literal(attempt), "tid", OverlaySql.literal(s.tableId()),
        "role", OverlaySql.literal(role));
  }

  /**
   * Keeps, for a merge attempt whose event is not appended yet, what it wrote to the branch: per key
   * it changed, ours and the row as now stored ({@code undo}), so that recovery puts ours back if the
   * event never is.
   */
  String saveUndo(String attempt) {
    return fill("""
        insert into strata.merge_sidecars (attempt, tid, role, key, ours, merged)
        select {attempt}, {tid}, 'undo', p.key, p.ours, case when {present} then to_jsonb(t.*) end
        from {plan} p
        cross join lateral jsonb_populate_record(null::{table}, {key_object}) k
        {current_row}
        where p.merged is distinct from p.ours
        order by p.key
        on conflict do nothing""",
        "attempt", OverlaySql.literal(attempt), "tid", OverlaySql.literal(s.tableId()), "present", s.present("t"),
        "plan", plan(), "table", s.table(), "key_object", s.keyObject("p.key"), "current_row", currentRowOfKey("k"));
  }

  /** The branch's current row of key record {@code k}, as {@code t} (a left join: no row, all nulls). */
  private String currentRow(String k) {
    return fill("left join lateral (select * from {state} x where {key_match} limit 1) t on true",
        "state", s.state(), "key_match", s.keyMatch("x", k));
  }

  /**
   * Keeps, for an attempt that moves the branch's working state along change sets (a reset, a rebase's
   * start), the branch's current row of every key of {@code rows} (T's columns) as ours, before the move
   * writes them; {@link #saveUndoAfter} then notes the rows written.
   */
  String saveUndoBefore(String attempt, String rows) {
    return fill("""
        insert into strata.merge_sidecars (attempt, tid, role, key, ours, merged)
        select {attempt}, {tid}, 'undo', {key_array}, case when {present} then to_jsonb(t.*) end, null
        from {rows} r {current_row}
        order by 4
        on conflict do nothing""",
        "attempt", OverlaySql.literal(attempt), "tid", OverlaySql.literal(s.tableId()), "key_array", s.keyArray("r"),
        "present", s.present("t"), "rows", rows, "current_row", currentRow("r"));
  }

  /** After the move {@link #saveUndoBefore} prepared: each key's row as now stored, the row written. */
  String saveUndoAfter(String attempt) {
    return fill("""
        update strata.merge_sidecars m set merged = x.stored
        from (select w.key, case when {present} then to_jsonb(t.*) end as stored
              from strata.merge_sidecars w
              cross join lateral jsonb_populate_record(null::{table}, {key_object}) k
              {current_row}
              where w.attempt = {attempt} and w.tid = {tid} and w.role = 'undo') x
        where m.attempt = {attempt} and m.tid = {tid} and m.role = 'undo' and m.key = x.key""",
        "present", s.present("t"), "table", s.table(), "key_object", s.keyObject("w.key"), "current_row", currentRow("k"),
        "attempt", OverlaySql.literal(attempt), "tid", OverlaySql.literal(s.tableId()));
  }

  /** The rows to put back for an abandoned attempt: ours, where the row is still as the attempt wrote it. */
  String createUndoImages(String attempt) {
    return createPutBackImages(sidecar(attempt, "undo"));
  }

  /**
   * After {@link #createUndoImages}: a key the attempt wrote that someone changed since stays as it is,
   * a working change whose first before-image is ours (the branch's head), not the row the attempt wrote.
   */
  String rebaseChangedSince(String attempt) {
    String sets = OverlaySql.assign(s.columns().stream().filter(c -> !s.key().contains(c)).toList(), "excluded");
    return fill("""
        insert into {working_log} ({columns}, __present, __staged)
        select {columns_r}, w.ours is not null, false
        from {undo} w, lateral jsonb_populate_record(null::{table}, coalesce(w.ours, {key_object})) r
        where not exists (select from {images} i where {key_match})
        order by {key_r}
        on conflict ({key}) do update set {sets}__present = excluded.__present, __changed_at = now()""",
        "working_log", s.workingLog(), "columns", OverlaySql.list(s.columns(), null),
        "columns_r", OverlaySql.list(s.columns(), "r"), "undo", sidecar(attempt, "undo"), "table", s.table(),
        "key_object", s.keyObject("w.key"), "images", images(), "key_match", s.keyMatch("i", "r"),
        "key_r", s.keyList("r"), "key", s.keyList(null), "sets", sets.isEmpty() ? "" : sets + ", ");
  }

  /**
   * Sets aside what a merge in progress wrote (for {@link #abort}) while a commit attempt that concludes
   * it is not appended yet; the merge's kept state is then forgotten.
   */
  String setAside(String attempt) {
    return fill("""
        insert into strata.merge_sidecars (attempt, tid, role, key, ours, merged)
        select {attempt}, {tid}, 'kept', key, ours, merged from {written} order by key on conflict do nothing""",
        "attempt", OverlaySql.literal(attempt), "tid", OverlaySql.literal(s.tableId()), "written", written());
  }

  /** Puts back what {@link #setAside} kept: the merge is in progress again. */
  String restoreSetAside(String attempt) {
    return fill("""
        create table if not exists {written} (key jsonb primary key, ours jsonb, merged jsonb);
        insert into {written} select key, ours, merged from {kept} k order by key on conflict (key) do nothing""",
        "written", written(), "kept", sidecar(attempt, "kept"));
  }

  /** How many rows the merge wrote changed since (they stay as working changes), after {@link #createAbortImages}. */
  String changedSinceMerge() {
    return fill("select (select count(*) from {written}) - (select count(*) from {images})",
        "written", written(), "images", images());
  }

  /** Forgets the working changes of the keys an abort put back: they are at the branch's head again. */
  String forgetAbortedChanges() {
    return fill("delete from {working_log} l using {images} i where {key_match}",
        "working_log", s.workingLog(), "images", images(), "key_match", s.keyMatch("l", "i"));
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
        "from_source", fromSourceTable(), "ours_side", s.side("$1", false), "theirs_side", s.side("$2", false),
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
        "from_source", fromSourceTable(), "plan", plan(), "ours_side", s.side("$1", oursSingle));
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
