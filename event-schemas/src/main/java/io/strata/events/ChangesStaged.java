package io.strata.events;

import java.util.List;

/**
 * Working changes of a branch were staged, per table.
 *
 * @param tables the rows concerned, per table: for the stage command, the net working changes it
 *     staged; for a REST row write, the rows the write inserted, updated and deleted in the working
 *     state (all staged)
 * @param write true when a REST row write (PUT, PATCH, DELETE or batch) staged its own rows; absent
 *     (false) for the stage command
 */
public record ChangesStaged(String branch, List<TableCounts> tables, boolean write) implements StrataEvent {
  public ChangesStaged {
    tables = List.copyOf(tables);
  }

  @Override
  public String subject() {
    return "branches/" + branch;
  }
}
