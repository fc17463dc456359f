package io.strata.server.domain;

import io.strata.events.Author;
import io.strata.events.BranchHeadMoved;
import io.strata.events.AppliedCommit;
import io.strata.events.MergeInfo;
import io.strata.events.StashCreated;
import io.strata.events.MergeStarted;
import io.strata.events.TableCounts;
import io.strata.events.TableBranchSchemaChanged;
import io.strata.events.TableShape;
import io.strata.projections.rowdata.ChangeSets.Captured;
import java.util.List;
import java.util.Map;

/** What clients ask of a repository. Imperative names; refs are already resolved where they can be. */
public final class Commands {
  private Commands() {}

  /** A command, of one family (each decided by its own decider in this package). */
  public sealed interface Command
      permits CreateRepository, DeleteRepository, BranchCommand, TagCommand, CommitCommand, TableCommand,
          MergeCommand, RebaseCommand, StashCommand, SetPromotionPolicy, PromotionCommand {}

  /** Branches: {@link BranchDecider}. */
  public sealed interface BranchCommand extends Command
      permits CreateBranch, DeleteBranch, SetBranchProtection, ResetBranch {}

  /** Tags: {@link TagDecider}. */
  public sealed interface TagCommand extends Command permits CreateTag, DeleteTag {}

  /** Commits and the working state: {@link CommitDecider}. */
  public sealed interface CommitCommand extends Command permits CreateCommit, RecordChanges, RecordRollback {}

  /** Merges, and merges in progress (reverts and cherry-picks are merges too): {@link MergeDecider}. */
  public sealed interface MergeCommand extends Command
      permits StartMerge, FastForward, MergeUpToDate, ResolveConflicts, AbortMerge, RecordMergeRollback {}

  /** Rebases: {@link RebaseDecider}. */
  public sealed interface RebaseCommand extends Command
      permits StartRebase, SkipRebaseStep, FinishRebase, AbortRebase {}

  /** Stashes: {@link StashDecider}. */
  public sealed interface StashCommand extends Command permits CreateStash, ApplyStash, DropStash {}

  /**
   * Sets the repository's promotion policy, validated and normalised ({@link PromotionPolicies}), with its digest;
   * {@code origin}: where the document came from, as the caller said (null: unsaid).
   */
  public record SetPromotionPolicy(io.strata.events.PromotionPolicy policy, String digest, String origin)
      implements Command {}

  public record CreateRepository(String name, String description, String defaultBranch, Author author)
      implements Command {}

  public record DeleteRepository(boolean force) implements Command {}

  /**
   * @param from the ref the client named (recorded on the event)
   * @param fromBranch with {@code start} null: start from this branch's head as it is when the command
   *     is decided (null = the default branch)
   * @param start the commit to start from, when the ref was not a plain branch name
   */
  /**
   * @param commitAdded per table, the columns the branch commit {@code start} was made on had added through
   *     Strata (the new branch has them too); empty when it starts at a branch's head
   * @param droppedOwn per table, the table's own columns the branch or commit it starts from does not read
   *     though the table had them there (dropped on its branch): the new branch does not read them either
   * @param commitRenamed per table, the columns the branch commit {@code start} was made on showed under other
   *     names (stored name to shown name): the new branch shows them so too; empty when it starts at a branch's
   *     head (it shows them as that branch does)
   */
  public record CreateBranch(String name, String from, String fromBranch, String start, boolean isProtected,
      Map<String, List<TableShape.Column>> commitAdded, Map<String, List<String>> droppedOwn,
      Map<String, Map<String, String>> commitRenamed, Map<String, List<TableShape.Column>> commitRedefined,
      Map<String, List<TableShape.Constraint>> commitConstraints, List<String> commitMade) implements BranchCommand {
    public CreateBranch {
      commitMade = commitMade == null ? List.of() : List.copyOf(commitMade);
      commitAdded = Map.copyOf(commitAdded);
      droppedOwn = Map.copyOf(droppedOwn);
      commitRenamed = Map.copyOf(commitRenamed);
      commitRedefined = commitRedefined == null ? Map.of() : Map.copyOf(commitRedefined);
      commitConstraints = commitConstraints == null ? Map.of() : Map.copyOf(commitConstraints);
    }

    public CreateBranch(String name, String from, String fromBranch, String start, boolean isProtected) {
      this(name, from, fromBranch, start, isProtected, Map.of(), Map.of(), Map.of(), Map.of(), Map.of(), List.of());
    }

    public CreateBranch(String name, String from, String fromBranch, String start, boolean isProtected,
        Map<String, List<TableShape.Column>> commitAdded, Map<String, List<String>> droppedOwn) {
      this(name, from, fromBranch, start, isProtected, commitAdded, droppedOwn, Map.of(), Map.of(), Map.of(),
          List.of());
    }

    /** The same creation, the new branch without {@code dropped}. */
    public CreateBranch withDroppedOwn(Map<String, List<String>> dropped) {
      return new CreateBranch(name, from, fromBranch, start, isProtected, commitAdded, dropped, commitRenamed,
          commitRedefined, commitConstraints, commitMade);
    }

    /** The same creation, the new branch showing columns as {@code renamed} names them (a start commit's). */
    public CreateBranch withCommitRenamed(Map<String, Map<String, String>> renamed) {
      return new CreateBranch(name, from, fromBranch, start, isProtected, commitAdded, droppedOwn, renamed,
          commitRedefined, commitConstraints, commitMade);
    }

    /** The same creation, the new branch defining the table's columns as {@code redefined} does (a start commit's). */
    public CreateBranch withCommitRedefined(Map<String, List<TableShape.Column>> redefined) {
      return new CreateBranch(name, from, fromBranch, start, isProtected, commitAdded, droppedOwn, commitRenamed,
          redefined, commitConstraints, commitMade);
    }

    /** The same creation, the new branch holding the checks {@code constraints} names (a start commit's). */
    public CreateBranch withCommitConstraints(Map<String, List<TableShape.Constraint>> constraints) {
      return new CreateBranch(name, from, fromBranch, start, isProtected, commitAdded, droppedOwn, commitRenamed,
          commitRedefined, constraints, commitMade);
    }

    /** The same creation, the new branch having the tables made on a branch that its start commit has. */
    public CreateBranch withCommitMade(List<String> made) {
      return new CreateBranch(name, from, fromBranch, start, isProtected, commitAdded, droppedOwn, commitRenamed,
          commitRedefined, commitConstraints, made);
    }
  }

