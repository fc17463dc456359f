package io.strata.server.queries;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.smallrye.mutiny.Uni;
import io.strata.events.EventCodec;
import io.strata.events.TableColumn;
import io.strata.projections.tables.TableQueries;
import io.strata.server.domain.ColumnLayouts;
import io.strata.server.runtime.CommitGraphReads;
import io.strata.server.runtime.StorageBackends;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * Which columns a read at a commit shows: a commit of the default branch's history made before its table
 * gained columns shows the columns it had, not the ones added since (whose values a read of its rows
 * would otherwise take from the table's rows now, or their defaults). Commits outside that history show
 * the columns of the branch read (where a commit's columns are not recorded yet).
 */
@ApplicationScoped
public class ColumnsAtCommits {
  private final Pool metadata;
  private final TableQueries tables;

  @Inject
  public ColumnsAtCommits(Pool metadata, TableQueries tables) {
    this.metadata = metadata;
    this.tables = tables;
  }

  /**
   * The columns of {@code shown} (the columns of the branch read) that rows of {@code table} at {@code
   * commit} do not have: the table's own its branch did not read when it was made, where it recorded its own
   * columns (it had dropped some); else empty unless the commit is in {@code defaultBranch}'s history and
   * predates columns the table gained since.
   */
  public Uni<Set<String>> hiddenAt(String repository, String defaultBranch, String commit, String table,
      List<TableColumn> shown) {
    // a column the branch added since the commit is read with its default (the branch's columns apply to its
    // history at once); one of the table's own that the commit's branch had dropped (the table had it then, the
    // branch did not read it) is not
    return hiddenByShape(repository, defaultBranch, commit, table, shown).chain(hidden -> tables
        .columnNamesAt(repository, commit).chain(recorded -> !recorded.containsKey(table)
            ? Uni.createFrom().item(hidden)
            : tables.columnsAt(repository, commit, table).map(then -> {
              Set<String> all = new TreeSet<>(hidden);
              then.orElse(List.of()).stream().map(TableColumn::name)
                  .filter(c -> !recorded.get(table).contains(c) && shown.stream().anyMatch(x -> x.name().equals(c)))
                  .forEach(all::add);
              return all;
            })));
  }

  /** {@link #hiddenAt} for a commit whose branch read the table's columns: as its recorded shape has them. */
  private Uni<Set<String>> hiddenByShape(String repository, String defaultBranch, String commit, String table,
      List<TableColumn> shown) {
    return tables.columnsAt(repository, commit, table).chain(then -> {
      if (then.isEmpty() || !ColumnLayouts.appended(shown, then.get())) {
        return Uni.createFrom().item(Set.<String>of());
      }
      Set<String> hidden = new TreeSet<>(shown.stream().map(TableColumn::name).toList());
      then.get().forEach(c -> hidden.remove(c.name()));
      return hidden.isEmpty() ? Uni.createFrom().item(hidden) : hiddenInHistory(repository, defaultBranch, commit,
          table, hidden);
    });
  }

  /**
   * {@code hidden} but for the columns the branch {@code commit} was made on had added through Strata (its
   * rows have them: a commit merged into the default branch from a branch that added columns is in its
   * history, its recorded shape the default branch's then), when the commit is in {@code defaultBranch}'s
   * history; else none.
   */
  private Uni<Set<String>> hiddenInHistory(String repository, String defaultBranch, String commit, String table,
      Set<String> hidden) {
    return tables.addedAt(repository, commit).chain(added -> {
      added.getOrDefault(table, List.of()).forEach(c -> hidden.remove(c.name()));
      // a commit's recorded columns are exact only in the default branch's history (see TableQueries#shapesAt)
      return metadata.withConnection(c -> c.preparedQuery(ReadSnapshots.HEAD)
          .execute(Tuple.of(repository, defaultBranch))
          .chain(rows -> CommitGraphReads.mergeBase(StorageBackends.unitOf(c), repository,
              rows.iterator().next().getString(0), commit)))
          .map(base -> commit.equals(base) ? hidden : Set.<String>of());
    });
  }

  /** A row's JSON text without {@code hidden} columns (as it is, when there are none). */
  public static String without(String row, Set<String> hidden) {
    if (hidden.isEmpty()) {
      return row;
    }
    try {
      ObjectNode node = (ObjectNode) EventCodec.mapper().readTree(row);
      node.remove(hidden);
      return node.toString();
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a row read is not JSON", e);
    }
  }
}
