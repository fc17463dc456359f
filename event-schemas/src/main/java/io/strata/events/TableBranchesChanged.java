package io.strata.events;

import java.util.List;

/**
 * The branches that have a table made on a branch ({@link TableMadeOnBranch}) and not yet brought into the
 * default branch are now {@code branches} (sorted): a branch gained it by a merge, a cherry-pick or a commit of
 * its rows, or dropped it.
 */
public record TableBranchesChanged(String name, List<String> branches) implements StrataEvent {
  public TableBranchesChanged {
    branches = List.copyOf(branches);
  }

  @Override
  public String subject() {
    return "tables/" + name;
  }
}
