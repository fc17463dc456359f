package io.strata.events;

import java.util.List;

/**
 * What makes a commit a merge: the source as the client named it and the commit it resolved to (the
 * second parent), the merge base, the strategy, and per table the change set that leads from the
 * source commit to the merge (the commit's own {@code changes} lead from its first parent), so that
 * history can be walked through either parent at O(rows changed).
 */
public record MergeInfo(String source, String sourceCommit, String base, String strategy,
    List<ChangeSetRef> fromSource) {
  public MergeInfo {
    fromSource = fromSource == null ? List.of() : List.copyOf(fromSource);
  }

  /** One table's change set (claim check). */
  public record ChangeSetRef(String table, String changeSet) {}
}
