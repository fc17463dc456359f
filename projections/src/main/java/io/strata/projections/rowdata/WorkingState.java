package io.strata.projections.rowdata;

import io.smallrye.mutiny.Uni;
import java.util.List;
import java.util.Optional;

/**
 * A branch's working state of one table and its working changes: every key changed since the
 * branch's last commit, with its first before-image, staged or not. Writes and discards go through
 * one primitive that applies row images to the working state and records (or not) what they
 * overwrote; merge, revert, reset and cherry-pick apply change sets through it too.
 *
 * @param <X> the backend's unit of work: every call runs in the caller's
 */
public interface WorkingState<X> {

  /** The branch's working changes of the table, net: a key changed and changed back counts as nothing. */
  Uni<WorkingStatus> status(X tx, TrackedTable table, BranchRef branch);

  /** Marks the branch's working changes staged (or unstaged); the net changes concerned. */
  Uni<ChangeCounts> stage(X tx, TrackedTable table, BranchRef branch, boolean staged);

  /**
   * Puts the branch's working state back at its last commit, exactly, and forgets its working
   * changes; the net changes discarded. Writers of the branch's state wait meanwhile.
   */
  Uni<ChangeCounts> discard(X tx, TrackedTable table, BranchRef branch);

  /**
   * Applies {@code batch} to the branch's working state, recording the first before-image of every key
   * it writes as a staged working change (a REST write is a staging command); what it did, from the
   * rows it found: rows given to keys without one (inserted), replaced (updated) and deleted.
   */
  Uni<ChangeCounts> apply(X tx, TrackedTable table, BranchRef branch, RowBatch batch);

  /**
   * Deletes every row of the branch's working state of the table, staged, as a batch deleting each of their keys
   * would ({@link #apply}): for a branch (not the default one) that gives up a table made on a branch.
   */
  Uni<ChangeCounts> clear(X tx, TrackedTable table, BranchRef branch);

  /**
   * Moves the branch's working state of the table along committed change sets (oldest first), each key
   * they changed getting its row after the newest of them, and records nothing: for a branch without
   * working changes in the table whose head moves to the commit they lead to (a fast-forward).
   */
  Uni<Void> advance(X tx, TrackedTable table, BranchRef branch, List<String> changeSets);

  /**
   * Moves the branch's working state of the table to another commit's, recording nothing, along the
   * change sets between them ({@code undo}: from their merge base to the branch's head; {@code redo}:
   * from the merge base to the other commit; oldest first), at O(rows they changed): for a branch whose
   * head moves there (a hard reset) and whose working changes were discarded. Where the write may
   * change other rows ({@link #writesMayReachOtherRows}), those changes are recorded as working changes.
   */
  Uni<Void> move(X tx, TrackedTable table, BranchRef branch, List<String> undo, List<String> redo);

  /**
   * {@link #move}, keeping what it writes as the recovery sidecar of {@code attempt} (a table in another
   * database than the event log's, written before the event is appended): per key, the row before and
   * the row written, so that {@link Merges#undo} puts the branch back if the event never is.
   */
  Uni<Void> move(X tx, TrackedTable table, BranchRef branch, List<String> undo, List<String> redo, String attempt);

  /** {@link #stageAgainst}, keeping its keys' rows as the recovery sidecar of {@code attempt}, as {@link #move} does. */
  Uni<Void> stageAgainst(X tx, TrackedTable table, BranchRef branch, List<String> undo, List<String> redo,
      String attempt);

  /**
   * Whether writing the branch's working state of the table may change other rows (on the default
   * branch: a user's trigger, a foreign key referencing it with an action); never on another branch.
   */
  Uni<Boolean> writesMayReachOtherRows(X tx, TrackedTable table, BranchRef branch);

  /**
   * Keeps the branch's working state of the table as it is while its head moves to another commit (a
   * soft reset): every key that differs between the two ({@code undo} and {@code redo} as in {@link
   * #move}) becomes a staged working change from the other commit's row, so that a commit there
   * recreates the working state.
   */
  Uni<Void> stageAgainst(X tx, TrackedTable table, BranchRef branch, List<String> undo, List<String> redo);

  /**
   * Holds off every writer of the branch's working state of the table (SQL through its view, an
   * application writing the table itself for the default branch) until {@code tx} ends; readers go on.
   */
  Uni<Void> holdWriters(X tx, TrackedTable table, BranchRef branch);

  /**
   * The branch's current row with {@code key} (a JSON object of the key's columns), as a JSON object;
   * with {@code forWrite}, the key's write lock is taken first, so no writer slips in before a write
   * based on the row.
   */
  Uni<Optional<String>> row(X tx, TrackedTable table, BranchRef branch, String key, boolean forWrite);
}
