package io.strata.server.domain;

import static io.strata.server.domain.CommitDecider.nextCommit;
import static io.strata.server.domain.CommitDecider.nextCommitOf;
import static io.strata.server.domain.Guards.requireNoMerge;

import io.strata.events.CommitIds;
import io.strata.events.CommitStats;
import io.strata.events.StorageRemoved;
import io.strata.events.StrataEvent;
import io.strata.events.StorageAdded;
import io.strata.events.TableColumn;
import io.strata.events.TableSchemaChanged;
import io.strata.events.TableTracked;
import io.strata.events.TableMadeOnBranch;
import io.strata.events.TablePlaced;
import io.strata.events.TableUntracked;
import io.strata.server.domain.TableCommand.AddStorage;
import io.strata.server.domain.TableCommand.RecordSchemaChange;
import io.strata.server.domain.TableCommand.RecordSchemaDrift;
import io.strata.server.domain.TableCommand.RemoveStorage;
import io.strata.server.domain.TableCommand;
import io.strata.server.domain.TableCommand.TrackTable;
import io.strata.server.domain.TableCommand.UntrackTable;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Storages and tracked tables: a storage registered once and removed while no tracked table is in it; a
 * table tracked once (by name and by place), in a registered storage, and untracked while no merge holds
 * rows, each recorded by a commit on the default branch. Pure.
 */
public final class TableDecider {
  /** The command of a drift's recording, in place of the DDL commands nobody filed. */
  public static final String DRIFT_RECORDED = "RECORD DRIFT";

  private TableDecider() {}

  public static List<StrataEvent> decide(RepositoryState state, TableCommand command, Instant now) {
    if (command instanceof AddStorage c) {
      String name = c.name();
      if (state.storages().containsKey(name) || name.equals(Storages.LOCAL)) {
        throw new StrataException(ErrorCode.StorageAlreadyExists, "storage '" + name + "' already exists",
            Map.of("storage", name));
      }
      return List.of(c.storage());
    }
    if (command instanceof RemoveStorage c) {
      if (!state.storages().containsKey(c.name())) {
        throw new StrataException(ErrorCode.StorageNotFound, "storage '" + c.name() + "' does not exist",
            Map.of("storage", c.name()));
      }
      state.tables().values().stream().filter(t -> t.storage().equals(c.name())).findFirst().ifPresent(t -> {
        throw new StrataException(ErrorCode.StorageInUse,
            "storage '" + c.name() + "' holds tracked table '" + t.name() + "'; untrack it first",
            Map.of("storage", c.name(), "table", t.name()));
      });
      return List.of(new StorageRemoved(c.name()));
    }
    if (command instanceof TrackTable c) {
      return trackTable(state, c, now);
    }
    if (command instanceof RecordSchemaChange c) {
      return recordSchemaChange(state, c);
    }
    if (command instanceof TableCommand.HoldOwedUniques) {
      return List.of(); // the branch's objects changed, nothing the log records (they are no event's projection)
    }
    if (command instanceof RecordSchemaDrift c) {
      return recordSchemaDrift(state, c, now);
    }
    if (command instanceof TableCommand.DropTable c) {
      return dropTable(state, c, now);
    }
    if (command instanceof TableCommand.LeaveTable c) {
      return leaveTable(state, c, now);
    }
    if (command instanceof TableCommand.PlaceTable c) {
      requireNoMerge(state, state.defaultBranch());
      return state.madeTables().of(c.name()).map(m -> List.<StrataEvent>of(new TablePlaced(c.name(), m.schema(),
          m.table(), c.keyConstraint() == null ? null
              : state.tables().get(c.name()).knownShape().withKeyConstraint(c.keyConstraint())))).orElse(List.of());
    }
    if (command instanceof BranchSchemaCommand c) {
      return BranchSchemaDecider.decide(state, c);
    }
    return untrackTable(state, (UntrackTable) command, now);
  }

  private static List<StrataEvent> trackTable(RepositoryState state, TrackTable c, Instant now) {
    TableTracked t = new TableTracked(c.name(), c.storage(), c.schema(), c.table(), c.primaryKey(), c.columns(),
        c.rowCount(), c.rowSum(), TableTracked.contentHash(c.rowCount(), c.rowSum()), c.shape());
    String branch = c.making() == null ? state.defaultBranch() : c.making().branch();
    if (state.branch(branch) == null) {
      throw new StrataException(ErrorCode.BranchNotFound, "branch '" + branch + "' does not exist",
          Map.of("branch", branch));
    }
    requireNoMerge(state, branch);
    boolean onBranch = !branch.equals(state.defaultBranch());
    if (onBranch) {
      // its place on the default branch is claimed by no table, tracked there or made on another branch
      requirePlaceFree(state, c.name(), c.storage(), c.making().schema(), c.making().table());
    }
    if (state.tables().containsKey(t.name())) {
      throw new StrataException(ErrorCode.TableAlreadyExists, "table '" + t.name() + "' is already tracked",
          Map.of("table", t.name()));
    }
    if (!onBranch) {
      requirePlaceFree(state, t.name(), t.storage(), t.schema(), t.table());
    }
    if (!t.storage().equals(Storages.LOCAL) && !state.storages().containsKey(t.storage())) {
      throw Storages.notFound(t.storage());
    }
    List<TableTracked> after = new ArrayList<>(state.tables().values());
    after.add(t);
    StrataEvent commit = nextCommitOf(state, branch, t.name(), (c.making() != null ? "Create table " : "Track table ")
        + t.name(), c.author(), now, new CommitStats(1, 0, 0, 0), CommitIds.treeOf(after));
    return onBranch
        ? List.of(t, new TableMadeOnBranch(t.name(), branch, c.making().schema(), c.making().table()), commit)
        : List.of(t, commit);
  }

