package io.strata.server.domain;

import io.strata.events.StrataEvent;
import io.strata.events.TableBranchSchemaChanged;
import io.strata.events.TableColumn;
import io.strata.events.TableShape;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The decision of {@link BranchSchemaCommand.TakeTableColumns}: a branch that kept its columns while the table gained
 * others takes some of them (a merge of a source that reads them, before its rows), in the table's definitions, its
 * columns then in the table's order ({@link TableColumn#restoring}). Pure.
 */
final class TakenTableColumns {
  private TakenTableColumns() {}

  /** The event recording the take; none when it names no column. */
  static List<StrataEvent> decide(RepositoryState state, BranchSchemaCommand.TakeTableColumns c) {
    BranchSchemaDecider.requireChangeable(state, c);
    List<TableColumn> reads = state.columnsOn(c.table(), c.branch());
    Map<String, String> renamed = state.renamedOn(c.table(), c.branch());
    Map<String, TableShape.Column> own = BranchSchemaDecider.tableColumns(state.tables().get(c.table()));
    Set<String> names = new HashSet<>(reads.stream().map(TableColumn::name).toList());
    Set<String> shown = new HashSet<>(renamed.values());
    List<TableBranchSchemaChanged.Operation> operations = new ArrayList<>();
    for (String name : c.names()) {
      if (!own.containsKey(name) || names.contains(name)) {
        throw StrataException.invalid("names", "column '" + name + "' is not one of table '" + c.table()
            + "' that branch '" + c.branch() + "' does not read");
      }
      if (shown.contains(name)) {
        throw new StrataException(ErrorCode.ValidationError, "branch '" + c.branch() + "' shows another column of"
            + " table '" + c.table() + "' as '" + name + "', a column the table gained since, which the merge would"
            + " give it: rename that column on the branch first", Map.of("table", c.table(), "column", name,
            "branch", c.branch()));
      }
      operations.add(new TableBranchSchemaChanged.Operation(TableBranchSchemaChanged.ADD_COLUMN, own.get(name)));
    }
    if (operations.isEmpty()) {
      return List.of();
    }
    List<TableColumn> after = TableColumn.restoring(state.tables().get(c.table()).columns(), reads, c.names());
    return List.of(new TableBranchSchemaChanged(c.table(), c.branch(), operations, after,
        state.addedOn(c.table(), c.branch()), renamed,
        BranchSchemaDecider.redefinedAmong(state.redefinedOn(c.table(), c.branch()), after),
        state.constraintsOn(c.table(), c.branch())));
  }
}
