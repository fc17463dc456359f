package io.strata.server.domain;

import io.strata.events.StrataEvent;
import io.strata.events.TableBranchSchemaChanged;
import io.strata.events.TableColumn;
import io.strata.events.TableShape;
import io.strata.events.TableTracked;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What a new branch takes of the shape of where it starts (its source branch, or the branch its start commit
 * was made on, then): the columns added through Strata, the table's own it does not read, the names it shows
 * and the table's columns it defines otherwise. Pure.
 */
public final class BranchShapeInheritance {
  private BranchShapeInheritance() {}

  /**
   * Per table, the columns a new branch takes from where it starts: those its source branch added through
   * Strata, or those the branch a start commit was made on had added then ({@code commitAdded}), but for
   * any the table has by now (promoted: the branch reads the table's).
   */
  public static Map<String, List<TableShape.Column>> inherited(RepositoryState state, Commands.CreateBranch c) {
    Map<String, List<TableShape.Column>> inherited = new java.util.TreeMap<>();
    String from = c.start() != null ? null : c.fromBranch() != null ? c.fromBranch() : state.defaultBranch();
    for (var t : state.tables().values()) {
      Map<String, TableColumn> has = new java.util.HashMap<>();
      t.columns().forEach(x -> has.put(x.name(), x));
      List<TableShape.Column> source = from != null ? state.addedOn(t.name(), from)
          : c.commitAdded().getOrDefault(t.name(), List.of());
      for (TableShape.Column a : source) {
        TableColumn same = has.get(a.name());
        if (same != null && !same.type().equals(a.type())) {
          // the table gained a column of that name and another type since: the branch cannot read both
          throw new StrataException(ErrorCode.ValidationError, "'" + (from != null ? from : c.from()) + "' added column '"
              + a.name() + "' " + a.type() + " to table '" + t.name() + "', which the table has as " + same.type()
              + " by now: a branch of it would read one of them, so it is not created; create it from '"
              + state.defaultBranch() + "', or drop the column on '" + (from != null ? from : c.from()) + "' first",
              Map.of("table", t.name(), "column", a.name(), "branch", c.name()));
        }
      }
      List<TableShape.Column> columns = source.stream().filter(a -> !has.containsKey(a.name())).toList();
      if (!columns.isEmpty()) {
        inherited.put(t.name(), columns);
      }
    }
    return inherited;
  }

  /**
   * Per table, the table's own columns a new branch does not read ({@link Commands.CreateBranch#droppedOwn}):
   * those the table still has, but for its key, and a source branch still does not read.
   */
  public static Map<String, List<String>> droppedBy(RepositoryState state, Commands.CreateBranch c) {
    Map<String, List<String>> dropped = new java.util.TreeMap<>();
    String from = c.start() != null ? null : c.fromBranch() != null ? c.fromBranch() : state.defaultBranch();
    c.droppedOwn().forEach((table, names) -> {
      TableTracked t = state.tables().get(table);
      if (t == null) {
        return;
      }
      Set<String> reads = from == null ? Set.of() : new HashSet<>(state.columnsOn(table, from).stream()
          .map(TableColumn::name).toList());
      List<String> kept = names.stream().filter(n -> t.columns().stream().anyMatch(x -> x.name().equals(n))
          && !t.primaryKey().contains(n) && !reads.contains(n)).toList();
      if (!kept.isEmpty()) {
        dropped.put(table, kept);
      }
    });
    return dropped;
  }

  /**
   * Per table, the columns a new branch shows under other names: those its source branch shows so, or those
   * the branch its start commit was made on showed so then, of the columns the new branch reads.
   */
  public static Map<String, Map<String, String>> renamedBy(RepositoryState state, Commands.CreateBranch c) {
    Map<String, Map<String, String>> renamed = new java.util.TreeMap<>();
    String from = c.start() != null ? null : c.fromBranch() != null ? c.fromBranch() : state.defaultBranch();
    Map<String, List<String>> dropped = droppedBy(state, c);
    Map<String, List<TableShape.Column>> inherited = inherited(state, c);
    for (var t : state.tables().values()) {
      Set<String> reads = new HashSet<>(t.columns().stream().map(TableColumn::name).toList());
      inherited.getOrDefault(t.name(), List.of()).forEach(a -> reads.add(a.name()));
      reads.removeAll(dropped.getOrDefault(t.name(), List.of()));
      // a name the table has taken by now for a column of its own: the new branch shows the stored name
      Map<String, String> source = ShownNames.consistent(from != null ? state.renamedOn(t.name(), from)
          : c.commitRenamed().getOrDefault(t.name(), Map.of()), reads);
      if (!source.isEmpty()) {
        renamed.put(t.name(), source);
      }
    }
    return renamed;
  }