  /**
   * A branch gives up a table made on a branch that others keep: it has it no more from the commit that deletes its
   * rows of it (the commit, decided as any, comes after the branches change, so it does not have the table).
   */
  private static List<StrataEvent> leaveTable(RepositoryState state, TableCommand.LeaveTable c, Instant now) {
    List<String> rest = othersKeeping(state, c.name(), c.branch());
    if (rest.isEmpty()) {
      throw new StrataException(ErrorCode.ConcurrentWrite, "table '" + c.name() + "' is on '" + c.branch() + "' alone now:"
          + " drop it again", Map.of("table", c.name()));
    }
    List<StrataEvent> events = new ArrayList<>();
    events.add(new io.strata.events.TableBranchesChanged(c.name(), rest));
    events.addAll(CommitDecider.decide(state, c.commit(), now));
    return events;
  }

  /**
   * The other branches that have table {@code name}, made on a branch, which {@code branch} (not the default one)
   * has; refused (404, 422) otherwise, and while a merge is in progress (it may hold its rows).
   */
  public static List<String> othersKeeping(RepositoryState state, String name, String branch) {
    Guards.requireBranch(state, branch);
    state.branches().keySet().forEach(b -> requireNoMerge(state, b));
    if (!state.hasTable(name, branch)) {
      throw new StrataException(ErrorCode.TableNotFound, "table '" + name + "' is not on branch '" + branch
          + "'", Map.of("table", name));
    }
    BranchMadeTables.Made made = state.madeTables().of(name).orElse(null);
    if (branch.equals(state.defaultBranch()) || made == null) {
      throw new StrataException(ErrorCode.ValidationError, "table '" + name + "' is the default branch's: a"
          + " branch drops only the tables made on a branch that the default branch does not have yet (untrack it"
          + " with DELETE …/tables/" + name + ": its data stays)", Map.of("table", name, "branch", branch));
    }
    return made.branches().stream().filter(b -> !b.equals(branch)).toList();
  }

  private static List<StrataEvent> dropTable(RepositoryState state, TableCommand.DropTable c, Instant now) {
    List<String> rest = othersKeeping(state, c.name(), c.branch());
    if (!rest.isEmpty()) {
      throw new StrataException(ErrorCode.ConcurrentWrite, "table '" + c.name() + "' is on " + rest + " too now: drop it"
          + " again", Map.of("table", c.name(), "branches", rest));
    }
    List<TableTracked> after = state.tables().values().stream().filter(t -> !t.name().equals(c.name())).toList();
    return List.of(new TableUntracked(c.name()), nextCommitOf(state, c.branch(), c.name(), "Drop table " + c.name(),
        c.author(), now, new CommitStats(1, 0, 0, 0), CommitIds.treeOf(after)));
  }

  private static void requirePlaceFree(RepositoryState state, String name, String storage, String schema,
      String table) {
    state.tables().values().stream()
        .filter(o -> o.storage().equals(storage) && o.schema().equals(schema) && o.table().equals(table))
        .findFirst()
        .ifPresent(o -> {
          throw new StrataException(ErrorCode.TableAlreadyExists, schema + "." + table + " is already tracked as '"
              + o.name() + "'", Map.of("table", o.name()));
        });
    state.madeTables().all().forEach((other, m) -> {
      if (!other.equals(name) && m.schema().equals(schema) && m.table().equals(table)
          && state.tables().get(other).storage().equals(storage)) {
        throw new StrataException(ErrorCode.TableAlreadyExists, "table '" + other + "', made on branch '" + m.branch()
            + "', goes to " + schema + "." + table + " on the default branch", Map.of("table", other));
      }
    });
  }

