package io.strata.events;

/**
 * What a commit that reverts or cherry-picks another applied: the operation ({@code revert} or
 * {@code cherry_pick}), that commit, and for a merge commit the parent (1 or 2) whose side is taken as
 * its change ({@code mainline}; null for a commit with one parent).
 */
public record AppliedCommit(String operation, String commit, Integer mainline) {
  public static final String REVERT = "revert";
  public static final String CHERRY_PICK = "cherry_pick";
}
