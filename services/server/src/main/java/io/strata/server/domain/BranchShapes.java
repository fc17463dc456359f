package io.strata.server.domain;

import io.strata.events.BranchDeleted;
import io.strata.events.RepositoryDeleted;
import io.strata.events.StrataEvent;
import io.strata.events.TableBranchSchemaChanged;
import io.strata.events.TableColumn;
import io.strata.events.TableSchemaChanged;
import io.strata.events.TableShape;
import io.strata.events.TableTracked;
import io.strata.events.TableUntracked;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The shapes live branches other than the default one give tracked tables, per table and branch, where they differ
 * from the table's: the columns a branch reads (kept when the table gained others while it read it), those it added
 * through Strata, those it shows under other names, the table's own it defines otherwise, and the rules (CHECK
 * constraints and indexes) it added. A branch's shape goes with the branch; a table's with the table. Part of {@link
 * RepositoryState}, which answers for the table's own shape where a branch has none of its own.
 */
final class BranchShapes {
  /** Per table, per branch: the columns it reads, when not the table's. */
  private final Map<String, Map<String, List<TableColumn>>> columns = new HashMap<>();
  private final Map<String, Map<String, List<TableShape.Column>>> added = new HashMap<>();
  private final Map<String, Map<String, Map<String, String>>> renamed = new HashMap<>();
  private final Map<String, Map<String, List<TableShape.Column>>> redefined = new HashMap<>();
  private final Map<String, Map<String, List<TableShape.Constraint>>> rules = new HashMap<>();

  /** A copy that later evolutions of this one leave alone. */
  BranchShapes copy() {
    BranchShapes c = new BranchShapes();
    copyInto(columns, c.columns);
    copyInto(added, c.added);
    copyInto(renamed, c.renamed);
    copyInto(redefined, c.redefined);
    copyInto(rules, c.rules);
    return c;
  }

  private static <T> void copyInto(Map<String, Map<String, T>> from, Map<String, Map<String, T>> to) {
    from.forEach((table, byBranch) -> to.put(table, new HashMap<>(byBranch)));
  }

  /** Folds one event in: the shape changes, and the branches and tables that go. */
  void evolve(StrataEvent event, String defaultBranch) {
    if (event instanceof RepositoryDeleted) {
      List.of(columns, added, renamed, redefined, rules).forEach(Map::clear);
    } else if (event instanceof BranchDeleted e) {
      List.of(columns, added, renamed, redefined, rules).forEach(m -> m.values().forEach(own -> own.remove(e.name())));
    } else if (event instanceof TableTracked e) {
      forget(e.name());
    } else if (event instanceof TableUntracked e) {
      forget(e.name());
    } else if (event instanceof TableSchemaChanged e && e.branch().equals(defaultBranch)) {
      setColumns(e.name(), e.branchColumns());
    } else if (event instanceof TableBranchSchemaChanged e) {
      columns.computeIfAbsent(e.name(), t -> new HashMap<>()).put(e.branch(), e.columns());
      added.computeIfAbsent(e.name(), t -> new HashMap<>()).put(e.branch(), e.added());
      put(renamed, e.name(), e.branch(), e.renamed(), e.renamed().isEmpty());
      put(redefined, e.name(), e.branch(), e.redefined(), e.redefined().isEmpty());
      put(rules, e.name(), e.branch(), e.rules(), e.rules().isEmpty());
    }
  }

  /** {@code value} as {@code branch}'s of {@code table}, or none when {@code none}. */
  private static <T> void put(Map<String, Map<String, T>> map, String table, String branch, T value, boolean none) {
    if (none) {
      map.getOrDefault(table, new HashMap<>()).remove(branch);
    } else {
      map.computeIfAbsent(table, t -> new HashMap<>()).put(branch, value);
    }
  }

  private void forget(String table) {
    List.of(columns, added, renamed, redefined, rules).forEach(m -> m.remove(table));
  }

  /** The branches whose columns of {@code table} are their own, replacing those known. */
  void setColumns(String table, List<TableSchemaChanged.BranchColumns> own) {
    columns.remove(table);
    own.forEach(b -> columns.computeIfAbsent(table, t -> new HashMap<>()).put(b.branch(), b.columns()));
  }

  void restoreAdded(Map<String, Map<String, List<TableShape.Column>>> restored) {
    copyInto(restored, added);
  }

  void restoreRedefined(Map<String, Map<String, List<TableShape.Column>>> restored) {
    copyInto(restored, redefined);
  }

  void restoreRules(Map<String, Map<String, List<TableShape.Constraint>>> restored) {
    copyInto(restored, rules);
  }

  void restoreRenamed(Map<String, Map<String, Map<String, String>>> restored) {
    copyInto(restored, renamed);
  }

  /** The columns {@code branch} reads of {@code table} when they are its own, else null. */
  List<TableColumn> columns(String table, String branch) {
    return branch == null ? null : columns.getOrDefault(table, Map.of()).get(branch);
  }

  List<TableShape.Column> added(String table, String branch) {
    return branch == null ? List.of() : added.getOrDefault(table, Map.of()).getOrDefault(branch, List.of());
  }

  Map<String, String> renamed(String table, String branch) {
    return branch == null ? Map.of() : renamed.getOrDefault(table, Map.of()).getOrDefault(branch, Map.of());
  }

  List<TableShape.Column> redefined(String table, String branch) {
    return branch == null ? List.of() : redefined.getOrDefault(table, Map.of()).getOrDefault(branch, List.of());
  }

  List<TableShape.Constraint> rules(String table, String branch) {
    return branch == null ? List.of() : rules.getOrDefault(table, Map.of()).getOrDefault(branch, List.of());
  }

  /** The live branches whose columns of {@code table} are their own, sorted by branch. */
  List<TableSchemaChanged.BranchColumns> branchColumns(String table) {
    return columns.getOrDefault(table, Map.of()).entrySet().stream().sorted(Map.Entry.comparingByKey())
        .map(e -> new TableSchemaChanged.BranchColumns(e.getKey(), e.getValue())).toList();
  }
}
