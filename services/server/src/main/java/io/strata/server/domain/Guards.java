package io.strata.server.domain;

import io.strata.server.domain.RepositoryState.Branch;
import java.util.Map;

/**
 * The checks the families' deciders make of the state (a branch exists, is where the command saw it, has
 * no merge or rebase in progress, …) and the refusals they throw. Pure: no I/O.
 */
public final class Guards {
  private Guards() {}

  static Branch requireBranch(RepositoryState state, String name) {
    Branch b = state.branch(name);
    if (b == null) {
      throw StrataException.branchNotFound(name);
    }
    return b;
  }

  static void requireHead(RepositoryState state, String name, String head) {
    Branch b = requireBranch(state, name);
    if (!b.head().equals(head)) {
      throw new StrataException(ErrorCode.HeadMoved, "branch '" + name + "' moved to " + b.head() + " meanwhile; retry",
          Map.of("branch", name, "expected_head", head, "actual_head", b.head()));
    }
  }

  static void requireNoRebase(RepositoryState state, String branch) {
    RepositoryState.Rebase r = state.rebase(branch);
    if (r != null) {
      throw rebaseInProgress(branch, r);
    }
  }

  /** The 409 of a branch with a rebase in progress. */
  public static StrataException rebaseInProgress(String branch, RepositoryState.Rebase r) {
    return new StrataException(ErrorCode.RebaseInProgress, "a rebase of '" + branch + "' onto "
        + r.started().onto() + " is in progress (" + r.done() + " of " + r.started().commits().size()
        + " commits done): continue, skip or abort it", Map.of("branch", branch, "onto", r.started().onto(),
        "done", r.done(), "commits", r.started().commits().size()));
  }

  static RepositoryState.Rebase requireRebase(RepositoryState state, String branch) {
    requireBranch(state, branch);
    RepositoryState.Rebase r = state.rebase(branch);
    if (r == null) {
      throw new StrataException(ErrorCode.NoRebaseInProgress, "branch '" + branch + "' has no rebase in progress",
          Map.of("branch", branch));
    }
    return r;
  }

  static void requireNoMerge(RepositoryState state, String branch) {
    RepositoryState.Merge merge = state.merge(branch);
    if (merge != null) {
      throw mergeInProgress(branch, merge);
    }
  }

  static RepositoryState.Merge requireMerge(RepositoryState state, String branch) {
    requireBranch(state, branch);
    RepositoryState.Merge merge = state.merge(branch);
    if (merge == null) {
      throw noMerge(branch);
    }
    return merge;
  }

  /** The refusal of a command that needs a merge in progress on {@code branch}, where there is none. */
  public static StrataException noMerge(String branch) {
    return new StrataException(ErrorCode.NoMergeInProgress, "no merge is in progress on branch '" + branch + "'",
        Map.of("branch", branch));
  }

  /** The refusal of a command that would move {@code branch} while a merge into it is in progress. */
  public static StrataException mergeInProgress(String branch, RepositoryState.Merge merge) {
    return new StrataException(ErrorCode.MergeInProgress, "a merge of " + merge.started().source() + " into '" + branch
        + "' is in progress (" + merge.remaining() + " conflicts left): resolve and continue, or abort it",
        Map.of("branch", branch, "source", merge.started().source(), "conflicts", merge.remaining()));
  }
}
