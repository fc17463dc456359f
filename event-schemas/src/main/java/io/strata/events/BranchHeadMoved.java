package io.strata.events;

import java.util.List;

/**
 * A branch's head moved to an existing commit without a new one: a fast-forward merge ({@code reason}
 * {@code fast_forward}), or a reset ({@code reset_hard}: the branch's working state moved with it and
 * its working changes were dropped; {@code reset_soft}: its working state stayed, the difference staged).
 * On the default branch, {@code tables} gives each tracked table's content at the new head (the
 * recorded content is the default branch's); elsewhere it is empty.
 */
public record BranchHeadMoved(String branch, String from, String to, String reason, List<TableContent> tables)
    implements StrataEvent {
  public BranchHeadMoved {
    tables = tables == null ? List.of() : List.copyOf(tables);
  }

  /** A table's content: row count, row-hash sum and content hash. */
  public record TableContent(String table, long rowCount, String rowSum, String contentHash) {}

  @Override
  public String subject() {
    return "branches/" + branch;
  }
}
