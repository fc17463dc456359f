package io.strata.server.domain;

import io.strata.events.Author;
import io.strata.events.BranchHeadMoved;
import io.strata.events.AppliedCommit;
import io.strata.events.MergeInfo;
import io.strata.events.StashCreated;
import io.strata.events.MergeStarted;
import io.strata.events.TableCounts;
import io.strata.events.TableColumn;
import io.strata.events.TableSchemaChanged;
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
          MergeCommand, RebaseCommand, StashCommand {}

  /** Branches: {@link BranchDecider}. */
  public sealed interface BranchCommand extends Command
      permits CreateBranch, DeleteBranch, SetBranchProtection, ResetBranch {}

  /** Tags: {@link TagDecider}. */
  public sealed interface TagCommand extends Command permits CreateTag, DeleteTag {}

  /** Commits and the working state: {@link CommitDecider}. */
  public sealed interface CommitCommand extends Command permits CreateCommit, RecordChanges, RecordRollback {}

  /** Storages and tracked tables: {@link TableDecider}. */
  public sealed interface TableCommand extends Command
      permits AddStorage, RemoveStorage, TrackTable, UntrackTable, RecordSchemaChange, RecordSchemaDrift,
      BranchSchemaCommand, PlaceTable, DropTable, LeaveTable {}

  /**
   * Drops table {@code name} from branch {@code branch} (not the default one), where it was made on a branch and is
   * not yet in the default branch, and no other branch has it: it goes from the repository (a commit on the branch
   * records it).
   */
  public record DropTable(String name, String branch, Author author) implements TableCommand {}

  /**
   * Branch {@code branch} (not the default one) gives up table {@code name}, made on a branch and not yet in the
   * default branch, which other branches keep: {@code commit} on it records the deletion of every row it had of it.
   */
  public record LeaveTable(String name, String branch, CreateCommit commit) implements TableCommand {}

  /**
   * Records that table {@code name}, made on a branch, is at its place on the default branch now (a merge into it
   * moved it there before its rows), its key's constraint named {@code keyConstraint} there (null: as recorded):
   * nothing when it is not made on a branch (placed already).
   */
  public record PlaceTable(String name, String keyConstraint) implements TableCommand {}

  /** A table's shape on a branch other than the default one: {@link BranchSchemaDecider}. */
  public sealed interface BranchSchemaCommand extends TableCommand permits AddBranchColumns, DropBranchColumns,
      AlterBranchColumns, RenameBranchColumns, RedefineBranchColumns, AddBranchConstraints, DropBranchConstraints {
    String table();

    String branch();

    boolean validateOnly();
  }

  /** Merges, and merges in progress (reverts and cherry-picks are merges too): {@link MergeDecider}. */
  public sealed interface MergeCommand extends Command
      permits StartMerge, FastForward, MergeUpToDate, ResolveConflicts, AbortMerge, RecordMergeRollback {}

  /** Rebases: {@link RebaseDecider}. */
  public sealed interface RebaseCommand extends Command
      permits StartRebase, SkipRebaseStep, FinishRebase, AbortRebase {}

  /** Stashes: {@link StashDecider}. */
  public sealed interface StashCommand extends Command permits CreateStash, ApplyStash, DropStash {}

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
      Map<String, TableContent> baseContent, MergeInfo merge, AppliedCommit applied, List<String> sourceMade)
      implements CommitCommand {
    public CreateCommit {
      tables = tables == null ? List.of() : List.copyOf(tables);
      captured = captured == null ? List.of() : List.copyOf(captured);
      baseContent = baseContent == null ? null : Map.copyOf(baseContent);
      sourceMade = sourceMade == null ? List.of() : List.copyOf(sourceMade);
    }

    public CreateCommit(String branch, String message, Author author, String expectedHead, boolean allowEmpty,
        List<String> tables, List<Captured> captured, Map<String, TableContent> baseContent) {
      this(branch, message, author, expectedHead, allowEmpty, tables, captured, baseContent, null, null, null);
    }

    public CreateCommit withCaptured(List<Captured> rows, Map<String, TableContent> base) {
      return new CreateCommit(branch, message, author, expectedHead, allowEmpty, tables, rows, base, merge, applied,
          sourceMade);
    }

    /** The same commit, not empty without rows: it records schema changes made since the branch's head. */
    public CreateCommit recordingSchemaChanges() {
      return new CreateCommit(branch, message, author, expectedHead, true, tables, captured, baseContent, merge,
          applied, sourceMade);
    }

    /**
     * The same commit as the merge {@code info} concludes: its second parent is the merge's source, whose commit has
     * the tables made on a branch {@code made}.
     */
    public CreateCommit merging(MergeInfo info, List<String> made) {
      return new CreateCommit(branch, message, author, expectedHead, true, tables, captured, baseContent, info,
          applied, made);
    }

    /** The same commit as applying a revert, cherry-pick or rebase step: empty only if it allows that. */
    public CreateCommit applying(AppliedCommit info) {
      return new CreateCommit(branch, message, author, expectedHead, allowEmpty, tables, captured, baseContent, merge,
          info, sourceMade);
    }
  }

  /** A table's content on a branch: row count and the sum of its rows' hashes. */
  public record TableContent(long rowCount, String rowSum) {}

  /** One table's staged changes as captured for a commit: the change set's hash, counts, row-hash sum delta. */

  /** @param targetBranch tag that branch's head when decided; otherwise {@code commit} */
  public record CreateTag(String name, String targetBranch, String commit, String message, Author tagger)
      implements TagCommand {}

  public record DeleteTag(String name) implements TagCommand {}

  /**
   * Registers a storage connection (already validated and checked to connect): where it is, and where
   * its password is read at connect time (never the password).
   */
  public record AddStorage(String name, String type, String host, int port, String database, String username,
      String passwordEnv, String passwordFile) implements TableCommand {}

  public record RemoveStorage(String name) implements TableCommand {}

  /**
   * Tracks a table whose catalog facts the command side has read (its place, key, columns and full
   * shape) and whose rows it measured (count, row-hash sum); recorded by a commit on the default branch.
   */
  public record TrackTable(String name, String storage, String schema, String table, List<String> primaryKey,
      List<TableColumn> columns, TableShape shape, long rowCount, String rowSum, Author author, Making making)
      implements TableCommand {
    public TrackTable {
      primaryKey = List.copyOf(primaryKey);
      columns = List.copyOf(columns);
    }

    /** A table found in its storage, not made by Strata. */
    public TrackTable(String name, String storage, String schema, String table, List<String> primaryKey,
        List<TableColumn> columns, TableShape shape, long rowCount, String rowSum, Author author) {
      this(name, storage, schema, table, primaryKey, columns, shape, rowCount, rowSum, author, null);
    }
  }

  /**
   * A table Strata made, on {@code branch}: at its place ({@code schema.table}) when that is the default branch;
   * on another, at a place of Strata's own (the command's), its place the default branch gets it at by a merge.
   */
  public record Making(String branch, String schema, String table) {}

  public record UntrackTable(String name, Author author) implements TableCommand {}

  /**
   * Records the shape a tracked table has after DDL made on it (the default branch's working state)
   * that its backend followed ({@code statements}, oldest first): nothing when the recorded shape is
   * that one already (the DDL changed nothing Strata records, or another server recorded it first),
   * when its columns are not the recorded ones (DDL let past the guard: drift, reported as such) or
   * when the table is no longer tracked; nothing either when a change through a newer command
   * ({@code ddlThrough}: the newest command's id in the table's database) is recorded already.
   */
  /**
   * @param columnsFollowed whether what versions the table records its rows in the shape's columns (the
   *     DDL guard followed the columns added): else columns added are drift, not a followed change
   */
  /**
   * @param migration the statements that turn the recorded shape into {@code shape}, as the caller wrote
   *     them from the state it decides in (see {@link TableSchemaChanged#migration})
   */
  public record RecordSchemaChange(String name, TableShape shape,
      List<TableSchemaChanged.Statement> statements, long ddlThrough, boolean columnsFollowed, List<String> migration)
      implements TableCommand {
    public RecordSchemaChange {
      statements = List.copyOf(statements);
      migration = List.copyOf(migration);
    }

    /** Without migration statements: for a decision that records none (tests of the rules alone). */
    public RecordSchemaChange(String name, TableShape shape, List<TableSchemaChanged.Statement> statements,
        long ddlThrough, boolean columnsFollowed) {
      this(name, shape, statements, ddlThrough, columnsFollowed, List.of());
    }
  }

  /**
   * Records the shape a tracked table has now, found without the DDL guard's help (DDL made where the
   * guard is not installed, or by a session that turned it off: drift), as its shape on the default
   * branch. Refused when {@code expectedShapeHash} is given and the recorded shape is another one by now,
   * when the table's columns are not the recorded ones (column changes are not versioned on the default
   * branch yet) and when its key no longer identifies its rows ({@code keyHolds}, read with the shape);
   * nothing when the shape is recorded already. {@code ddlThrough}: the newest DDL command the guard filed
   * for the table when the shape was read (0: none), so that a follower's round that read fewer commands
   * records nothing over it.
   */
  public record RecordSchemaDrift(String name, TableShape shape, boolean keyHolds, long ddlThrough,
      String expectedShapeHash, Author author, List<String> migration) implements TableCommand {
    public RecordSchemaDrift {
      migration = List.copyOf(migration);
    }
  }

  /**
   * Adds columns to what a branch other than the default one reads of a tracked table (their
   * definitions normalised by the table's database: type as it formats it, default as the constant
   * expression it keeps), without touching the table: the branch's objects take them. {@code validateOnly}:
   * decided, nothing appended.
   */
  public record AddBranchColumns(String table, String branch, List<TableShape.Column> columns, boolean validateOnly)
      implements BranchSchemaCommand {
    public AddBranchColumns {
      columns = List.copyOf(columns);
    }
  }

  /**
   * Drops columns a branch added ({@code names}, in order) from its shape of {@code table}: its objects
   * lose them, the table is not touched. {@code validateOnly}: decided, nothing appended.
   */
  public record DropBranchColumns(String table, String branch, List<String> names, boolean validateOnly)
      implements BranchSchemaCommand {
    public DropBranchColumns {
      names = List.copyOf(names);
    }
  }

  /**
   * Changes the type or nullability of columns a branch added: {@code columns} are their definitions after
   * (normalised by the table's database), {@code from} the definitions they were worked out from, which the
   * branch must still have (else the shape moved meanwhile: 409). {@code validateOnly}: decided, nothing
   * appended.
   */
  public record AlterBranchColumns(String table, String branch, List<TableShape.Column> from,
      List<TableShape.Column> columns, boolean validateOnly) implements BranchSchemaCommand {
    public AlterBranchColumns {
      from = List.copyOf(from);
      columns = List.copyOf(columns);
    }
  }

  /**
   * Changes the nullability or default of columns of the table's own on a branch: {@code columns} are their
   * definitions after (the default normalised by the table's database), {@code from} the definitions the branch
   * had when the change was worked out (the table's, or its own), which it must still have (else 409). By
   * stored name. {@code validateOnly}: decided, nothing appended.
   */
  public record RedefineBranchColumns(String table, String branch, List<TableShape.Column> from,
      List<TableShape.Column> columns, boolean validateOnly) implements BranchSchemaCommand {
    public RedefineBranchColumns {
      from = List.copyOf(from);
      columns = List.copyOf(columns);
    }
  }

  /**
   * Adds rules of a branch's own: CHECK constraints its rows keep to, as the table's database defined them, or
   * indexes (rules of kind {@link TableShape#INDEX}); per rule the stored names of the columns it names ({@code
   * named}). {@code validateOnly}: decided, nothing
   * appended.
   */
  public record AddBranchConstraints(String table, String branch, List<TableShape.Constraint> checks,
      Map<String, List<String>> named, boolean validateOnly) implements BranchSchemaCommand {
    public AddBranchConstraints {
      checks = List.copyOf(checks);
      named = Map.copyOf(named);
    }
  }

  /**
   * Drops rules a branch added, by name: of {@code kind} ({@code check}, or {@link TableShape#INDEX}; null: either,
   * as a merge carries drops). {@code validateOnly}: decided, nothing appended.
   */
  public record DropBranchConstraints(String table, String branch, List<String> names, String kind,
      boolean validateOnly) implements BranchSchemaCommand {
    public DropBranchConstraints {
      names = List.copyOf(names);
    }
  }

  /**
   * Shows columns of a branch's shape of {@code table} under other names: each rename names the column as the
   * branch shows it ({@code from}) and the name it shows it under after ({@code to}), in order. The column keeps
   * the name it is stored under: no row, image or object but the branch's views changes. {@code validateOnly}:
   * decided, nothing appended.
   */
  public record RenameBranchColumns(String table, String branch, List<Rename> renames, Map<String, String> renamedAfter,
      boolean validateOnly) implements BranchSchemaCommand {
    public RenameBranchColumns {
      renames = List.copyOf(renames);
      renamedAfter = renamedAfter == null ? null : Map.copyOf(renamedAfter);
    }

    /** Renames in order, each checked against the names the previous ones left (as SQL's RENAME COLUMN). */
    public RenameBranchColumns(String table, String branch, List<Rename> renames, boolean validateOnly) {
      this(table, branch, renames, null, validateOnly);
    }

    /**
     * The branch showing its columns under the names {@code renamedAfter} gives them (stored name to shown
     * name; every column it renames), checked as a whole: a merge carrying renames, a swap among them.
     */
    public static RenameBranchColumns toNames(String table, String branch, Map<String, String> renamedAfter) {
      return new RenameBranchColumns(table, branch, List.of(), renamedAfter, false);
    }
  }

  /** One column shown under another name: {@code from} (as the branch shows it now) becomes {@code to}. */
  public record Rename(String from, String to) {}

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
   * total, which the decision counts).
   */
  public record StartMerge(String branch, String source, String sourceCommit, String base, String head,
      String strategy, String message, Author author, List<MergeStarted.TableConflicts> tables, String operation,
      Integer mainline) implements MergeCommand {
    public StartMerge {
      tables = List.copyOf(tables);
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

  /** Saves a branch's working changes as a stash (the data work done, the branch back at its head). */
  public record CreateStash(String branch, String id, String message, String head, Author author,
      List<StashCreated.StashedTable> tables) implements StashCommand {}

  /** Applies a branch's stash to its working state (the data work done); popped: drops it too. */
  public record ApplyStash(String branch, String id, boolean popped, List<TableCounts> tables) implements StashCommand {}

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
