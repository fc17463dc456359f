package io.strata.events;

import java.util.List;

/** Working changes of a branch were unstaged, per table (counts of the rows concerned). */
public record ChangesUnstaged(String branch, List<TableCounts> tables) implements StrataEvent {
  public ChangesUnstaged {
    tables = List.copyOf(tables);
  }

  @Override
  public String subject() {
    return "branches/" + branch;
  }
}
