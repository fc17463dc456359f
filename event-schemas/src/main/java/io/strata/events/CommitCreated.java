package io.strata.events;

import java.time.Instant;
import java.util.List;

/**
 * A commit was created and, when {@code branch} is set, that branch's head moved to it. The {@code id}
 * is {@link CommitIds#of} of the other content fields, so the same content always gives the same id.
 * A merge commit has two parents (the branch's head, then the source) and its {@code merge}; any other
 * has none (v1 of this event had no {@code merge}: read as null). A commit that reverts or cherry-picks
 * another names it in {@code applied} (v2 had none: read as null).
 *
 * <p>{@code schemaTables}: on a branch other than the default one, the tables whose shape on the branch the commit
 * records (columns, names, definitions, checks, indexes the branch gave them); every other table keeps the record of
 * the commit's first parent, its shape changes staying working changes (a commit that makes, drops or gives up a
 * table on a branch names that table alone). Null: every table (a merge, revert, cherry-pick or rebase step, a commit
 * on the default branch, and every commit before v4).
 */
public record CommitCreated(
    String id,
    String branch,
    List<String> parents,
    String tree,
    String message,
    Author author,
    Instant createdAt,
    CommitStats stats,
    List<TableChange> changes,
    MergeInfo merge,
    AppliedCommit applied,
    List<String> schemaTables)
    implements StrataEvent {

  public CommitCreated {
    parents = List.copyOf(parents);
    changes = changes == null ? List.of() : List.copyOf(changes);
    schemaTables = schemaTables == null ? null : List.copyOf(schemaTables);
  }

  /** A commit that records its branch's shapes of every table (see {@link #schemaTables}). */
  public CommitCreated(String id, String branch, List<String> parents, String tree, String message, Author author,
      Instant createdAt, CommitStats stats, List<TableChange> changes, MergeInfo merge, AppliedCommit applied) {
    this(id, branch, parents, tree, message, author, createdAt, stats, changes, merge, applied, null);
  }

  /** A commit that merges nothing. */
  public CommitCreated(String id, String branch, List<String> parents, String tree, String message, Author author,
      Instant createdAt, CommitStats stats, List<TableChange> changes) {
    this(id, branch, parents, tree, message, author, createdAt, stats, changes, null, null);
  }

  /** A commit that applies no other. */
  public CommitCreated(String id, String branch, List<String> parents, String tree, String message, Author author,
      Instant createdAt, CommitStats stats, List<TableChange> changes, MergeInfo merge) {
    this(id, branch, parents, tree, message, author, createdAt, stats, changes, merge, null);
  }

  /** Whether this commit concludes a merge, revert or cherry-pick in progress on its branch (if one is). */
  public boolean concludesOperation() {
    return merge != null || applied != null;
  }

  @Override
  public String subject() {
    return "commits/" + id;
  }
}
