package io.strata.server.domain;

import io.strata.events.ColumnTypes;
import io.strata.events.TableBranchSchemaChanged;
import io.strata.events.TableColumn;
import io.strata.events.TableShape;
import io.strata.events.TableTracked;
import io.strata.server.domain.BranchSchemaCommand.RedefineBranchColumns;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The table's own columns defined otherwise on a branch than the table defines them: NOT NULL set or dropped,
 * a default set or dropped (the rows the branch writes take its rules; the rows it reads from the table are the
 * table's), a type that reads every value the branch holds as it is (the rows it reads from the table read
 * through a cast). A column the branch defined stays its own while it reads it. Pure.
 */
public final class TableColumnRedefinitions {
  private TableColumnRedefinitions() {}

  /** The events of {@code c}: its operations, the branch's columns and every redefinition it has after. */
  static TableBranchSchemaChanged decide(RepositoryState state, RedefineBranchColumns c) {
    requireRedefinable(state, c);
    List<TableShape.Column> redefined = after(state.redefinedOn(c.table(), c.branch()), c.columns());
    List<TableBranchSchemaChanged.Operation> operations = new ArrayList<>();
    for (TableShape.Column to : c.columns()) {
      operations.add(new TableBranchSchemaChanged.Operation(TableBranchSchemaChanged.ALTER_COLUMN,
          to.named(state.shownName(c.table(), c.branch(), to.name()))));
    }
    List<TableColumn> columns = state.columnsOn(c.table(), c.branch()).stream()
        .map(x -> c.columns().stream().filter(to -> to.name().equals(x.name())).findFirst()
            .map(to -> new TableColumn(x.name(), ColumnTypes.same(to.type(), x.type()) ? x.type() : to.type(),
                to.nullable())).orElse(x))
        .toList();
    return new TableBranchSchemaChanged(c.table(), c.branch(), operations, columns,
        state.addedOn(c.table(), c.branch()), state.renamedOn(c.table(), c.branch()), redefined,
        state.constraintsOn(c.table(), c.branch()));
  }

  /**
   * A branch's redefinitions of the table's columns once {@code changes} are made to {@code current}. A column
   * the branch defined once stays its own, even as the table defines it (the table's definition may change on
   * the default branch, by DDL or a merge, while the branch keeps the one it chose).
   */
  public static List<TableShape.Column> after(List<TableShape.Column> current, List<TableShape.Column> changes) {
    Map<String, TableShape.Column> redefined = new LinkedHashMap<>();
    current.forEach(r -> redefined.put(r.name(), r));
    changes.forEach(to -> redefined.put(to.name(), to));
    return List.copyOf(redefined.values());
  }

  /**
   * The definition {@code branch} has of column {@code stored} of the table's own: its redefinition, else the
   * table's (its nullability as the branch reads it: a branch that kept its columns keeps theirs).
   */
  public static TableShape.Column definitionOn(RepositoryState state, String table, String branch, String stored) {
    for (TableShape.Column r : state.redefinedOn(table, branch)) {
      if (r.name().equals(stored)) {
        return r;
      }
    }
    return inKeptType(BranchSchemaDecider.tableColumns(state.tables().get(table)).get(stored),
        state.columnsOn(table, branch));
  }

  /**
   * The table's column {@code t} in the type a branch's {@code columns} give it: a branch that kept a column's type
   * when a merge widened the table's reads it in that type; else {@code t} (null: null).
   */
  public static TableShape.Column inKeptType(TableShape.Column t, List<TableColumn> columns) {
    TableColumn kept = t == null ? null : columns.stream().filter(c -> c.name().equals(t.name())).findFirst()
        .orElse(null);
    return kept == null || ColumnTypes.same(kept.type(), t.type()) ? t : new TableShape.Column(t.name(), kept.type(),
        t.nullable(), t.collation(), t.defaultValue(), t.generated(), t.identity());
  }

