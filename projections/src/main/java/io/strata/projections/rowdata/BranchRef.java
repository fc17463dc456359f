package io.strata.projections.rowdata;

/**
 * A branch as the data plane sees it: its name, and whether it is its repository's default branch,
 * which reads and writes the tracked tables themselves.
 */
public record BranchRef(String name, boolean isDefault) {
  public static BranchRef of(String name, String defaultBranch) {
    return new BranchRef(name, name.equals(defaultBranch));
  }
}
