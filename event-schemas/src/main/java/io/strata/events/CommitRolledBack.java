package io.strata.events;

import java.util.List;

/**
 * A commit attempt that captured rows in other storages was never appended (the server stopped, or a
 * step failed): the recovery sweep put the working changes it had captured back in the branch's
 * working logs, staged, so the branch is at a whole commit and nothing was lost.
 *
 * @param attempt the attempt's id (its recovery sidecar)
 * @param storages the storages the attempt had captured rows in
 * @param tables the tables whose working changes were put back
 * @param rows the working-log rows put back
 */
public record CommitRolledBack(String branch, String attempt, List<String> storages, List<String> tables, long rows)
    implements StrataEvent {
  public CommitRolledBack {
    storages = List.copyOf(storages);
    tables = List.copyOf(tables);
  }

  @Override
  public String subject() {
    return "branches/" + branch;
  }
}
