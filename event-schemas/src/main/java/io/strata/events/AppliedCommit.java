package io.strata.events;

/**
 * What a commit that reverts, cherry-picks or replays (in a rebase) another applied: the operation
 * ({@code revert}, {@code cherry_pick} or {@code rebase}), that commit, and for a merge commit the parent (1 or 2) whose side is taken as
 * its change ({@code mainline}; null for a commit with one parent).
 */
public record AppliedCommit(String operation, String commit, Integer mainline) {
  public static final String REVERT = "revert";
  public static final String CHERRY_PICK = "cherry_pick";
  /** A commit replayed by a rebase: a cherry-pick of it, in the rebase in progress on the branch. */
  public static final String REBASE = "rebase";
}
