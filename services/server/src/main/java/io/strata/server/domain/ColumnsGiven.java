package io.strata.server.domain;

import io.strata.events.StrataEvent;
import io.strata.events.TableSchemaChanged;
import io.strata.events.TableShape;
import io.strata.events.TableTracked;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A repository's state as it will be once a merge, revert or cherry-pick has given its target the columns
 * its schema merge settled (the application's schema promotions: another branch drops those the source
 * dropped and adds those it added as the source did, the default branch's tables gain them at their end). The operation is rehearsed against it before
 * they are given, so that what would refuse it — its rows in columns that do not fit — refuses it while
 * nothing has changed. Only the columns are followed: a table's constraints and indexes stay as they were.
 */
public final class ColumnsGiven {
  private ColumnsGiven() {}

  /**
   * {@code state} (left as it is) after {@code target} takes {@code alters} (per table, columns it added,
   * redefined: another branch only), loses {@code drops} (per table, columns it added that the source
   * dropped: another branch only) and is given {@code adds} (per table, columns it lacks).
   */
  public static RepositoryState stateAfter(RepositoryState state, String target,
      Map<String, List<TableShape.Column>> adds, Map<String, List<String>> drops,
      Map<String, List<SchemaMerge.Change>> alters) {
    RepositoryState after = state.copy();
    alters.forEach((table, changes) -> {
      if (after.tables().containsKey(table) && !changes.isEmpty() && !target.equals(after.defaultBranch())) {
        BranchSchemaDecider.decide(after, alter(table, target, changes))
            .forEach(e -> after.evolve(e, after.version(), after.lastPosition()));
      }
    });
    drops.forEach((table, names) -> {
      if (after.tables().containsKey(table) && !names.isEmpty() && !target.equals(after.defaultBranch())) {
        BranchSchemaDecider.decide(after, new BranchSchemaCommand.DropBranchColumns(table, target, names, false))
            .forEach(e -> after.evolve(e, after.version(), after.lastPosition()));
      }
    });
    adds.forEach((table, columns) -> {
      TableTracked t = after.tables().get(table);
      if (t == null || columns.isEmpty()) {
        return; // untracked since the schema merge read it: takes nothing
      }
      List<StrataEvent> events = target.equals(after.defaultBranch()) ? tableGains(after, t, columns)
          : BranchSchemaDecider.decide(after, new BranchSchemaCommand.AddBranchColumns(table, target, columns, false));
      events.forEach(e -> after.evolve(e, after.version(), after.lastPosition()));
    });
    return after;
  }

  /** The command that gives {@code target}'s columns of {@code table} the merged definitions of {@code changes}. */
  public static BranchSchemaCommand.AlterBranchColumns alter(String table, String target, List<SchemaMerge.Change> changes) {
    return new BranchSchemaCommand.AlterBranchColumns(table, target, changes.stream().map(SchemaMerge.Change::ours).toList(),
        changes.stream().map(SchemaMerge.Change::merged).toList(), false);
  }

  /** The table's recorded change once it gained {@code columns} (as the DDL guard's follower records it). */
  private static List<StrataEvent> tableGains(RepositoryState state, TableTracked t, List<TableShape.Column> columns) {
    TableShape before = t.knownShape();
    List<TableShape.Column> now = new ArrayList<>(before.columns());
    columns.stream().filter(c -> now.stream().noneMatch(x -> x.name().equals(c.name()))).forEach(now::add);
    TableShape shape = new TableShape(now, before.primaryKey(), before.constraints(), before.indexes());
    return List.of(new TableSchemaChanged(t.name(), state.defaultBranch(), shape, shape.hash(), before.hash(),
        List.of(), state.ddlRecordedThrough(t.name()), TableDecider.branchColumnsAfter(state, t,
            shape.tableColumns()), List.of()));
  }
}
