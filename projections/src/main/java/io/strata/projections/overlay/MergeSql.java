package io.strata.projections.overlay;

import static io.strata.projections.overlay.SqlTemplate.fill;

import io.strata.projections.postgres.Sql;
import java.util.List;

/**
 * The statements of a three-way merge of one table into a branch (see {@link PgMerges}). Each side is
 * the change sets from the merge base ({@link ChangeImagesSql#side}); only keys the source (theirs) changed
 * are compared, so the cost is O(rows changed on the two sides), and a key only the source changed
 * takes the source's row without comparing fields. Keys both sides changed go through
 * {@code strata.merge_images} (the field-level truth table, {@link LayoutSql#MERGE_FUNCTION}).
 *
 * <p>Temporary tables are named in {@code pg_temp}, so that dropping one never reaches a user's table.
 * A merge in progress is {@link MergeStateSql}'s, recovery sidecars {@link MergeSidecarSql}'s, the
 * change set from the source {@link MergeFromSourceSql}'s, what the merge wrote {@link MergeWritesSql}'s.
 */
final class MergeSql {

  private final OverlaySql s;

  /** @param table the table as the target branch sees it */
  MergeSql(OverlaySql table) {
    this.s = table;
  }

  /** The table as the target branch sees it. */
  OverlaySql table() {
    return s;
  }

  String temporary(String name) {
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
    return createPlan(jsonColumns, derivedColumns, ChangeImagesSql.side(s, "$1", oursSingle), ChangeImagesSql.side(s, "$2", theirsSingle), false);
  }

  /**
   * The same where the base is not an ancestor of each side (a revert's, a cherry-pick's): each side
   * from the base through the merge base of the two ({@link ChangeImagesSql#sideBetween}): $1 ours' change
   * sets to redo, $2 theirs', $3 ours' to undo, $4 theirs'.
   */
  String createPlanBetween(List<String> jsonColumns, List<String> derivedColumns) {
    return createPlan(jsonColumns, derivedColumns, ChangeImagesSql.sideBetween(s, "$3", "$1", THEIRS),
        ChangeImagesSql.sideBetween(s, "$4", "$2"), true);
  }

  /** The plan statement's name for theirs, materialized: ours is read for its keys alone. */
  private static final String THEIRS = "strata_theirs";

