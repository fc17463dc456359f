package io.strata.server.application;

import io.smallrye.mutiny.Uni;
import io.strata.events.TableShape;
import io.strata.projections.graph.CommitGraph;
import io.strata.projections.tables.TableQueries;
import io.strata.projections.tables.TableRow;
import io.strata.server.domain.Existing;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Map;

/**
 * Whether a merge into the default branch would narrow its tables: a branch that dropped a column of a
 * table records at its commits the columns it read, but no merge drops a table's column (the table is the
 * default branch's, and applications read it). Such a merge keeps the column and records the table's
 * columns in a merge commit rather than fast-forwarding to the narrower commits.
 */
@ApplicationScoped
public class DefaultBranchNarrowing {
  private final Existing existing;
  private final TableQueries tableQueries;
  private final CommitGraph graph;

  @Inject
  public DefaultBranchNarrowing(Existing existing, TableQueries tableQueries, CommitGraph graph) {
    this.existing = existing;
    this.tableQueries = tableQueries;
    this.graph = graph;
  }

  /**
   * A column of a table of the default branch {@code target} that the source's commit does not read though
   * the table had it then (its branch dropped it), or null; null too when {@code target} is not the default
   * branch or has the commit already.
   */
  public Uni<String> droppedColumn(String repo, String target, List<TableRow> tracked, String sourceCommit) {
    return existing.repository(repo).chain(row -> !target.equals(row.defaultBranch()) || sourceCommit == null
        ? Uni.createFrom().<String>nullItem()
        : tableQueries.columnNamesAt(repo, sourceCommit).chain(names -> names.isEmpty()
            ? Uni.createFrom().<String>nullItem()
            : tableQueries.shapesAt(repo, sourceCommit).map(then -> firstUnread(tracked, names, then)))
            .chain(column -> column == null ? Uni.createFrom().<String>nullItem()
                : existing.branch(repo, target).chain(into -> graph.compare(repo, into.head(), sourceCommit))
                    .map(c -> sourceCommit.equals(c.mergeBase()) ? null : column)));
  }

  /** The first column a table has now and had at the commit that the commit's branch did not read. */
  private static String firstUnread(List<TableRow> tracked, Map<String, List<String>> read,
      Map<String, TableShape> then) {
    for (TableRow t : tracked) {
      List<String> columns = read.get(t.name());
      TableShape shape = then.get(t.name());
      if (columns == null || shape == null) {
        continue;
      }
      for (TableShape.Column c : shape.columns()) {
        if (!columns.contains(c.name()) && t.facts().columns().stream().anyMatch(x -> x.name().equals(c.name()))) {
          return c.name();
        }
      }
    }
    return null;
  }
}
