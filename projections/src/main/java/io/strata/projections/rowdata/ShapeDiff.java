package io.strata.projections.rowdata;

import io.strata.events.TableColumn;
import io.strata.events.TableShape;
import io.strata.events.TableShape.Column;
import io.strata.events.TableShape.Constraint;
import io.strata.events.TableShape.Index;
import io.strata.projections.rowdata.ShapeChange.Kind;
import io.strata.projections.rowdata.ShapeChange.ObjectType;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The structured difference between two shapes of one table, object by object, matched by name (a
 * renamed column reads as one removed and one added). When either shape is partial (a table tracked
 * before shapes were recorded) only what both know is compared: columns' names, types and nullability.
 * A column's position is not a difference (PostgreSQL cannot move a column: one dropped and added back
 * comes last), though it is part of a shape's hash. Pure.
 */
public final class ShapeDiff {
  private static final Pattern VARCHAR = Pattern.compile("character varying(?:\\((\\d+)\\))?");
  private static final Pattern NUMERIC = Pattern.compile("numeric(?:\\((\\d+),(-?\\d+)\\))?");
  private static final List<String> INTEGERS = List.of("smallint", "integer", "bigint");
  /** The decimal digits each integer type's values may need. */
  private static final List<Integer> INTEGER_DIGITS = List.of(5, 10, 19);
  /** A type's schema qualification ({@code public.citext}, {@code "My schema".t}). */
  private static final Pattern QUALIFIER = Pattern.compile("^(?:\"(?:[^\"]|\"\")+\"|[a-z_][a-z0-9_$]*)\\.");

  private ShapeDiff() {}

  /** What turns {@code from} into {@code to}: columns first, then constraints, then indexes. */
  public static List<ShapeChange> between(TableShape from, TableShape to) {
    boolean partial = from.partial() || to.partial();
    if (partial) {
      // what a partial shape does not know is left out of both sides, its changes' statements included;
      // its types were printed with the session's search_path, so neither side's is schema-qualified
      from = columnsOnly(from);
      to = columnsOnly(to);
    }
    List<ShapeChange> changes = new ArrayList<>();
    diff(byName(from.columns(), Column::name), byName(to.columns(), Column::name), ObjectType.column, Objects::equals,
        changes);
    if (!partial) {
      Map<String, Constraint> fromConstraints = byName(from.constraints(), Constraint::name);
      Map<String, Constraint> toConstraints = byName(to.constraints(), Constraint::name);
      keyRenamed(fromConstraints, toConstraints, changes);
      diff(fromConstraints, toConstraints, ObjectType.constraint, Objects::equals, changes);
      diff(byName(from.indexes(), Index::name), byName(to.indexes(), Index::name), ObjectType.index, Objects::equals,
          changes);
    }
    return changes;
  }

  /**
   * The primary key's constraint under another name, its definition the same (a table made on a branch gets its
   * key's name at its place): a rename, not a key dropped and made again. Taken out of {@code from} and {@code to}.
   */
  private static void keyRenamed(Map<String, Constraint> from, Map<String, Constraint> to,
      List<ShapeChange> changes) {
    Constraint before = key(from);
    Constraint after = key(to);
    if (before != null && after != null && !before.name().equals(after.name())
        && before.definition().equals(after.definition()) && !to.containsKey(before.name())
        && !from.containsKey(after.name())) {
      changes.add(new ShapeChange(Kind.renamed, ObjectType.constraint, after.name(), before, after, false, null));
      from.remove(before.name());
      to.remove(after.name());
    }
  }

  private static Constraint key(Map<String, Constraint> constraints) {
    return constraints.values().stream().filter(c -> c.kind().equals(TableShape.PRIMARY_KEY)).findFirst()
        .orElse(null);
  }

  private static TableShape columnsOnly(TableShape shape) {
    return TableShape.ofColumns(shape.tableColumns().stream()
        .map(c -> new TableColumn(c.name(), QUALIFIER.matcher(c.type()).replaceFirst(""), c.nullable())).toList(),
        shape.primaryKey());
  }

  private interface Same<T> {
    boolean test(T a, T b);
  }

  private static <T> void diff(Map<String, T> from, Map<String, T> to, ObjectType type, Same<T> same,
      List<ShapeChange> changes) {
    from.forEach((name, before) -> {
      T after = to.get(name);
      if (after == null) {
        changes.add(removed(type, name, before));
      } else if (!same.test(before, after)) {
        changes.add(modified(type, name, before, after));
      }
    });
    to.forEach((name, after) -> {
      if (!from.containsKey(name)) {
        changes.add(added(type, name, after));
      }
    });
  }