  /**
   * The plan's statement. {@code offset 0} keeps {@code j.both_sides} a one-time filter of the lateral
   * subquery, so {@code strata.merge_images} runs only for keys both sides changed; pulled up, the
   * condition became a join filter tested after calling the function for every key theirs changed
   * (half the plan's time on a merge of 100K rows only theirs changed). With {@code theirsFirst}
   * (sides between: a revert's, a cherry-pick's, a rebased commit's), theirs is materialized as
   * {@link #THEIRS} and {@code oursSide} reads ours for its keys alone (the plan has a row for those
   * only): a rebased commit's ours holds every commit replayed before it, and aggregating all of them
   * took most of each step's plan (~45 ms of ~50 at the fifth of ten 1K-row commits). A merge reads
   * each side once as it is: materializing a theirs of 100K rows costs more than it saves.
   */
  private String createPlan(List<String> jsonColumns, List<String> derivedColumns, String oursSide, String theirsSide,
      boolean theirsFirst) {
    String json = OverlaySql.textArray(jsonColumns);
    String derived = OverlaySql.textArray(derivedColumns);
    return fill("""
        create temporary table {plan} on commit drop as
        {with}select j.key, j.base, j.ours, j.theirs,
               case when j.both_sides then m.merged else j.theirs end as merged,
               m.kind, coalesce(m.fields, array[]::text[]) as fields, null::text as refused_by, false as settled
        from (select t.key, coalesce(o.fb, t.fb) as base,
                     case when o.key is not null then o.la else t.fb end as ours, t.la as theirs,
                     o.key is not null as both_sides
              from {theirs_side} t left join {ours_side} o on o.key = t.key) j
        left join lateral (select * from strata.merge_images(j.base, j.ours, j.theirs, {json}, {derived})
                           where j.both_sides offset 0) m on true""",
        "plan", plan(), "with", theirsFirst ? "with " + THEIRS + " as materialized " + theirsSide + "\n" : "",
        "theirs_side", theirsFirst ? THEIRS : theirsSide, "ours_side", oursSide, "json", json,
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
   * Rows of the batch's shape from {@code source} (key, image: a JSON row or null for none); for a
   * branch, analyzed: a temporary table has no statistics otherwise, and the writes that join it with
   * the branch's overlay were planned for a handful of rows (a nested loop comparing every row with
   * every other: 220 ms for the 1 000 rows of a rebased commit). The default branch's writes probe the
   * table's key index row by row whatever the estimate.
   */
  String createImages(String source) {
    return "create temporary table " + images() + " on commit drop as " + imageRows(source)
        + (s.isDefaultBranch() ? "" : ";analyze " + images());
  }

  /** Fills the images table {@link #createImages} made with the rows of {@code source}. */
  private String refillImages(String source) {
    return "delete from " + images() + "; insert into " + images() + " " + imageRows(source);
  }

  /** The batch's rows of {@code source} (key, image): each image completed as a row of the branch. */
  private String imageRows(String source) {
    return fill("""
        select case when x.image is null then 'd' else 'u' end as __o, r.*
        from ({source}) x, lateral jsonb_populate_record(null::{row_type}, {image}) r""",
        "source", source, "row_type", s.rowType(), "image", ChangeImagesSql.completeImage(s, "x.image", "x.key"));
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
   * Makes every row the branch shows (after the merge's writes) that fails CHECK {@code c} — one the merge carries —
   * a {@code constraint_violation} conflict: the row keeps its values (merged: the row as it is), {@code fields} the
   * columns the check names, {@code refused_by} the check's name. A key the plan merged without conflict, or whose
   * conflict a strategy settled, becomes the violation (base, ours and theirs as the plan has them); one the overlay
   * refused for this check ({@code constraint}, by the overlay constraint's name) is named for the check; another
   * open conflict stays as it is; a key the plan does not have is added (ours the row; base and theirs null). One
   * statement; the expression, as the database printed it, can be nothing but an expression (see {@link
   * BranchChecksSql#violating}).
   */
  String markViolations(io.strata.events.TableShape.Constraint c, List<String> columns) {
    String fields = OverlaySql.textArray(columns);
    return fill("""
        with failing as (select {key_array} as key, to_jsonb(s.*) as row from {state} s where not {expression}),
        marked as (update {plan} p set kind = 'constraint_violation', fields = {fields}, refused_by = {name},
                     settled = false, merged = f.row
                   from failing f where p.key = f.key and (p.kind is null or p.settled) returning p.key),
        refused as (update {plan} p set kind = 'constraint_violation', fields = {fields}, refused_by = {name}
                    where p.kind = 'constraint' and not p.settled
                      and left(p.refused_by, {refused_by_length}) = {refused_by_overlay}
                    returning p.key)
        insert into {plan} (key, base, ours, theirs, merged, kind, fields, refused_by, settled)
        select f.key, null, f.row, null, f.row, 'constraint_violation', {fields}, {name}, false
        from failing f where not exists (select from {plan} p where p.key = f.key)""",
        "key_array", s.keyArray("s"), "state", s.state(), "expression", BranchChecksSql.expression(c),
        "plan", plan(), "fields", fields, "name", OverlaySql.literal(c.name()),
        "refused_by_overlay", OverlaySql.literal(BranchChecksSql.overlayConstraint(c.name()) + ": "),
        "refused_by_length", String.valueOf((BranchChecksSql.overlayConstraint(c.name()) + ": ").length()));
  }

  /**
   * A left join of the branch's current row of the key in {@code k} (a record of the table's type) as
   * {@code t}. On the default branch with a one-column key, one index scan takes the written keys
   * together ({@code = any}) and a hash join matches them: a third of the cost of a probe per key.
   */
  String currentRowOfKey(String k) {
    if (!s.isDefaultBranch() || s.key().size() > 1) {
      return fill("left join lateral (select * from {state} x where {key_match} limit 1) t on true",
          "state", s.state(), "key_match", s.keyMatch("x", k));
    }
    String key = Sql.quote(s.key().get(0));
    return fill("""
        left join (select * from {table} x where x.{key} = any(array(
                     select (jsonb_populate_record(null::{row_type}, {key_object})).{key} from {plan} p2
                     where p2.merged is distinct from p2.ours))) t on t.{key} = {k}.{key}""",
        "table", s.table(), "row_type", s.rowType(), "key", key, "key_object", s.keyObject("p2.key"), "plan", plan(), "k", k);
  }

  /** {@link MergeStateSql#createAbortImages} for the rows in {@code written} (key, ours, merged). */
  String createPutBackImages(String written) {
    return "drop table if exists " + images() + ";" + createImages(fill("""
        select w.key, w.ours as image from {written} w
        cross join lateral jsonb_populate_record(null::{row_type}, {key_object}) kr
        left join lateral (select to_jsonb(x.*) as row from {state} x where {key_match} limit 1) cur on true
        where cur.row is not distinct from w.merged""",
        "written", written, "table", s.table(), "row_type", s.rowType(), "key_object", s.keyObject("w.key"), "state", s.state(),
        "key_match", s.keyMatch("x", "kr")));
  }
}