  /**
   * Refuses changes a branch cannot make to the table's columns (422): on the default branch (DDL on the table),
   * with a merge or rebase in progress, a column it does not read or one it added (alter_column's own), the key,
   * a type that does not read every value of the table's as it is, a default for an identity or generated column, a name twice, or nothing to change;
   * 409 when a column's definition is no longer the one the change was worked out from.
   */
  public static void requireRedefinable(RepositoryState state, RedefineBranchColumns c) {
    BranchSchemaDecider.requireChangeable(state, c);
    TableTracked t = state.tables().get(c.table());
    Map<String, TableShape.Column> own = BranchSchemaDecider.tableColumns(t);
    Set<String> reads = new HashSet<>(state.columnsOn(c.table(), c.branch()).stream().map(TableColumn::name).toList());
    Set<String> added = new HashSet<>(state.addedOn(c.table(), c.branch()).stream().map(TableShape.Column::name)
        .toList());
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < c.columns().size(); i++) {
      TableShape.Column to = c.columns().get(i);
      TableShape.Column table = own.get(to.name());
      String shown = state.shownName(c.table(), c.branch(), to.name());
      String why = !seen.add(to.name()) ? "column '" + shown + "' is altered twice"
          : !reads.contains(to.name()) || table == null || added.contains(to.name()) ? "branch '" + c.branch()
              + "' has no column '" + shown + "' of table '" + c.table() + "' to redefine"
          : t.primaryKey().contains(to.name()) ? "column '" + shown + "' is in the primary key of table '" + c.table()
              + "': it is NOT NULL on every branch"
          : !ColumnTypes.same(to.type(), table.type()) && !ColumnTypes.widens(table.type(), to.type())
              && !ColumnTypes.same(to.type(), definitionOn(state, c.table(), c.branch(), to.name()).type())
              ? "column '" + shown + "' of table '" + c.table() + "' is " + table.type() + " in the table: a branch gives it"
                  + " only a type that reads every value of that type as it is (a longer integer, numeric with the same"
                  + " scale and more digits, a longer varchar, text), or the table's own; " + to.type() + " is not one"
          : table.identity() != null || table.generated() != null ? "column '" + shown + "' of table '"
              + c.table() + "' is " + (table.identity() != null ? "an identity" : "a generated") + " column: its"
              + " values are the table's to give, so a branch does not redefine it"
          : null;
      if (why != null) {
        throw new StrataException(ErrorCode.ValidationError, why,
            Map.of("table", c.table(), "branch", c.branch(), "column", shown));
      }
    }
    for (int i = 0; i < c.columns().size(); i++) {
      TableShape.Column to = c.columns().get(i);
      TableShape.Column now = definitionOn(state, c.table(), c.branch(), to.name());
      String shown = state.shownName(c.table(), c.branch(), to.name());
      TableShape.Column from = c.from().get(i);
      if (now.nullable() != from.nullable() || !Objects.equals(now.defaultValue(), from.defaultValue())
          || !ColumnTypes.same(now.type(), from.type())) {
        throw new StrataException(ErrorCode.SchemaMoved, "column '" + shown + "' of table '" + c.table()
            + "' changed on branch '" + c.branch() + "' while this change was worked out: send it again",
            Map.of("table", c.table(), "branch", c.branch(), "column", shown));
      }
      if (to.nullable() == now.nullable() && Objects.equals(to.defaultValue(), now.defaultValue())
          && ColumnTypes.same(to.type(), now.type())) {
        throw new StrataException(ErrorCode.ValidationError, "column '" + shown + "' of table '" + c.table()
            + "' is " + now.type() + ", " + (to.nullable() ? "nullable" : "NOT NULL") + (to.defaultValue() == null ? " without a default"
            : " with default " + to.defaultValue()) + " on branch '" + c.branch() + "' already: nothing to change",
            Map.of("table", c.table(), "branch", c.branch(), "column", shown));
      }
    }
  }
}
