package io.strata.projections.rowdata;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import java.util.List;
import java.util.Optional;

/**
 * A table's committed history: content-addressed change sets, one per commit that changed the
 * table, each holding every changed row's key, before- and after-image. A commit captures the
 * branch's staged working changes into one; diffs and content figures read them, O(rows changed).
 *
 * @param <X> the backend's unit of work: every call runs in the caller's
 */
public interface ChangeSets<X> {

  /** What a commit captured from one table: its change set and counts, and the change of its row-hash sum. */
  record Captured(String table, String changeSet, long inserted, long updated, long deleted, String sumDelta) {}

  /** One changed row: key (JSON array), op, before and after (JSON objects or null), the changed columns. */
  record RowChange(String key, String op, String before, String after, List<String> fields) {}

  /** How a table's content moves between two commits: rows added, and the change of its row-hash sum. */
  record ContentDelta(long rows, String sum) {}

  /**
   * Captures the branch's staged working changes of the table (all of them with {@code stageAll})
   * into a change set and removes them from its working changes, in the caller's unit of work (the
   * commit's). With an {@code attempt}, the captured working changes are also kept aside, to be put
   * back ({@link #restore}) if the commit is never appended. Empty when nothing staged changes the table.
   */
  Uni<Optional<Captured>> capture(X tx, TrackedTable table, BranchRef branch, boolean stageAll, String attempt);

  /**
   * Puts back the working changes an abandoned commit {@code attempt} captured of the table, staged;
   * the number of rows put back (none when the branch is gone since).
   */
  Uni<Long> restore(X tx, TrackedTable table, BranchRef branch, String attempt);

  /** The commit attempts whose captured working changes are kept aside, of any of {@code tables}. */
  Uni<List<String>> keptAttempts(X tx, List<TrackedTable> tables);

  /** Forgets what commit {@code attempt} kept aside: it was appended, or put back. */
  /** Whether the change set is stored beside the table (gone: the table was untracked since). */
  Uni<Boolean> exists(X tx, TrackedTable table, String changeSet);

  Uni<Void> forgetAttempt(X tx, String attempt);

  /**
   * Counts of the net row changes from one commit to another, given as the change sets from their
   * merge base to each of them ({@code fromPath}, {@code toPath}, oldest first).
   */
  Uni<ChangeCounts> diffCounts(X tx, TrackedTable table, List<String> fromPath, List<String> toPath);

  /**
   * The net row changes between two commits (see {@link #diffCounts}), in key order, read as the
   * subscriber asks, {@code fetch} at a time: the server holds a few thousand at once, however many
   * rows changed. {@code tx} must be in a transaction.
   */
  Multi<RowChange> diff(X tx, TrackedTable table, List<String> fromPath, List<String> toPath, int fetch);

  /**
   * Which of {@code columns} the net row changes between two commits (see {@link #diffCounts}) update: a
   * row's value there changed (a row inserted or deleted goes with its value, and is not counted).
   */
  Uni<java.util.Set<String>> changedColumns(X tx, TrackedTable table, List<String> fromPath, List<String> toPath,
      List<String> columns);

  /** How the table's content moves between two commits (see {@link #diffCounts}). */
  Uni<ContentDelta> contentDelta(X tx, TrackedTable table, List<String> fromPath, List<String> toPath);

  /**
   * {@link #contentDelta} of {@code table} as {@code branch} reads it: its rows hashed in the types the branch gave
   * the table's columns, where it gave some other types (values the table's types may not hold); else as above.
   */
  Uni<ContentDelta> contentDelta(X tx, TrackedTable table, BranchRef branch, List<String> fromPath,
      List<String> toPath);
}