  private static List<StrataEvent> recordSchemaChange(RepositoryState state, RecordSchemaChange c) {
    TableTracked t = state.tables().get(c.name());
    // columns added after the others, and types a merge promoted, are recorded when the guard followed them
    // (Strata's objects have them)
    boolean followedColumns = t != null && (ColumnLayouts.same(c.shape().tableColumns(), t.columns())
        || c.columnsFollowed() && (ColumnLayouts.appended(c.shape().tableColumns(), t.columns())
            || ColumnLayouts.retyped(c.shape().tableColumns(), t.columns())));
    if (t == null || c.statements().isEmpty() || !followedColumns
        || c.ddlThrough() <= state.ddlRecordedThrough(c.name())) {
      return List.of();
    }
    String previous = t.knownShape().hash();
    String now = c.shape().hash();
    if (previous.equals(now)) {
      return List.of();
    }
    return List.of(new TableSchemaChanged(c.name(), state.defaultBranch(), c.shape(), now, previous, c.statements(),
        c.ddlThrough(), branchColumnsAfter(state, t, c.shape().tableColumns()), c.migration()));
  }

  /**
   * The branches whose columns are not the table's once its columns are {@code now}: those that had
   * their own keep them, and every other live branch keeps the table's columns before the change (the
   * DDL guard gave each branch reading the table a row type of its own in the DDL's transaction).
   */
  static List<TableSchemaChanged.BranchColumns> branchColumnsAfter(RepositoryState state, TableTracked t,
      List<TableColumn> now) {
    boolean changed = !ColumnLayouts.same(now, t.columns());
    return state.branches().keySet().stream().filter(b -> !b.equals(state.defaultBranch())).sorted()
        .map(b -> state.hasOwnColumns(t.name(), b) || changed
            ? new TableSchemaChanged.BranchColumns(b, state.columnsOn(t.name(), b)) : null)
        // a branch that added columns keeps them as its own, whatever the table gained since
        .filter(b -> b != null && (!ColumnLayouts.same(b.columns(), now) || !state.addedOn(t.name(), b.branch()).isEmpty()))
        .toList();
  }

  /**
   * A drift recorded: the shape found now becomes the default branch's, compared and set against the
   * shape the caller saw (a follower's round or another recording in between refuses it, to be looked at
   * again). It covers the DDL commands recorded so far and none newer: the follower records those after it.
   */
  private static List<StrataEvent> recordSchemaDrift(RepositoryState state, RecordSchemaDrift c, Instant now) {
    TableTracked t = state.tables().get(c.name());
    if (t == null) {
      throw new StrataException(ErrorCode.TableNotFound, "table '" + c.name() + "' is not tracked",
          Map.of("table", c.name()));
    }
    String previous = t.knownShape().hash();
    if (c.expectedShapeHash() != null && !c.expectedShapeHash().equals(previous)) {
      throw new StrataException(ErrorCode.SchemaMoved, "table '" + c.name() + "' has another recorded shape by now ("
          + previous + "); look at its drift again", Map.of("table", c.name(), "recorded_hash", previous));
    }
    ColumnLayouts.requireSame(c.name(), c.shape().tableColumns(), t.columns());
    if (!c.keyHolds()) {
      throw new StrataException(ErrorCode.ValidationError, "table '" + c.name() + "''s key (" + String.join(", ",
          t.primaryKey()) + ") no longer identifies its rows (NOT NULL columns under a valid unique index over exactly"
          + " those): revert the change (GET …/tables/" + c.name() + "/schema gives the statements)",
          Map.of("table", c.name()));
    }
    if (previous.equals(c.shape().hash())) {
      return List.of();
    }
    String name = c.author().name() == null || c.author().name().isBlank() ? "strata" : c.author().name();
    String user = name.codePointCount(0, name.length()) > 63 ? name.substring(0, name.offsetByCodePoints(0, 63)) : name;
    return List.of(new TableSchemaChanged(c.name(), state.defaultBranch(), c.shape(), c.shape().hash(), previous,
        List.of(new TableSchemaChanged.Statement(DRIFT_RECORDED, identity(t.schema()) + "." + identity(t.table()),
            user, now)),
        Math.max(c.ddlThrough(), state.ddlRecordedThrough(c.name())), state.branchColumns(c.name()), c.migration()));
  }

  /** A name as PostgreSQL's object identities write it: quoted when it must be. */
  private static String identity(String name) {
    return name.matches("[a-z_][a-z0-9_$]*") ? name : "\"" + name.replace("\"", "\"\"") + "\"";
  }

  private static List<StrataEvent> untrackTable(RepositoryState state, UntrackTable c, Instant now) {
    state.branches().keySet().forEach(b -> requireNoMerge(state, b)); // a merge in progress may hold its rows
    if (!state.tables().containsKey(c.name())) {
      throw new StrataException(ErrorCode.TableNotFound, "table '" + c.name() + "' is not tracked",
          Map.of("table", c.name()));
    }
    List<TableTracked> after = state.tables().values().stream()
        .filter(t -> !t.name().equals(c.name())).toList();
    return List.of(new TableUntracked(c.name()),
        nextCommit(state, state.defaultBranch(), "Untrack table " + c.name(), c.author(), now,
            new CommitStats(1, 0, 0, 0), CommitIds.treeOf(after)));
  }

}
