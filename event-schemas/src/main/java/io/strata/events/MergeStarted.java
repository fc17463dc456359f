package io.strata.events;

import java.util.List;

/**
 * A merge into {@code branch} stopped before its commit: with conflicts to resolve (strategy
 * {@code three_way}), or because the client asked for no commit. The merged rows are the branch's
 * staged working changes; the conflicts are kept beside each table, named here by the claim-check
 * hash of their canonical form and counted. The branch's next commit concludes the merge with two
 * parents ({@code merge/continue}), or {@code merge/abort} puts the branch back.
 *
 * @param head the branch's head when the merge began (the merge commit's first parent)
 * @param tables per table the merge wrote: its conflicts and their hash
 * @param operation {@code merge}, or {@code revert} / {@code cherry_pick} of {@code sourceCommit}: the
 *     same machinery, whose commit has one parent and names the commit it applied (v1: merges only)
 * @param mainline for a revert or cherry-pick of a merge commit, the parent taken as its base
 * @param schemaTables on a branch other than the default one, the tables whose shape the merge changed (columns,
 *     names, definitions, checks, indexes): its commit records their shapes, and those of the tables it commits rows
 *     of; every other table keeps the record of the branch's head, its shape changes staying working changes. Null:
 *     every table (the default branch, and v2 of this event)
 */
public record MergeStarted(String branch, String source, String sourceCommit, String base, String head,
    String strategy, String message, Author author, long conflicts, List<TableConflicts> tables, String operation,
    Integer mainline, List<String> schemaTables)
    implements StrataEvent {
  public static final String MERGE = "merge";

  public MergeStarted {
    tables = List.copyOf(tables);
    operation = operation == null ? MERGE : operation;
    schemaTables = schemaTables == null ? null : List.copyOf(schemaTables);
  }

  /** A merge, revert or cherry-pick whose commit records every table's shape (see {@link #schemaTables}). */
  public MergeStarted(String branch, String source, String sourceCommit, String base, String head, String strategy,
      String message, Author author, long conflicts, List<TableConflicts> tables, String operation, Integer mainline) {
    this(branch, source, sourceCommit, base, head, strategy, message, author, conflicts, tables, operation, mainline,
        null);
  }

  /** A merge's. */
  public MergeStarted(String branch, String source, String sourceCommit, String base, String head, String strategy,
      String message, Author author, long conflicts, List<TableConflicts> tables) {
    this(branch, source, sourceCommit, base, head, strategy, message, author, conflicts, tables, MERGE, null);
  }

  /** Whether this is a merge (its commit has two parents), not a revert or cherry-pick (one). */
  public boolean mergesSource() {
    return MERGE.equals(operation);
  }

  /** One table of a merge: how many rows conflict, and the SHA-256 of their canonical form (null: none). */
  public record TableConflicts(String table, long conflicts, String conflictsHash) {}

  @Override
  public String subject() {
    return "branches/" + branch;
  }
}
