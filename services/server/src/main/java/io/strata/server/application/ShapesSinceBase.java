package io.strata.server.application;

import io.strata.events.TableShape;
import io.strata.events.TableTracked;
import io.strata.server.domain.RepositoryState;
import io.strata.server.domain.SchemaChoices;
import io.strata.server.domain.SchemaMerge;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the sides of a schema merge changed since their merge base, record against record: the tables whose shape
 * the source changed (the merge's commit records them), and whether a resolution's conflict is settled on the target
 * already (a retry of an attempt that settled it). Pure: reads the state and the records it is given.
 */
final class ShapesSinceBase {
  private ShapesSinceBase() {}

  /**
   * Whether resolution {@code r}'s conflict was settled as it asks already: the target and the source agree on the
   * column, check or index it names (and on the definition it gives), and the target changed it since the base — an
   * earlier attempt of the operation, refused or aborted after it changed the target's shape, settled it so. A
   * resolution of a column or rule both sides kept as the base had it is no such thing: it names no conflict.
   */
  static boolean settledAlready(RepositoryState state, String target, SchemaChoices.Resolution r,
      Map<String, TableShape> base, Map<String, List<TableShape.Column>> theirs,
      Map<String, List<TableShape.Constraint>> baseRules, Map<String, List<TableShape.Constraint>> theirsRules) {
    TableTracked t = state.tables().get(r.table());
    if (t == null || !state.hasTable(t.name(), target)) {
      return false;
    }
    if (r.column() != null) {
      TableShape.Column ours = named(SchemaSettlement.columnsOn(state, t, target), r.column());
      TableShape.Column source = named(theirs.getOrDefault(t.name(), List.of()), r.column());
      TableShape.Column was = base.containsKey(t.name()) ? named(base.get(t.name()).columns(), r.column()) : null;
      return ours != null && SchemaMerge.same(ours, source) && !SchemaMerge.same(ours, was)
          && (r.definition() == null || SchemaMerge.same(ours, r.definition().named(r.column())));
    }
    TableShape.Constraint ours = ruleNamed(state.constraintsOn(t.name(), target), r.constraint());
    return ours != null && ours.equals(ruleNamed(theirsRules.getOrDefault(t.name(), List.of()), r.constraint()))
        && !ours.equals(ruleNamed(baseRules.getOrDefault(t.name(), List.of()), r.constraint()));
  }

  private static TableShape.Column named(List<TableShape.Column> columns, String name) {
    return columns.stream().filter(c -> c.name().equals(name)).findFirst().orElse(null);
  }

  private static TableShape.Constraint ruleNamed(List<TableShape.Constraint> rules, String name) {
    return rules.stream().filter(c -> c.name().equals(name)).findFirst().orElse(null);
  }

  /**
   * The tables whose shape on its branch the source changed since the base, record against record (a live source
   * against the base's record; {@code baseNames} null: the columns read not compared, a live source's being its
   * table's): columns added, columns read, names shown, definitions, rules.
   */
  static Set<String> shapedBySource(RepositoryState state, Map<String, List<TableShape.Column>> baseAdded,
      Map<String, List<TableShape.Column>> theirsAdded, Map<String, List<String>> baseNames,
      Map<String, List<String>> sourceNames, Map<String, Map<String, String>> baseRenamed,
      Map<String, Map<String, String>> sourceRenamed, Map<String, Map<String, TableShape.Column>> baseDefined,
      Map<String, Map<String, TableShape.Column>> theirsDefined, Map<String, List<TableShape.Constraint>> baseChecks,
      Map<String, List<TableShape.Constraint>> sourceChecks) {
    Set<String> shaped = new java.util.TreeSet<>();
    for (String t : state.tables().keySet()) {
      boolean changed = !sameFor(baseAdded, theirsAdded, t, List.of())
          || baseNames != null && !sameFor(baseNames, sourceNames, t, null)
          || !sameFor(baseRenamed, sourceRenamed, t, Map.of())
          || !sameFor(baseDefined, theirsDefined, t, Map.of())
          || !sameFor(baseChecks, sourceChecks, t, List.of());
      if (changed) {
        shaped.add(t);
      }
    }
    return shaped;
  }

  /** Whether {@code a} and {@code b} hold the same for {@code table} (absent read as {@code none}). */
  private static <T> boolean sameFor(Map<String, T> a, Map<String, T> b, String table, T none) {
    return java.util.Objects.equals(a.getOrDefault(table, none), b.getOrDefault(table, none));
  }

}
