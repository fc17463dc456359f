package io.strata.projections.rowdata;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import java.util.List;
import java.util.Map;

/**
 * Reads a table's rows at any state a branch can name: its working state, or a commit's, as a path
 * of change sets from the branch's working state ({@link StatePath}). O(rows changed) on top of the
 * rows read, whatever the table's size.
 *
 * @param <X> the backend's unit of work
 */
public interface StateReads<X> {

  /** One page of rows (JSON objects, columns in table order) and the key of its last row (a JSON object). */
  record Page(List<String> rows, String lastKey) {}

  /**
   * The rows after the key {@code after} (a JSON object; null: from the first), in key order, at most
   * {@code limit}; {@code filters}: column = value, in the column's own type.
   */
  Uni<Page> page(X tx, TrackedTable table, BranchRef branch, StatePath path, Map<String, String> filters,
      String after, int limit);

  /**
   * Every row after {@code after}, in key order, in one snapshot however long the read, fetched
   * {@code fetch} at a time as the subscriber asks; {@code tx} must be in a transaction.
   */
  Multi<String> stream(X tx, TrackedTable table, BranchRef branch, StatePath path, Map<String, String> filters,
      String after, int fetch);
}
