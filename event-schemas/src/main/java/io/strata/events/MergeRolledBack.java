package io.strata.events;

import java.util.List;

/**
 * A merge (or a reset) that wrote tables in other storages was never appended (the server stopped, or
 * a step failed): the recovery sweep put back the rows it had written there, so the branch is at its
 * old head, with the working state it had.
 *
 * @param attempt the attempt's id (its recovery sidecar)
 * @param storages the storages the merge had written in
 * @param tables the tables whose rows were put back
 * @param rows the rows put back
 */
public record MergeRolledBack(String branch, String attempt, List<String> storages, List<String> tables, long rows)
    implements StrataEvent {
  public MergeRolledBack {
    storages = List.copyOf(storages);
    tables = List.copyOf(tables);
  }

  @Override
  public String subject() {
    return "branches/" + branch;
  }
}
