package io.strata.projections.overlay;

import static io.strata.projections.overlay.SqlTemplate.fill;

/**
 * The recovery sidecars of merges (and of the other moves of a branch's working state) over tables in
 * other databases: per attempt and key, the row before and the row written, so that recovery puts back
 * what an attempt whose event was never appended wrote (see {@code Merges#undo}).
 */
final class MergeSidecarSql {
  private final OverlaySql s;
  private final MergeSql m;

  MergeSidecarSql(MergeSql merge) {
    this.m = merge;
    this.s = merge.table();
  }

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
        cross join lateral jsonb_populate_record(null::{row_type}, {key_object}) k
        {current_row}
        where p.merged is distinct from p.ours
        order by p.key
        on conflict do nothing""",
        "attempt", OverlaySql.literal(attempt), "tid", OverlaySql.literal(s.tableId()), "present", s.present("t"),
        "plan", m.plan(), "table", s.table(), "row_type", s.rowType(), "key_object", s.keyObject("p.key"), "current_row", m.currentRowOfKey("k"));
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
              cross join lateral jsonb_populate_record(null::{row_type}, {key_object}) k
              {current_row}
              where w.attempt = {attempt} and w.tid = {tid} and w.role = 'undo') x
        where m.attempt = {attempt} and m.tid = {tid} and m.role = 'undo' and m.key = x.key""",
        "present", s.present("t"), "table", s.table(), "row_type", s.rowType(), "key_object", s.keyObject("w.key"), "current_row", currentRow("k"),
        "attempt", OverlaySql.literal(attempt), "tid", OverlaySql.literal(s.tableId()));
  }

  /** The rows to put back for an abandoned attempt: ours, where the row is still as the attempt wrote it. */
  String createUndoImages(String attempt) {
    return m.createPutBackImages(sidecar(attempt, "undo"));
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
        from {undo} w, lateral jsonb_populate_record(null::{row_type}, coalesce(w.ours, {key_object})) r
        where not exists (select from {images} i where {key_match})
        order by {key_r}
        on conflict ({key}) do update set {sets}__present = excluded.__present, __changed_at = now()""",
        "working_log", s.workingLog(), "columns", OverlaySql.list(s.columns(), null),
        "columns_r", OverlaySql.list(s.columns(), "r"), "undo", sidecar(attempt, "undo"), "table", s.table(), "row_type", s.rowType(),
        "key_object", s.keyObject("w.key"), "images", m.images(), "key_match", s.keyMatch("i", "r"),
        "key_r", s.keyList("r"), "key", s.keyList(null), "sets", sets.isEmpty() ? "" : sets + ", ");
  }

  /**
   * Sets aside what a merge in progress wrote (for {@link PgMerges#abort}) while a commit attempt that concludes
   * it is not appended yet; the merge's kept state is then forgotten.
   */
  String setAside(String attempt) {
    return fill("""
        insert into strata.merge_sidecars (attempt, tid, role, key, ours, merged)
        select {attempt}, {tid}, 'kept', key, ours, merged from {written} order by key on conflict do nothing""",
        "attempt", OverlaySql.literal(attempt), "tid", OverlaySql.literal(s.tableId()), "written", m.written());
  }

  /** Puts back what {@link #setAside} kept: the merge is in progress again. */
  String restoreSetAside(String attempt) {
    return fill("""
        create table if not exists {written} (key jsonb primary key, ours jsonb, merged jsonb);
        insert into {written} select key, ours, merged from {kept} k order by key on conflict (key) do nothing""",
        "written", m.written(), "kept", sidecar(attempt, "kept"));
  }
}
