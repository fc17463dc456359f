package io.strata.events;

import java.util.List;

/**
 * A branch's working changes (staged and not) were saved as a stash, and the branch put back at its
 * head: per table, the change set stored beside the table that leads from {@code head} to the working
 * state saved. The branch's stashes are a stack, the newest first.
 */
public record StashCreated(String branch, String id, String message, String head, Author author,
    List<StashedTable> tables) implements StrataEvent {
  public StashCreated {
    tables = List.copyOf(tables);
  }

  /** One table's stashed changes: their change set (claim check) and counts. */
  public record StashedTable(String table, String changeSet, long inserted, long updated, long deleted) {}

  @Override
  public String subject() {
    return "branches/" + branch;
  }
}