  /**
   * @param checkedHead the head the command side examined
   * @param merged whether that head was reachable from another branch
   */
  public record DeleteBranch(String name, boolean force, String checkedHead, boolean merged)
      implements BranchCommand {}

  public record SetBranchProtection(String name, boolean isProtected) implements BranchCommand {}

  /**
   * @param tables the tables to commit (empty = every table with staged changes)
   * @param captured what the command side captured from the staged rows, in the commit's transaction
   * @param baseContent on a branch other than the default one, every tracked table's content at the
   *     branch's head (the recorded content is the default branch's); null otherwise
   * @param sourceMade the tables made on a branch that a merge's source commit has: the branch gets them with the
   *     merge commit, rows of them or none
   */
  public record CreateCommit(
      String branch, String message, Author author, String expectedHead, boolean allowEmpty,
      List<String> tables, List<Captured> captured,
      Map<String, TableContent> baseContent, MergeInfo merge, AppliedCommit applied, List<String> sourceMade,
      List<String> schemaTables)
      implements CommitCommand {
    public CreateCommit {
      tables = tables == null ? List.of() : List.copyOf(tables);
      captured = captured == null ? List.of() : List.copyOf(captured);
      baseContent = baseContent == null ? null : Map.copyOf(baseContent);
      sourceMade = sourceMade == null ? List.of() : List.copyOf(sourceMade);
      schemaTables = schemaTables == null ? null : List.copyOf(schemaTables);
    }

    /** A commit that records its branch's shapes of every table ({@code schemaTables} null). */
    public CreateCommit(String branch, String message, Author author, String expectedHead, boolean allowEmpty,
        List<String> tables, List<Captured> captured, Map<String, TableContent> baseContent, MergeInfo merge,
        AppliedCommit applied, List<String> sourceMade) {
      this(branch, message, author, expectedHead, allowEmpty, tables, captured, baseContent, merge, applied,
          sourceMade, null);
    }

    public CreateCommit(String branch, String message, Author author, String expectedHead, boolean allowEmpty,
        List<String> tables, List<Captured> captured, Map<String, TableContent> baseContent) {
      this(branch, message, author, expectedHead, allowEmpty, tables, captured, baseContent, null, null, null);
    }

    public CreateCommit withCaptured(List<Captured> rows, Map<String, TableContent> base) {
      return new CreateCommit(branch, message, author, expectedHead, allowEmpty, tables, rows, base, merge, applied,
          sourceMade, schemaTables);
    }

    /** The same commit, not empty without rows: it records schema changes made since the branch's head. */
    public CreateCommit recordingSchemaChanges() {
      return new CreateCommit(branch, message, author, expectedHead, true, tables, captured, baseContent, merge,
          applied, sourceMade, schemaTables);
    }

    /**
     * The same commit recording the branch's shapes of {@code shaped} only (null: of every table; the others keep the
     * head's record, their shape changes staying working changes); {@code changed}: one of those changed since the
     * head, so the commit is not empty without rows.
     */
    public CreateCommit recordingShapesOf(List<String> shaped, boolean changed) {
      return new CreateCommit(branch, message, author, expectedHead, allowEmpty || changed, tables, captured,
          baseContent, merge, applied, sourceMade, shaped);
    }

    /**
     * The same commit as the merge {@code info} concludes: its second parent is the merge's source, whose commit has
     * the tables made on a branch {@code made}.
     */
    public CreateCommit merging(MergeInfo info, List<String> made) {
      return new CreateCommit(branch, message, author, expectedHead, true, tables, captured, baseContent, info,
          applied, made, schemaTables);
    }

    /** The same commit as applying a revert, cherry-pick or rebase step: empty only if it allows that. */
    public CreateCommit applying(AppliedCommit info) {
      return new CreateCommit(branch, message, author, expectedHead, allowEmpty, tables, captured, baseContent, merge,
          info, sourceMade, schemaTables);
    }
  }

