package io.strata.projections.rowdata;

/**
 * Row writes to apply to a branch's working state, validated: {@code rows} a JSON array of objects
 * (an upsert's whole row, or a delete's key), and per row its marks in {@code marks}: {@code u} or
 * {@code d}, then {@code 1} or {@code 0} per column of the table, whether the row gives it (a column
 * left out of an upsert takes its default, as an INSERT would). The last operation on a key wins.
 */
public record RowBatch(String rows, String marks, long count) {
  /** Whether some upsert leaves a column out. */
  public boolean leavesColumnsOut() {
    return marks.indexOf('0') >= 0;
  }
}
