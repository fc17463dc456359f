package io.strata.server.application;

import io.smallrye.mutiny.Uni;
import io.strata.events.TableShape;
import io.strata.events.TableTracked;
import io.strata.projections.graph.CommitGraph;
import io.strata.projections.tables.TableQueries;
import io.strata.server.domain.RepositoryState;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The sides of a schema merge as {@link SchemaMerges} reads them besides the recorded shapes: the target's tables
 * with the columns its records listed as added put back in, and the names and CHECK constraints the source shows
 * (a live branch's now, a commit's its branch's then, the base's for a source on the default branch).
 */
final class SchemaMergeSides {
  private final TableQueries tables;
  private final CommitGraph graph;

  SchemaMergeSides(TableQueries tables, CommitGraph graph) {
    this.tables = tables;
    this.graph = graph;
  }

  /**
   * {@code shapes} (the tables as branch {@code target} reads them) with the table's columns its records ever listed as
   * added through Strata put back in: read as columns it had, so that one it dropped since stays dropped.
   */
  Uni<Map<String, TableShape>> withOwnAdded(String repo, RepositoryState state, String target,
      Map<String, TableShape> shapes) {
    RepositoryState.Branch b = state.branch(target);
    Map<String, TableShape> out = new java.util.TreeMap<>(shapes);
    return io.smallrye.mutiny.Multi.createFrom().iterable(List.copyOf(shapes.keySet()))
        .onItem().transformToUniAndConcatenate(table -> {
          TableTracked t = state.tables().get(table);
          TableShape shape = shapes.get(table);
          List<String> lacked = t == null ? List.of() : t.columns().stream().map(io.strata.events.TableColumn::name)
              .filter(n -> shape.columns().stream().noneMatch(c -> c.name().equals(n))).toList();
          if (lacked.isEmpty() || b.createdAt() == null) {
            return Uni.createFrom().voidItem();
          }
          return tables.recordedOnBranch(repo, table, target, b.createdAt(), b.head(), lacked).invoke(owned -> {
            if (!owned.isEmpty()) {
              List<TableShape.Column> columns = new java.util.ArrayList<>(shape.columns());
              t.columns().stream().filter(c -> owned.contains(c.name()))
                  .forEach(c -> columns.add(new TableShape.Column(c.name(), c.type(), c.nullable(), null, null, null,
                      null)));
              out.put(table, new TableShape(columns, shape.primaryKey(), shape.constraints(), shape.indexes()));
            }
          }).replaceWithVoid();
        })
        .collect().last().replaceWith(out);
  }

  /**
   * The names the source shows its columns under: a live branch's now, a commit's its branch's then — but the
   * default branch never renames (its table keeps its names), so a source on it (live, or a commit made on it)
   * shows the base's names: merging main back into a branch that renamed a column keeps the rename.
   */
  Uni<Map<String, Map<String, String>>> sourceNames(String repo, RepositoryState state, String theirs,
      String liveSource, Map<String, Map<String, String>> baseRenamed) {
    if (liveSource != null) {
      return Uni.createFrom().item(liveSource.equals(state.defaultBranch()) ? baseRenamed
          : renamedOn(state, liveSource));
    }
    return graph.commit(repo, theirs).chain(c -> c.isPresent() && state.defaultBranch().equals(c.get().branch())
        ? Uni.createFrom().item(baseRenamed) : tables.renamedAt(repo, theirs));
  }

  /**
   * The CHECK constraints the source's branch added: a live branch's now, a commit's its branch's then — but the
   * default branch adds none (its table's own are DDL), so a source on it shows the base's: merging main back into
   * a branch keeps the branch's checks.
   */
  Uni<Map<String, List<TableShape.Constraint>>> sourceChecks(String repo, RepositoryState state, String theirs,
      String liveSource, Map<String, List<TableShape.Constraint>> baseChecks) {
    if (liveSource != null) {
      return Uni.createFrom().item(liveSource.equals(state.defaultBranch()) ? baseChecks
          : constraintsOn(state, liveSource));
    }
    return graph.commit(repo, theirs).chain(c -> c.isPresent() && state.defaultBranch().equals(c.get().branch())
        ? Uni.createFrom().item(baseChecks) : tables.constraintsAt(repo, theirs));
  }

  /** Per table, the CHECK constraints {@code branch} added. */
  private static Map<String, List<TableShape.Constraint>> constraintsOn(RepositoryState state, String branch) {
    Map<String, List<TableShape.Constraint>> checks = new TreeMap<>();
    state.tables().keySet().forEach(t -> checks.put(t, state.constraintsOn(t, branch)));
    return checks;
  }

  /** Per table, the columns {@code branch} shows under other names. */
  private static Map<String, Map<String, String>> renamedOn(RepositoryState state, String branch) {
    Map<String, Map<String, String>> renamed = new TreeMap<>();
    state.tables().keySet().forEach(t -> {
      if (!state.renamedOn(t, branch).isEmpty()) {
        renamed.put(t, state.renamedOn(t, branch));
      }
    });
    return renamed;
  }
}