  /**
   * Per table, the table's own columns a new branch defines otherwise: as its source branch does, or as the branch
   * its start commit was made on did then, of the columns it reads.
   */
  public static Map<String, List<TableShape.Column>> redefinedBy(RepositoryState state, Commands.CreateBranch c) {
    Map<String, List<TableShape.Column>> redefined = new java.util.TreeMap<>();
    String from = c.start() != null ? null : c.fromBranch() != null ? c.fromBranch() : state.defaultBranch();
    Map<String, List<String>> dropped = droppedBy(state, c);
    for (var t : state.tables().values()) {
      Map<String, TableShape.Column> own = BranchSchemaDecider.tableColumns(t);
      List<TableShape.Column> source = from != null ? state.redefinedOn(t.name(), from)
          : c.commitRedefined().getOrDefault(t.name(), List.of());
      List<TableShape.Column> kept = source.stream().filter(r -> own.containsKey(r.name())
          && !t.primaryKey().contains(r.name())
          && !dropped.getOrDefault(t.name(), List.of()).contains(r.name())).toList();
      if (!kept.isEmpty()) {
        redefined.put(t.name(), kept);
      }
    }
    return redefined;
  }

  /**
   * Per table, the CHECK constraints a new branch holds: those its source branch added, or those the branch its
   * start commit was made on had added then, whose columns it reads.
   */
  public static Map<String, List<TableShape.Constraint>> constraintsBy(RepositoryState state, Commands.CreateBranch c) {
    Map<String, List<TableShape.Constraint>> constraints = new java.util.TreeMap<>();
    String from = c.start() != null ? null : c.fromBranch() != null ? c.fromBranch() : state.defaultBranch();
    Map<String, List<String>> dropped = droppedBy(state, c);
    for (var t : state.tables().values()) {
      List<TableShape.Constraint> source = from != null ? state.constraintsOn(t.name(), from)
          : c.commitConstraints().getOrDefault(t.name(), List.of());
      // a check naming a column the new branch does not read goes (a drop of the column takes the check)
      List<TableShape.Constraint> kept = source.stream().filter(x -> dropped.getOrDefault(t.name(), List.of()).stream()
          .noneMatch(d -> BranchConstraints.names(x, d))).toList();
      if (!kept.isEmpty()) {
        constraints.put(t.name(), kept);
      }
    }
    return constraints;
  }

  /**
   * The events that give a new branch the columns it {@link #inherited}, without those it {@link #droppedBy},
   * showing those it {@link #renamedBy} so, defining the table's as it {@link #redefinedBy}.
   */
  static List<StrataEvent> inheritedBy(RepositoryState state, Commands.CreateBranch c) {
    List<StrataEvent> events = new ArrayList<>();
    Map<String, List<TableShape.Column>> inherited = inherited(state, c);
    Map<String, List<String>> dropped = droppedBy(state, c);
    Map<String, Map<String, String>> renamed = renamedBy(state, c);
    Map<String, List<TableShape.Column>> redefined = redefinedBy(state, c);
    Map<String, List<TableShape.Constraint>> checks = constraintsBy(state, c);
    Set<String> tables = new java.util.TreeSet<>(inherited.keySet());
    tables.addAll(checks.keySet());
    tables.addAll(dropped.keySet());
    tables.addAll(renamed.keySet());
    tables.addAll(redefined.keySet());
    for (String table : tables) {
      List<TableShape.Column> columns = inherited.getOrDefault(table, List.of());
      List<String> drops = dropped.getOrDefault(table, List.of());
      Map<String, TableShape.Column> own = BranchSchemaDecider.tableColumns(state.tables().get(table));
      List<TableShape.Column> redefines = redefined.getOrDefault(table, List.of());
      List<TableColumn> all = new ArrayList<>(state.tables().get(table).columns().stream()
          .filter(x -> !drops.contains(x.name()))
          .map(x -> redefines.stream().filter(r -> r.name().equals(x.name())).findFirst()
              .map(r -> new TableColumn(x.name(), io.strata.events.ColumnTypes.same(r.type(), x.type()) ? x.type()
                  : r.type(), r.nullable())).orElse(x))
          .toList());
      columns.forEach(a -> all.add(a.asTableColumn()));
      List<TableBranchSchemaChanged.Operation> operations = new ArrayList<>();
      drops.forEach(d -> operations.add(new TableBranchSchemaChanged.Operation(TableBranchSchemaChanged.DROP_COLUMN,
          own.get(d))));
      columns.forEach(a -> operations.add(new TableBranchSchemaChanged.Operation(TableBranchSchemaChanged.ADD_COLUMN,
          a)));
      Map<String, String> shown = renamed.getOrDefault(table, Map.of());
      Map<String, TableShape.Column> defined = new LinkedHashMap<>(own);
      columns.forEach(a -> defined.put(a.name(), a));
      shown.forEach((stored, as) -> {
        TableShape.Column d = defined.get(stored);
        operations.add(new TableBranchSchemaChanged.Operation(TableBranchSchemaChanged.RENAME_COLUMN,
            d.named(as), stored));
      });
      redefines.forEach(r -> operations.add(new TableBranchSchemaChanged.Operation(
          TableBranchSchemaChanged.ALTER_COLUMN, r.named(shown.getOrDefault(r.name(), r.name())))));
      List<TableShape.Constraint> held = checks.getOrDefault(table, List.of());
      held.forEach(x -> operations.add(TableBranchSchemaChanged.Operation.onConstraint(
          TableBranchSchemaChanged.ADD_CONSTRAINT, x)));
      events.add(new TableBranchSchemaChanged(table, c.name(), operations, all, columns, shown, redefines, held));
    }
    return events;
  }
}
