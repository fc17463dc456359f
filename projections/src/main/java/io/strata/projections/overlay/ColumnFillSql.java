package io.strata.projections.overlay;

import static io.strata.projections.overlay.SqlTemplate.fill;

import io.strata.projections.postgres.Sql;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The statements that fill columns a branch gets back or takes from the table ({@link PgBranchColumns}): from the
 * table's rows, from the images along a path to a state, and a row the branch inserted from the table's defaults,
 * evaluated per row as an insert would. The columns are there already (zero-copy); these write only their values in the
 * branch's overlay.
 */
final class ColumnFillSql {
  private final OverlaySql b;

  /** @param branch the table as the branch sees it */
  ColumnFillSql(OverlaySql branch) {
    this.b = branch;
  }

  /**
   * Sets the columns {@code names} of the overlay's rows (filled before in other columns) to their values in
   * the images of {@code changedCte} ({@link BranchObjectsSql#fillOverlay}'s), where an image has them; others keep theirs.
   */
  String refillColumns(String changedCte, List<String> names) {
    String sets = names.stream().map(n -> Sql.quote(n) + " = case when c.img ? " + OverlaySql.literal(n) + " then r."
        + Sql.quote(n) + " else o." + Sql.quote(n) + " end").collect(Collectors.joining(", "));
    return fill("""
        with {changed}
        update {overlay} o set {sets}
        from changed c, lateral jsonb_populate_record(null::{row_type}, c.img) r
        where c.img is not null and {match}""",
        "changed", changedCte, "overlay", b.overlay(), "sets", sets, "row_type", b.rowType(),
        "match", b.keyMatch("o", "r"));
  }

  /** Sets the columns {@code names} of the overlay's live rows to the table's row of their key, where it has one. */
  String fillFromTable(List<String> names) {
    return fill("""
        update {overlay} o set {sets} from {table} t where not o.__deleted and {match}""",
        "overlay", b.overlay(), "table", b.table(), "match", b.keyMatch("o", "t"),
        "sets", names.stream().map(n -> Sql.quote(n) + " = t." + Sql.quote(n)).collect(Collectors.joining(", ")));
  }

  /**
   * Sets columns {@code names} of the overlay's live rows that the table has no row of (rows the branch inserted) to
   * the table's defaults of them, each row its own ({@code strata.column_defaults}, as an insert naming them not
   * would; a column without one: null).
   */
  String fillDefaultsWhereTableHasNoRow(List<String> names) {
    return "update " + b.overlay() + " o set " + defaultsOf(names) + " where not o.__deleted and not exists"
        + " (select 1 from " + b.table() + " t where " + b.keyMatch("o", "t") + ")";
  }

  /**
   * Sets columns {@code names} of the overlay's live rows whose key the state {@code changedCte} reaches has no row of
   * because the default branch inserted it without committing (its working log {@code defaultLog} logged it absent)
   * to the table's defaults of them, as {@link #fillDefaultsWhereTableHasNoRow} does: the table's row of that key is
   * not the branch's, which it inserted itself. (A key absent at the state for another reason, deleted there, keeps the
   * value the table gave the branch's row.)
   */
  String fillDefaultsWhereInsertedUncommitted(String changedCte, List<String> names, String defaultLog) {
    return fill("""
        with {changed}
        update {overlay} o set {defaults}
        from changed c, lateral {key_record} r
        where c.img is null and not o.__deleted and {match}
          and exists (select 1 from {default_log} w where not w.__present and {logged})""",
        "changed", changedCte, "overlay", b.overlay(), "defaults", defaultsOf(names), "key_record", b.keyRecord("c.k"),
        "match", b.keyMatch("o", "r"), "default_log", defaultLog, "logged", b.keyMatch("w", "r"));
  }

  /** The SET list giving overlay row {@code o}'s columns {@code names} the table's defaults, evaluated for that row. */
  private String defaultsOf(List<String> names) {
    String taken = names.stream().map(OverlaySql::literal).collect(Collectors.joining(", ", "array[", "]::text[]"));
    return fill("""
        ({columns}) = (select {values} from jsonb_populate_record(null::{table},
                         strata.column_defaults({table_oid}, to_jsonb(o) - {taken})) d)""",
        "table", b.table(), "table_oid", OverlaySql.literal(b.table()) + "::regclass", "taken", taken,
        "columns", names.stream().map(Sql::quote).collect(Collectors.joining(", ")),
        "values", names.stream().map(n -> "d." + Sql.quote(n)).collect(Collectors.joining(", ")));
  }
}
