package io.strata.server.application;

import io.strata.events.TableColumn;
import io.strata.events.TableShape;
import io.strata.events.TableTracked;
import io.strata.server.domain.BranchSchemaDecider;
import io.strata.server.domain.RepositoryState;
import io.strata.server.domain.SchemaMerge;
import io.strata.server.domain.TableColumnRedefinitions;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * The three-way merge of how the sides define the table's own columns (NOT NULL, default; a branch's
 * {@code alter_column} of them, or DDL on the default branch): per column both sides read, the source's
 * definition is carried where it changed since the base and the target's did not; both changed to the same
 * is one; both changed otherwise is a {@code schema_schema} conflict, settled by {@code ours} (the target's
 * stays) or {@code theirs} (the source's is carried). Pure: it reads nothing and changes nothing.
 */
final class RedefinitionSettlement {
  private RedefinitionSettlement() {}

  /**
   * Per table, the definitions the target takes ({@code base}, {@code theirs}: each side's definitions of the
   * table's columns by table and name, as {@link TableColumnRedefinitions#definitionOn} gives a live branch's);
   * conflicts go to {@code open}.
   */
  static Map<String, List<TableShape.Column>> settle(RepositoryState state, String target,
      Map<String, Map<String, TableShape.Column>> base, Map<String, Map<String, TableShape.Column>> theirs,
      SchemaMerge.Side strategy, List<SchemaMerge.Conflict> open) {
    Map<String, List<TableShape.Column>> carried = new TreeMap<>();
    for (TableTracked t : state.tables().values()) {
      Map<String, TableShape.Column> b = base.getOrDefault(t.name(), Map.of());
      Map<String, TableShape.Column> th = theirs.get(t.name());
      if (th == null) {
        continue; // not tracked at the source
      }
      Set<String> added = new HashSet<>(state.addedOn(t.name(), target).stream().map(TableShape.Column::name)
          .toList());
      Map<String, TableShape.Column> own = BranchSchemaDecider.tableColumns(t);
      List<TableShape.Column> takes = new ArrayList<>();
      for (TableColumn c : state.columnsOn(t.name(), target)) {
        String name = c.name();
        TableShape.Column ours = TableColumnRedefinitions.definitionOn(state, t.name(), target, name);
        TableShape.Column was = b.get(name);
        TableShape.Column given = th.get(name);
        if (added.contains(name) || ours == null || was == null || given == null || !own.containsKey(name)
            || t.primaryKey().contains(name) || !given.type().equals(ours.type()) || same(given, ours)
            || same(given, was)) {
          continue; // a column of the branch's own, one a side lacks, or nothing the source changed
        }
        TableShape.Column taken = new TableShape.Column(name, ours.type(), given.nullable(), ours.collation(),
            given.defaultValue(), ours.generated(), ours.identity());
        if (same(ours, was) || strategy == SchemaMerge.Side.THEIRS) {
          takes.add(taken);
        } else if (strategy != SchemaMerge.Side.OURS) {
          String shown = state.shownName(t.name(), target, name);
          open.add(new SchemaMerge.Conflict(t.name(), name, SchemaMerge.Kind.SCHEMA_SCHEMA, was.named(shown),
              ours.named(shown), given.named(shown)));
        }
      }
      if (!takes.isEmpty()) {
        carried.put(t.name(), takes);
      }
    }
    return carried;
  }

  /** Whether two definitions of a column agree on what a branch redefines: nullability and default. */
  static boolean same(TableShape.Column a, TableShape.Column b) {
    return a.nullable() == b.nullable() && Objects.equals(a.defaultValue(), b.defaultValue());
  }

  /** A side's definitions of the tables' columns by table and name, from shapes (a commit's, the base's). */
  static Map<String, Map<String, TableShape.Column>> byName(Map<String, TableShape> shapes) {
    Map<String, Map<String, TableShape.Column>> by = new TreeMap<>();
    shapes.forEach((table, shape) -> {
      Map<String, TableShape.Column> columns = new TreeMap<>();
      shape.columns().forEach(c -> columns.put(c.name(), c));
      by.put(table, columns);
    });
    return by;
  }

  /** A live branch's definitions of the tables' columns by table and name. */
  static Map<String, Map<String, TableShape.Column>> onBranch(RepositoryState state, String branch) {
    Map<String, Map<String, TableShape.Column>> by = new TreeMap<>();
    for (TableTracked t : state.tables().values()) {
      Map<String, TableShape.Column> columns = new TreeMap<>();
      for (TableColumn c : state.columnsOn(t.name(), branch)) {
        TableShape.Column d = TableColumnRedefinitions.definitionOn(state, t.name(), branch, c.name());
        if (d != null) {
          columns.put(c.name(), d);
        }
      }
      by.put(t.name(), columns);
    }
    return by;
  }
}
