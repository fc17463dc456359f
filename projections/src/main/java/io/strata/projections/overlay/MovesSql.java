package io.strata.projections.overlay;

import static io.strata.projections.overlay.SqlTemplate.fill;

import io.strata.projections.postgres.Sql;

/**
 * The statements that move a branch's working state of one table along committed change sets (see
 * {@link PgWorkingState}): the rows another commit has for the keys they changed, written by a
 * fast-forward's advance or a hard reset's move through {@link WorkingStateSql}'s primitive, or kept
 * as staged working changes by a soft reset ({@link #stageAgainst}).
 */
final class MovesSql {
  private final OverlaySql s;

  /** @param table the table as the branch sees it */
  MovesSql(OverlaySql table) {
    this.s = table;
  }

  /** The temporary table of {@link #createChangeSetRows}. */
  String changeSetRows() {
    return Sql.quote("strata_images_" + s.tableId());
  }

  /**
   * The rows that applying change sets $1 (text[], oldest first) gives the keys they changed, in the
   * batch's shape ({@code __o} 'u' with the row, or 'd' for none): each key's after-image in the newest
   * of them that changed it.
   */
  String createChangeSetRows() {
    return fill("""
        create temporary table {rows} on commit drop as
        select case when c.img is null then 'd' else 'u' end as __o, r.*
        from (select distinct on (c.key) c.key, c.after as img
              from {changes} c join unnest($1::text[]) with ordinality o(cs, ord) on c.change_set = o.cs
              order by c.key, o.ord desc) c,
             lateral jsonb_populate_record(null::{row_type}, {image}) r""",
        "rows", changeSetRows(), "changes", s.changes(), "table", s.table(), "row_type", s.rowType(), "image", ChangeImagesSql.completeImage(s, "c.img", "c.key"));
  }

  /**
   * The rows another commit has for the keys that differ between it and the branch's head, in the
   * batch's shape, from the change sets between the two ($1: those from their merge base to the head,
   * undone; $2: those from the merge base to the other commit, redone; text arrays, oldest first): a key
   * redone takes its after-image in the newest change set, a key only undone its before-image in the
   * oldest.
   */
  String createRowsAlong() {
    return fill("""
        create temporary table {rows} on commit drop as
        select case when c.img is null then 'd' else 'u' end as __o, r.*
        from (select distinct on (x.key) x.key, x.img
              from (select c.key, c.after as img, 0 as pass, -o.ord as ord
                    from {changes} c join unnest($2::text[]) with ordinality o(cs, ord) on c.change_set = o.cs
                    union all
                    select c.key, c.before, 1, o.ord
                    from {changes} c join unnest($1::text[]) with ordinality o(cs, ord) on c.change_set = o.cs) x
              order by x.key, x.pass, x.ord) c,
             lateral jsonb_populate_record(null::{row_type}, {image}) r""",
        "rows", changeSetRows(), "changes", s.changes(), "table", s.table(), "row_type", s.rowType(), "image", ChangeImagesSql.completeImage(s, "c.img", "c.key"));
  }

  /** Forgets the working-log rows of the keys in {@code source}: they are as the branch's head has them. */
  String forgetLogged(String source) {
    return fill("delete from {working_log} w using {source} r where {key_match}", "working_log", s.workingLog(),
        "source", source, "key_match", s.keyMatch("w", "r"));
  }

  /**
   * Makes the rows of {@code source} (the batch's shape) the first before-images of their keys in the
   * working log, staged: the branch's head moved to where those rows are, and its working state did not,
   * so the difference is its staged working changes.
   */
  String stageAgainst(String source) {
    String sets = OverlaySql.assign(s.columns().stream().filter(c -> !s.key().contains(c)).toList(), "excluded");
    return fill("""
        insert into {working_log} ({columns}, __present, __staged)
        select {columns_r}, r.__o = 'u', true from {source} r order by {key_r}
        on conflict ({key}) do update set {sets}__present = excluded.__present, __staged = true,
          __changed_at = now()""",
        "working_log", s.workingLog(), "columns", OverlaySql.list(s.columns(), null),
        "columns_r", OverlaySql.list(s.columns(), "r"), "source", source, "key_r", s.keyList("r"),
        "key", s.keyList(null), "sets", sets.isEmpty() ? "" : sets + ", ");
  }
}
