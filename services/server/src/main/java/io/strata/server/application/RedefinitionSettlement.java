package io.strata.server.application;

import io.strata.events.TableColumn;
import io.strata.events.TableShape;
import io.strata.events.TableTracked;
import io.strata.server.domain.BranchSchemaDecider;
import io.strata.server.domain.RepositoryState;
import io.strata.server.domain.SchemaMerge;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * The three-way merge of the branches' redefinitions of the table's own columns (type, NOT NULL, default: a branch's
 * {@code alter_column} of them). Only redefinitions are merged — the table's own definitions change by DDL on the
 * default branch, which no side of a merge made — so per column the source redefined since the base (it has a
 * redefinition the base's branch did not have, or had otherwise): carried where the target's is still the
 * base's (none, or the same); the same on both is one; otherwise a {@code schema_schema} conflict, settled by
 * {@code ours} (the target's stays) or {@code theirs} (the source's is carried). A redefinition the source
 * gave up since the base is not taken back on the target. Pure: it reads nothing and changes nothing.
 */
final class RedefinitionSettlement {
  private RedefinitionSettlement() {}

  /**
   * Per table, the definitions the target takes ({@code base}, {@code theirs}: the redefinitions of the base
   * commit's branch and of the source, by table and name); conflicts go to {@code open}.
   */
  static Map<String, List<TableShape.Column>> settle(RepositoryState state, String target,
      Map<String, Map<String, TableShape.Column>> base, Map<String, Map<String, TableShape.Column>> theirs,
      io.strata.server.domain.SchemaChoices choices, List<SchemaMerge.Conflict> open) {
    Map<String, List<TableShape.Column>> carried = new TreeMap<>();
    for (TableTracked t : state.tables().values()) {
      Map<String, TableShape.Column> b = base.getOrDefault(t.name(), Map.of());
      Map<String, TableShape.Column> th = theirs.getOrDefault(t.name(), Map.of());
      Map<String, TableShape.Column> o = new TreeMap<>();
      state.redefinedOn(t.name(), target).forEach(c -> o.put(c.name(), c));
      Set<String> reads = new HashSet<>(state.columnsOn(t.name(), target).stream().map(TableColumn::name).toList());
      Map<String, TableShape.Column> own = BranchSchemaDecider.tableColumns(t);
      List<TableShape.Column> takes = new ArrayList<>();
      for (TableShape.Column given : th.values()) {
        String name = given.name();
        TableShape.Column was = b.get(name);
        TableShape.Column ours = o.get(name);
        TableShape.Column table = own.get(name);
        if (!reads.contains(name) || table == null
            || t.primaryKey().contains(name) || was != null && same(given, was)
            || ours != null && same(given, ours) || target.equals(state.defaultBranch()) && same(given, table)) {
          continue; // a column the target lacks, or nothing the source changed
        }
        // the default branch never redefines: its table is unchanged when it still has the base's definition
        // (promoted before), or the base's branch had none
        boolean oursUnchanged = target.equals(state.defaultBranch()) ? was == null || same(table, was)
            : ours == null ? was == null : was != null && same(ours, was);
        TableShape.Column taken = new TableShape.Column(name, given.type(), given.nullable(), table.collation(),
            given.defaultValue(), table.generated(), table.identity());
        // a conflict settles to a side: a definition given would redefine the table's own column otherwise than
        // either side, which a merge does not do
        SchemaMerge.Side side = oursUnchanged ? null : choices.sideOnly(t.name(), name,
            "two redefinitions of one of the table's own columns");
        if (oursUnchanged || side == SchemaMerge.Side.THEIRS) {
          if (target.equals(state.defaultBranch()) && !io.strata.events.ColumnTypes.same(taken.type(), table.type())
              && !io.strata.events.ColumnTypes.widens(table.type(), taken.type())) {
            // the table's type changed since the source chose its own: only a widening of the table's type is taken
            String shown = state.shownName(t.name(), target, name);
            throw new io.strata.server.domain.StrataException(io.strata.server.domain.ErrorCode.ValidationError,
                "column '" + shown + "' of table '" + t.name() + "' is " + table.type() + " in the table and "
                    + given.type() + " on the source, which does not read every value of the table's as it is: give the"
                    + " source's column a wider type of the table's first; nothing changed",
                Map.of("table", t.name(), "column", shown));
          }
          takes.add(taken);
        } else if (side != SchemaMerge.Side.OURS) {
          String shown = state.shownName(t.name(), target, name);
          TableShape.Column asTable = table.named(shown);
          open.add(new SchemaMerge.Conflict(t.name(), name, SchemaMerge.Kind.SCHEMA_SCHEMA,
              was == null ? asTable : was.named(shown), ours == null ? asTable : ours.named(shown),
              given.named(shown)));
        }
      }
      if (!takes.isEmpty()) {
        carried.put(t.name(), takes);
      }
    }
    return carried;
  }

  /** Whether two definitions of a column agree on what a branch redefines: type, nullability and default. */
  static boolean same(TableShape.Column a, TableShape.Column b) {
    return io.strata.events.ColumnTypes.same(a.type(), b.type()) && a.nullable() == b.nullable()
        && Objects.equals(a.defaultValue(), b.defaultValue());
  }

  /** A side's redefinitions of the tables' columns by table and name (a commit's branch's, the base's). */
  static Map<String, Map<String, TableShape.Column>> byName(Map<String, List<TableShape.Column>> redefined) {
    Map<String, Map<String, TableShape.Column>> by = new TreeMap<>();
    redefined.forEach((table, columns) -> {
      Map<String, TableShape.Column> named = new TreeMap<>();
      columns.forEach(c -> named.put(c.name(), c));
      by.put(table, named);
    });
    return by;
  }

  /** A live branch's redefinitions of the tables' columns by table and name. */
  static Map<String, Map<String, TableShape.Column>> onBranch(RepositoryState state, String branch) {
    Map<String, List<TableShape.Column>> redefined = new TreeMap<>();
    state.tables().keySet().forEach(t -> redefined.put(t, state.redefinedOn(t, branch)));
    return byName(redefined);
  }
}
