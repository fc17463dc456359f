package io.strata.projections.overlay;

import static io.strata.projections.overlay.SqlTemplate.fill;

/**
 * The images of the rows change sets touched, as one table sees them on one branch ({@link OverlaySql}):
 * the keys that differ between the branch's working state and another state, and the sides of
 * three-way comparisons (merges, diffs).
 */
final class ChangeImagesSql {
  private ChangeImagesSql() {}

  /**
   * The images of the keys that differ between this branch's working state and another state: per
   * key, the after-image of the newest change set in {@code redo} that touches it, else the
   * before-image of the oldest change in {@code undo} (change sets, then the working log when
   * {@code undoWorkingLog}). A CTE named {@code changed (k, img)}; $-parameters are text arrays,
   * oldest first.
   */
  static String changed(OverlaySql s, String undoParam, String redoParam, boolean undoWorkingLog) {
    String workingChanges = !undoWorkingLog ? "" : fill(
        " union all select {key_array}, w.__before, 1, 9223372036854775807 from {logged} w",
        "key_array", s.keyArray("w"), "logged", s.withImages(s.workingLog()));
    return fill("""
        changed as (select distinct on (x.k) x.k, x.img from (
          select c.key as k, c.after as img, 0 as phase, -o.ord as ord from {changes} c
          join unnest({redo}::text[]) with ordinality o(cs, ord) on c.change_set = o.cs
          union all select c.key, c.before, 1, o.ord from {changes} c
          join unnest({undo}::text[]) with ordinality o(cs, ord) on c.change_set = o.cs{working_changes}
        ) x order by x.k, x.phase, x.ord)""",
        "changes", s.changes(), "redo", redoParam, "undo", undoParam, "working_changes", workingChanges);
  }

  /**
   * A side of a three-way operation whose base is not an ancestor of the side: from the base to the
   * side's commit through their merge base, the change sets {@code undo} (merge base to the base) and
   * {@code redo} (merge base to the side), text-array parameters, oldest first. Per key either changed:
   * {@code fb}, its row at the base (redo's first before-image unless undo changed it: undo's last
   * after-image), and {@code la}, its row at the side (redo's last after-image, else undo's first
   * before-image).
   */
  static String sideBetween(OverlaySql s, String undo, String redo) {
    return sideBetween(s, undo, redo, null);
  }

  /**
   * {@link #sideBetween(OverlaySql, String, String)} of the keys in {@code among} alone (a relation
   * with a {@code key} column; null: every key).
   */
  static String sideBetween(OverlaySql s, String undo, String redo, String among) {
    return fill("""
        (select coalesce(u.key, r.key) as key,
                case when u.key is not null then u.la else r.fb end as fb,
                case when r.key is not null then r.la else u.fb end as la
         from {undo_side} u full join {redo_side} r on r.key = u.key)""",
        "undo_side", side(s, undo, false, among), "redo_side", side(s, redo, false, among));
  }

  /**
   * One side of a comparison from a common base: per key the change sets {@code param} (a text array,
   * oldest first) touched, its first before-image ({@code fb}: the base's row) and its last after-image
   * ({@code la}: the side's row); null images are no row. With {@code single}, the array holds one
   * change set at most: its rows are the side as they are, with no aggregation.
   */
  static String side(OverlaySql s, String param, boolean single) {
    return side(s, param, single, null);
  }

  /**
   * {@link #side(OverlaySql, String, boolean)} of the keys in {@code among} alone (a relation with a
   * {@code key} column; null: every key): each key's images come from its own rows only, so leaving
   * out the rows of other keys changes none of the images of these. A merge reads ours for the keys
   * theirs changed: O(those keys), where all of ours grows with every commit a rebase replays.
   */
  static String side(OverlaySql s, String param, boolean single, String among) {
    String only = among == null ? "" : " and c.key in (select key from " + among + ")";
    if (single) {
      return fill("(select c.key, c.before as fb, c.after as la from {changes} c where c.change_set = ({param}::text[])[1]{only})",
          "changes", s.changes(), "param", param, "only", only);
    }
    return fill("""
        (select key, (array_agg(before order by ord))[1] as fb, (array_agg(after order by ord desc))[1] as la
         from (select c.key, c.before, c.after, o.ord from {changes} c
               join unnest({param}::text[]) with ordinality o(cs, ord) on c.change_set = o.cs{only}) r
         group by key)""", "changes", s.changes(), "param", param, "only", only);
  }

  /**
   * The image {@code image} (a JSON row, or null for none) of key array {@code key}, as the JSON object
   * a row of this branch is populated from: the key alone for none; the image itself when it has every
   * column of the branch; else the branch's current row under it, or the table's defaults for the
   * columns it lacks when the branch has no row of its key. An image recorded before the table gained a
   * column does not name it, and writing it must not set that column to null: the change did not touch
   * it. A column the branch added takes its constant default where the branch has no row. The current row is looked up (one key probe) only for such images.
   */
  static String completeImage(OverlaySql s, String image, String key) {
    String columnsArray = s.columns().stream().map(OverlaySql::literal).collect(java.util.stream.Collectors.joining(", ", "array[", "]"));
    return fill("""
        case when {image} is null then {key_object} when {image} ?& {columns} then {image}
             else coalesce((select to_jsonb(strata_now.*) from {state} strata_now
                            where ({key_now}) = (select {key_k} from {key_record} strata_k)),
                      strata.column_defaults({table_oid}, {image}){added}) || {image} end""",
        "added", s.shape().added().isEmpty() ? "" : " || jsonb_build_object(" + s.shape().added().stream()
            .map(c -> OverlaySql.literal(c.name()) + ", to_jsonb(" + BranchShape.addedValue(c) + ")")
            .collect(java.util.stream.Collectors.joining(", ")) + ")",
        "table_oid", OverlaySql.literal(s.table()) + "::regclass", "image", image, "key_object", s.keyObject(key), "columns", columnsArray, "state", s.state(),
        "key_now", s.keyList("strata_now"), "key_k", s.keyList("strata_k"), "key_record", s.keyRecord(key));
  }
}