  /** A table's content on a branch: row count and the sum of its rows' hashes. */
  public record TableContent(long rowCount, String rowSum) {}

  /** One table's staged changes as captured for a commit: the change set's hash, counts, row-hash sum delta. */

  /** @param targetBranch tag that branch's head when decided; otherwise {@code commit} */
  public record CreateTag(String name, String targetBranch, String commit, String message, Author tagger)
      implements TagCommand {}

  public record DeleteTag(String name) implements TagCommand {}

  /** What happened to a branch's working changes in its tables' databases: staged, unstaged or discarded. */
  public enum ChangeKind { STAGED, UNSTAGED, DISCARDED }

  /**
   * Records a staging operation done on the working tree (rows concerned, per table; empty = nothing);
   * {@code write}: a REST row write that staged its own rows.
   */
  public record RecordChanges(ChangeKind kind, String branch, List<TableCounts> tables,
      boolean write) implements CommitCommand {}

  /**
   * Begins a merge into {@code branch} that stops before its commit (its rows are staged): what the merge's
   * data work found, per table the conflicts no strategy settled ({@code MergeStarted}'s fields but the
   * total, which the decision counts), and the tables whose shape it changed ({@code MergeStarted#schemaTables}).
   */
  public record StartMerge(String branch, String source, String sourceCommit, String base, String head,
      String strategy, String message, Author author, List<MergeStarted.TableConflicts> tables, String operation,
      Integer mainline, List<String> schemaTables) implements MergeCommand {
    public StartMerge {
      tables = List.copyOf(tables);
      schemaTables = schemaTables == null ? null : List.copyOf(schemaTables);
    }
  }

  /**
   * Moves {@code branch}'s head forward from {@code from} (the head the command side saw) to its
   * descendant {@code to}, the rows already moved (its tables' content there {@code contents});
   * {@code rebase}: a rebase with nothing to replay, not a merge.
   */
  public record FastForward(String branch, String from, String to, List<BranchHeadMoved.TableContent> contents,
      boolean rebase, List<String> gained) implements MergeCommand {
    public FastForward {
      gained = gained == null ? List.of() : List.copyOf(gained);
    }

    /** A fast-forward that brings no table made on another branch. */
    public FastForward(String branch, String from, String to, List<BranchHeadMoved.TableContent> contents,
        boolean rebase) {
      this(branch, from, to, contents, rebase, List.of());
    }
  }

  /**
   * Begins a rebase of {@code branch}, at {@code head} as the command side saw it, onto {@code ontoCommit}
   * ({@code onto} as the client named it), replaying {@code commits} (oldest first): the branch moved to
   * {@code ontoCommit} (the data work done, its tables' content there {@code contents}).
   */
  public record StartRebase(String branch, String onto, String ontoCommit, String head, List<String> commits,
      Author author, List<BranchHeadMoved.TableContent> contents, List<String> commitMade) implements RebaseCommand {
    public StartRebase {
      commitMade = commitMade == null ? List.of() : List.copyOf(commitMade);
    }

    /** A rebase onto a commit that has no table made on a branch. */
    public StartRebase(String branch, String onto, String ontoCommit, String head, List<String> commits,
        Author author, List<BranchHeadMoved.TableContent> contents) {
      this(branch, onto, ontoCommit, head, commits, author, contents, List.of());
    }
  }