  private static ShapeChange removed(ObjectType type, String name, Object before) {
    String why = null;
    if (before instanceof Column) {
      why = "drops the column's values";
    } else if (before instanceof Constraint c && keeps(c)) {
      why = "drops a " + c.kind().replace('_', ' ') + ": rows it kept out can come in";
    } else if (before instanceof Index i && i.unique()) {
      why = "drops a unique index: duplicates can come in";
    }
    return new ShapeChange(Kind.removed, type, name, before, null, why != null, why);
  }

  private static ShapeChange added(ObjectType type, String name, Object after) {
    String why = null;
    if (after instanceof Column c && !c.nullable() && c.defaultValue() == null && c.generated() == null
        && c.identity() == null) {
      why = "NOT NULL without a default: fails on a table with rows";
    } else if (after instanceof Constraint || after instanceof Index i && i.unique()) {
      why = "fails where existing rows break it";
    }
    return new ShapeChange(Kind.added, type, name, null, after, false, why);
  }

  private static ShapeChange modified(ObjectType type, String name, Object before, Object after) {
    String why = null;
    boolean destructive = false;
    if (before instanceof Column b && after instanceof Column a) {
      if (b.generated() == null && a.generated() != null) {
        destructive = true;
        why = "becomes generated: the column is dropped and added back, its values replaced (indexes and"
            + " constraints on it must be made again)";
      } else if (!b.type().equals(a.type()) && !widens(b.type(), a.type())) {
        destructive = true;
        why = "type " + b.type() + " -> " + a.type() + " may not hold every value";
      } else if (b.nullable() && !a.nullable()) {
        why = "NOT NULL: fails where rows hold NULL";
      } else if (!Objects.equals(b.collation(), a.collation())) {
        why = "another collation: values sort and compare differently";
      }
    } else if (before instanceof Constraint b && keeps(b)) {
      destructive = true;
      why = "replaces a " + b.kind().replace('_', ' ') + ": rows the old one kept out can come in";
    } else if (before instanceof Index b && b.unique()) {
      destructive = true;
      why = "replaces a unique index: duplicates the old one kept out can come in";
    } else {
      why = "fails where existing rows break it";
    }
    return new ShapeChange(Kind.modified, type, name, before, after, destructive, why);
  }

  /** Whether the constraint keeps rows out by uniqueness or by key (so dropping it lets duplicates in). */
  private static boolean keeps(Constraint c) {
    return c.kind().equals(TableShape.PRIMARY_KEY) || c.kind().equals("unique") || c.kind().equals("exclusion");
  }

  /** Whether every value of type {@code from} converts to {@code to} unchanged (as PostgreSQL formats types). */
  static boolean widens(String from, String to) {
    if (INTEGERS.contains(from)) {
      Matcher n = NUMERIC.matcher(to);
      return INTEGERS.indexOf(to) > INTEGERS.indexOf(from) || to.equals("numeric")
          || n.matches() && n.group(1) != null && Integer.parseInt(n.group(2)) >= 0
              && Integer.parseInt(n.group(1)) - Integer.parseInt(n.group(2))
                  >= INTEGER_DIGITS.get(INTEGERS.indexOf(from));
    }
    if (from.equals("real")) {
      return to.equals("double precision");
    }
    Matcher fv = VARCHAR.matcher(from);
    if (fv.matches()) {
      Matcher tv = VARCHAR.matcher(to);
      return to.equals("text") || tv.matches() && (tv.group(1) == null
          || fv.group(1) != null && Integer.parseInt(tv.group(1)) >= Integer.parseInt(fv.group(1)));
    }
    Matcher fn = NUMERIC.matcher(from);
    Matcher tn = NUMERIC.matcher(to);
    if (fn.matches() && tn.matches()) {
      if (tn.group(1) == null) {
        return true;
      }
      return fn.group(1) != null && Integer.parseInt(tn.group(2)) >= Integer.parseInt(fn.group(2))
          && Integer.parseInt(tn.group(1)) - Integer.parseInt(tn.group(2))
              >= Integer.parseInt(fn.group(1)) - Integer.parseInt(fn.group(2));
    }
    return false;
  }

  private static <T> Map<String, T> byName(List<T> items, Function<T, String> name) {
    Map<String, T> map = new LinkedHashMap<>();
    items.forEach(i -> map.put(name.apply(i), i));
    return map;
  }
}
