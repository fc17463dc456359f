package io.strata.events;

import java.util.List;

/**
 * A stash was applied to its branch's working state, three-way against the branch's head; with {@code
 * popped} it was dropped too. Per table what the application wrote (unstaged working changes).
 */
public record StashApplied(String branch, String id, boolean popped, List<TableCounts> tables) implements StrataEvent {
  public StashApplied {
    tables = List.copyOf(tables);
  }

  @Override
  public String subject() {
    return "branches/" + branch;
  }
}
