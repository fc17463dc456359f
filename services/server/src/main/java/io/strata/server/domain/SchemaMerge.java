package io.strata.server.domain;

import io.strata.events.TableShape;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The three-way merge of a table's columns (docs/schema-versioning.md, "Three-way schema merge"): each
 * column, matched by name, is compared at the merge base, on the target (ours) and on the source
 * (theirs), as rows are field by field. A side that left a column as the base had it takes the other
 * side's change; both sides changing it the same way is one change; changing it two ways is a conflict:
 * {@code type_mismatch} when the types differ, {@code schema_schema} when the rest of the definition does
 * (default, nullability, collation, generated, identity), {@code delete_modify} when one side dropped what
 * the other changed. A strategy settles every conflict to one side, a resolution one conflict to a side or
 * to a definition it gives. Pure.
 */
public final class SchemaMerge {
  private SchemaMerge() {}

  /**
   * What kind of disagreement a conflict is, as the API and the docs name it. {@code schema_data} (a side
   * changed values of a column the other dropped) is decided with the rows, not here.
   */
  public enum Kind {
    TYPE_MISMATCH, SCHEMA_SCHEMA, DELETE_MODIFY, SCHEMA_DATA;

    public String wire() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** The side whose definition a schema conflict takes. */
  public enum Side {
    OURS, THEIRS;

    public String wire() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** A column both sides changed differently since the base; a null definition: absent on that side. */
  public record Conflict(String table, String column, Kind kind, TableShape.Column base, TableShape.Column ours,
      TableShape.Column theirs) {}

  /**
   * A change the merge makes to the target's column {@code column}: added ({@code ours} null), dropped
   * ({@code merged} null) or redefined; settled: the conflict it came from, else null.
   */
  public record Change(String table, String column, TableShape.Column ours, TableShape.Column merged,
      Conflict settled) {}

  /**
   * The merged columns (the target's order, then the source's new ones), what changes on the target, the conflicts
   * left open, and those a definition given settled (each column's definition: the merged one of its name).
   */
  public record Result(List<TableShape.Column> columns, List<Change> changes, List<Conflict> conflicts,
      List<Conflict> defined) {}

  /**
   * Merges the columns of {@code table}: {@code base}, {@code ours} and {@code theirs} are its columns at
   * the merge base, on the target and on the source (empty: the table has no columns there). Conflicts are
   * settled to {@code strategy}'s side (null: left open, and listed).
   */
  public static Result columns(String table, List<TableShape.Column> base, List<TableShape.Column> ours,
      List<TableShape.Column> theirs, Side strategy) {
    return columns(table, base, ours, theirs, SchemaChoices.all(strategy));
  }

  /**
   * {@link #columns(String, List, List, List, Side)}, each conflict settled as {@code choices} settles it: to a
   * side, or to the definition it gives the column (left open: listed).
   */
  public static Result columns(String table, List<TableShape.Column> base, List<TableShape.Column> ours,
      List<TableShape.Column> theirs, SchemaChoices choices) {
    Map<String, TableShape.Column> b = byName(base);
    Map<String, TableShape.Column> o = byName(ours);
    Map<String, TableShape.Column> t = byName(theirs);
    Set<String> names = new LinkedHashSet<>(o.keySet());
    names.addAll(t.keySet());
    names.addAll(b.keySet());
    List<TableShape.Column> merged = new ArrayList<>();
    List<Change> changes = new ArrayList<>();
    List<Conflict> conflicts = new ArrayList<>();
    List<Conflict> defined = new ArrayList<>();
    for (String name : names) {
      TableShape.Column bc = b.get(name);
      TableShape.Column oc = o.get(name);
      TableShape.Column tc = t.get(name);
      TableShape.Column result;
      Conflict conflict = null;
      if (same(oc, tc) || same(bc, tc)) {
        result = oc; // both sides agree, or theirs left it as it was
      } else if (same(bc, oc)) {
        result = tc; // ours left it: theirs' change (an add, a drop, a redefinition)
      } else {
        conflict = new Conflict(table, name, kind(oc, tc), bc, oc, tc);
        TableShape.Column given = choices.definition(table, name);
        Side side = given != null ? null : choices.column(table, name);
        if (given == null && side == null) {
          conflicts.add(conflict);
        } else if (given != null) {
          defined.add(conflict);
        }
        result = given != null ? given : side == Side.THEIRS ? tc : oc;
      }
      if (result != null) {
        merged.add(result);
      }
      if (!same(oc, result)) {
        changes.add(new Change(table, name, oc, result, conflict));
      }
    }
    return new Result(merged, changes, conflicts, defined);
  }

  private static Kind kind(TableShape.Column ours, TableShape.Column theirs) {
    if (ours == null || theirs == null) {
      return Kind.DELETE_MODIFY;
    }
    return ours.type().equals(theirs.type()) ? Kind.SCHEMA_SCHEMA : Kind.TYPE_MISMATCH;
  }

  /** Whether two definitions are the same column (both absent included). */
  public static boolean same(TableShape.Column a, TableShape.Column b) {
    if (a == null || b == null) {
      return a == b;
    }
    return a.type().equals(b.type()) && a.nullable() == b.nullable() && Objects.equals(a.defaultValue(), b.defaultValue())
        && Objects.equals(a.collation(), b.collation()) && Objects.equals(a.generated(), b.generated())
        && Objects.equals(a.identity(), b.identity());
  }

  private static Map<String, TableShape.Column> byName(List<TableShape.Column> columns) {
    return columns.stream().collect(Collectors.toMap(TableShape.Column::name, Function.identity(), (x, y) -> x,
        java.util.LinkedHashMap::new));
  }
}