  /** Skips {@code commit}, the next step of the rebase in progress on {@code branch}. */
  public record SkipRebaseStep(String branch, String commit) implements RebaseCommand {}

  /** Ends the rebase in progress on {@code branch}, every step replayed, the branch at {@code head}. */
  public record FinishRebase(String branch, String head) implements RebaseCommand {}

  /**
   * Abandons the rebase in progress on {@code branch}: the branch goes back to its head before it, its
   * tables' content there {@code contents} (the data work done; null when the branch is there already).
   */
  public record AbortRebase(String branch, List<BranchHeadMoved.TableContent> contents) implements RebaseCommand {}

  /**
   * Saves a branch's working changes as a stash (the data work done, the branch back at its head): its rows, and
   * the shapes of {@code schemaTables}, which {@code schema} puts back to the head's.
   */
  public record CreateStash(String branch, String id, String message, String head, Author author,
      List<StashCreated.StashedTable> tables, List<String> schemaTables, List<TableBranchSchemaChanged> schema)
      implements StashCommand {
    public CreateStash {
      schemaTables = List.copyOf(schemaTables);
      schema = List.copyOf(schema);
    }

    public CreateStash(String branch, String id, String message, String head, Author author,
        List<StashCreated.StashedTable> tables) {
      this(branch, id, message, head, author, tables, List.of(), List.of());
    }
  }

  /**
   * Applies a branch's stash to its working state (the data work done; {@code schema}: the shapes it held given
   * back); popped: drops it too.
   */
  public record ApplyStash(String branch, String id, boolean popped, List<TableCounts> tables,
      List<TableBranchSchemaChanged> schema) implements StashCommand {
    public ApplyStash {
      schema = List.copyOf(schema);
    }

    public ApplyStash(String branch, String id, boolean popped, List<TableCounts> tables) {
      this(branch, id, popped, tables, List.of());
    }
  }

  /** Drops the stash {@code stash} names on {@code branch}: its index (0: the newest) or its id. */
  public record DropStash(String branch, String stash) implements StashCommand {}

  /**
   * Moves a branch's head to an existing commit (reset hard or soft); a protected branch only with
   * {@code force}, from a caller allowed to administer the repository ({@code mayForce}).
   */
  /**
   * @param schema for a hard reset of a branch other than the default one, the changes that gave the branch
   *     the columns it had added at {@code to} (its objects changed already), recorded before the head moves
   */
  public record ResetBranch(String branch, String from, String to, boolean hard,
      List<BranchHeadMoved.TableContent> contents, boolean force, boolean mayForce,
      List<TableBranchSchemaChanged> schema, List<String> commitMade) implements BranchCommand {
    public ResetBranch {
      schema = schema == null ? List.of() : List.copyOf(schema);
      commitMade = commitMade == null ? List.of() : List.copyOf(commitMade);
    }

    public ResetBranch(String branch, String from, String to, boolean hard, List<BranchHeadMoved.TableContent> contents,
        boolean force, boolean mayForce) {
      this(branch, from, to, hard, contents, force, mayForce, List.of(), List.of());
    }
  }

  /** A merge that finds the source already merged: nothing to do, but the branch must exist. */
  public record MergeUpToDate(String branch) implements MergeCommand {}

  /**
   * Records resolutions of the conflicts of the merge in progress on {@code branch} (the rows are written):
   * which were chosen ({@code table}, {@code key}, {@code field}: null for all), the side taken, how many
   * were settled and how many are left.
   */
  public record ResolveConflicts(String branch, String table, String key, String field, String take, long resolved,
      long remaining) implements MergeCommand {}

  /** Ends the merge in progress on {@code branch} without its commit ({@code tables} are back at the branch's head). */
  public record AbortMerge(String branch, List<String> tables) implements MergeCommand {
    public AbortMerge {
      tables = List.copyOf(tables);
    }
  }

  /**
   * Records that the recovery sweep put an abandoned commit attempt's captured changes back: in
   * {@code storages}, {@code rows} rows of {@code tables}.
   */
  public record RecordRollback(String branch, String attempt, List<String> storages, List<String> tables, long rows)
      implements CommitCommand {}

  /** Records that recovery undid a merge (or stash) never appended: in {@code storages}, {@code rows} rows of {@code tables}. */
  public record RecordMergeRollback(String branch, String attempt, List<String> storages, List<String> tables,
      long rows) implements MergeCommand {}
}
