package io.strata.server.domain;

import io.strata.events.BranchCreated;
import io.strata.events.BranchDeleted;
import io.strata.events.RepositoryDeleted;
import io.strata.events.StrataEvent;
import io.strata.events.TableBranchesChanged;
import io.strata.events.TableMadeOnBranch;
import io.strata.events.TablePlaced;
import io.strata.events.TableTracked;
import io.strata.events.TableUntracked;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/**
 * The tables made through Strata on a branch other than the default one and not yet brought into the default
 * branch: where each goes there, and which live branches have it. Every other tracked table is on every branch.
 * A branch has such a table when it was made on it, when it was created from a branch that had it, or when an event
 * says so ({@code table.branches_changed}: a merge, a cherry-pick or a commit of its rows brought it, or it dropped
 * it).
 */
public final class BranchMadeTables {
  /**
   * A table made on {@code branch}: its place on the default branch ({@code schema.table} of its storage) and the
   * live branches that have it, sorted.
   */
  public record Made(String branch, String schema, String table, List<String> branches) {
    public Made {
      branches = List.copyOf(new TreeSet<>(branches));
    }

    Made with(List<String> now) {
      return new Made(branch, schema, table, now);
    }
  }

  private final Map<String, Made> made = new HashMap<>();

  /** Folds the events that change which tables are made on branches and which branches have them. */
  void evolve(StrataEvent event) {
    if (event instanceof TableMadeOnBranch e) {
      made.put(e.name(), new Made(e.branch(), e.schema(), e.table(), List.of(e.branch())));
    } else if (event instanceof TableBranchesChanged e) {
      made.computeIfPresent(e.name(), (n, m) -> m.with(e.branches()));
    } else if (event instanceof TablePlaced e) {
      made.remove(e.name());
    } else if (event instanceof TableTracked e) {
      made.remove(e.name());
    } else if (event instanceof TableUntracked e) {
      made.remove(e.name());
    } else if (event instanceof RepositoryDeleted) {
      made.clear();
    } else if (event instanceof BranchCreated e && e.from() != null) {
      made.replaceAll((n, m) -> m.branches().contains(e.from()) ? m.with(plus(m.branches(), e.name())) : m);
    } else if (event instanceof BranchDeleted e) {
      made.replaceAll((n, m) -> m.with(m.branches().stream().filter(b -> !b.equals(e.name())).toList()));
    }
  }

  private static List<String> plus(List<String> branches, String branch) {
    TreeSet<String> after = new TreeSet<>(branches);
    after.add(branch);
    return List.copyOf(after);
  }

  /** The table made on a branch and not yet in the default branch, if {@code table} is one. */
  public Optional<Made> of(String table) {
    return Optional.ofNullable(made.get(table));
  }

  /** Whether {@code branch} has tracked table {@code table}: every branch has it unless it is made on branches. */
  public boolean has(String table, String branch) {
    Made m = made.get(table);
    return m == null || m.branches().contains(branch);
  }

  /** The tables made on branches that {@code branch} alone has, sorted: deleting it takes them out of the repository. */
  public List<String> onlyOn(String branch) {
    return made.entrySet().stream().filter(e -> e.getValue().branches().equals(List.of(branch)))
        .map(Map.Entry::getKey).sorted().toList();
  }

  /** The tables made on branches, by name. */
  public Map<String, Made> all() {
    return Map.copyOf(made);
  }

  /** The branches that have {@code table} once {@code branch} has it too (sorted). */
  public List<String> gaining(String table, String branch) {
    return plus(made.get(table).branches(), branch);
  }

  BranchMadeTables copy() {
    BranchMadeTables c = new BranchMadeTables();
    c.made.putAll(made);
    return c;
  }

  void restore(Map<String, Made> restored) {
    made.putAll(restored);
  }
}
