package io.strata.server.application;

import io.strata.events.TableColumn;
import io.strata.events.TableShape;
import io.strata.events.TableTracked;
import io.strata.server.domain.BranchConstraints;
import io.strata.server.domain.ErrorCode;
import io.strata.server.domain.RepositoryState;
import io.strata.server.domain.SchemaMerge;
import io.strata.server.domain.StrataException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The three-way merge of the CHECK constraints branches added to a table (not the table's own, which change by
 * DDL on the default branch), by name: one the source added since the base (or redefined) reaches the target
 * where the target's is still the base's (none, or the same); one the source dropped since the base goes from a
 * target branch that still has the base's (the default branch's table keeps its constraints); the same on both
 * is one; otherwise a {@code schema_schema} conflict (409 {@code SchemaConflict}, each side's definition listed)
 * that {@code ours} or {@code theirs} settles. A check naming a column the target does not read stays behind.
 * Pure.
 */
final class ConstraintSettlement {
  private ConstraintSettlement() {}

  /** What the target takes: per table, the checks it gains (or takes redefined) and those it loses. */
  record Settled(Map<String, List<TableShape.Constraint>> adds, Map<String, List<String>> drops) {
    static final Settled NONE = new Settled(Map.of(), Map.of());

    boolean isEmpty() {
      return adds.isEmpty() && drops.isEmpty();
    }
  }

  static Settled settle(RepositoryState state, String target, String source,
      Map<String, List<TableShape.Constraint>> base, Map<String, List<TableShape.Constraint>> theirs,
      io.strata.server.domain.SchemaChoices choices) {
    boolean intoDefault = target.equals(state.defaultBranch());
    Map<String, List<TableShape.Constraint>> adds = new TreeMap<>();
    Map<String, List<String>> drops = new TreeMap<>();
    List<Map<String, Object>> open = new ArrayList<>();
    for (TableTracked t : state.tables().values()) {
      Map<String, TableShape.Constraint> b = byName(base.getOrDefault(t.name(), List.of()));
      Map<String, TableShape.Constraint> th = byName(theirs.getOrDefault(t.name(), List.of()));
      List<TableShape.Constraint> targets = intoDefault ? ownChecks(t) : state.constraintsOn(t.name(), target);
      Map<String, TableShape.Constraint> o = byName(targets);
      List<TableColumn> reads = state.columnsOn(t.name(), target);
      List<TableShape.Constraint> gains = new ArrayList<>();
      List<String> loses = new ArrayList<>();
      for (TableShape.Constraint given : th.values()) {
        TableShape.Constraint was = b.get(given.name());
        // the table's own: a check and an index of one name are two things (its constraints and indexes apart)
        TableShape.Constraint ours = targets.stream().filter(x -> x.name().equals(given.name())
            && (!intoDefault || TableShape.INDEX.equals(x.kind()) == TableShape.INDEX.equals(given.kind())))
            .findFirst().orElse(null);
        if (given.equals(was) || given.equals(ours) || t.columns().stream().anyMatch(c ->
            BranchConstraints.names(given, c.name()) && reads.stream().noneMatch(r -> r.name().equals(c.name())))) {
          continue;
        }
        boolean oursUnchanged = ours == null ? was == null : ours.equals(was);
        SchemaMerge.Side side = oursUnchanged ? null : choices.constraint(t.name(), given.name());
        if (oursUnchanged || side == SchemaMerge.Side.THEIRS) {
          if (ours != null) {
            loses.add(ours.name()); // redefined: dropped, then added as the source has it
          }
          gains.add(given);
        } else if (side != SchemaMerge.Side.OURS) {
          open.add(conflict(t.name(), given.name(), was, ours, given));
        }
      }
      for (TableShape.Constraint was : b.values()) {
        TableShape.Constraint ours = o.get(was.name());
        if (!th.containsKey(was.name()) && !intoDefault && was.equals(ours)
            && choices.strategy() != SchemaMerge.Side.OURS) {
          loses.add(was.name()); // the source dropped it since the base; the target kept the base's
        }
      }
      if (!gains.isEmpty()) {
        adds.put(t.name(), gains);
      }
      if (!loses.isEmpty()) {
        drops.put(t.name(), loses);
      }
    }
    if (!open.isEmpty()) {
      Map<String, Object> first = open.get(0);
      throw new StrataException(ErrorCode.SchemaConflict, open.size() + " schema conflict(s) merging '" + source
          + "' into '" + target + "', the first: schema_schema on check or index '" + first.get("constraint")
          + "' of table '"
          + first.get("table") + "' (" + first.get("ours") + " on '" + target + "', " + first.get("theirs") + " on '"
          + source + "'); settle them with schema_strategy ours or theirs (or each with schema_resolutions), or change"
          + " it on one side first",
          Map.of("schema_conflicts", open.stream().limit(SchemaMerges.LISTED).toList(),
              "schema_conflict_count", open.size()));
    }
    // a unique rule of a branch is carried to another branch (its rows looked at first, the merge's checked at its
    // end), and into the default branch's table as its own unique constraint (SchemaPromotions)
    return adds.isEmpty() && drops.isEmpty() ? Settled.NONE : new Settled(adds, drops);
  }

  /**
   * The table's own CHECK constraints and indexes, as its recorded shape lists them, as rules a branch adds: an
   * index a merge built on the table before is the branch's (its definition the same); a unique one is none.
   */
  private static List<TableShape.Constraint> ownChecks(TableTracked t) {
    List<TableShape.Constraint> own = new ArrayList<>();
    if (t.shape() != null && t.shape().constraints() != null) {
      // (its unique constraints too: one the branch's unique rule names alike is the rule, there already)
      t.shape().constraints().stream().filter(c -> "check".equals(c.kind()) || BranchConstraints.UNIQUE.equals(c.kind()))
          .forEach(own::add);
    }
    if (t.shape() != null && t.shape().indexes() != null) {
      t.shape().indexes().forEach(i -> own.add(i.unique()
          ? new TableShape.Constraint(i.name(), TableShape.INDEX, "UNIQUE " + i.definition()) : i.asRule()));
    }
    return own;
  }

  private static Map<String, TableShape.Constraint> byName(List<TableShape.Constraint> checks) {
    Map<String, TableShape.Constraint> by = new LinkedHashMap<>();
    checks.forEach(c -> by.put(c.name(), c));
    return by;
  }

  private static Map<String, Object> conflict(String table, String name, TableShape.Constraint base,
      TableShape.Constraint ours, TableShape.Constraint theirs) {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("table", table);
    d.put("constraint", name);
    d.put("type", SchemaMerge.Kind.SCHEMA_SCHEMA.wire());
    d.put("base", base == null ? null : base.definition());
    d.put("ours", ours == null ? null : ours.definition());
    d.put("theirs", theirs == null ? null : theirs.definition());
    return d;
  }
}
