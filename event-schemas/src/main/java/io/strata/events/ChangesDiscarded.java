package io.strata.events;

import java.util.List;

/** Working changes of a branch were discarded, per table (counts of the rows concerned). */
public record ChangesDiscarded(String branch, List<TableCounts> tables) implements StrataEvent {
  public ChangesDiscarded {
    tables = List.copyOf(tables);
  }

  @Override
  public String subject() {
    return "branches/" + branch;
  }
}
