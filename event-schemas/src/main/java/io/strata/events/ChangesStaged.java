package io.strata.events;

import java.util.List;

/** Working changes of a branch were staged, per table (counts of the rows concerned). */
public record ChangesStaged(String branch, List<TableCounts> tables) implements StrataEvent {
  public ChangesStaged {
    tables = List.copyOf(tables);
  }

  @Override
  public String subject() {
    return "branches/" + branch;
  }
}
