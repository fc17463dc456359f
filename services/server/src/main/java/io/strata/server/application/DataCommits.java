package io.strata.server.application;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.strata.events.TableTracked;
import io.strata.projections.graph.CommitGraph;
import io.strata.projections.rowdata.BranchRef;
import io.strata.projections.rowdata.ChangeSets;
import io.strata.projections.rowdata.ChangeSets.Captured;
import io.strata.projections.rowdata.TrackedTable;
import io.strata.projections.runtime.ProjectionRuntime;
import io.strata.projections.tables.TableRow;
import io.strata.server.domain.Commands;
import io.strata.server.domain.ErrorCode;
import io.strata.server.domain.RepositoryState;
import io.strata.server.domain.Storages;
import io.strata.server.domain.StrataException;
import io.strata.server.domain.TableShapes;
import io.strata.server.runtime.StoragePools;
import io.strata.server.runtime.StrataConfig;
import io.vertx.mutiny.sqlclient.SqlConnection;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.math.BigInteger;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * The data side of a commit, run inside the commit's own append transaction: capture the branch's
 * staged rows of every table in the server's database into change sets, and, on a branch other than
 * the default one, work out the branch's table content the commit starts from. Tables in registered
 * storages are captured under the cross-storage protocol ({@link CrossStorageCommits}).
 */
@ApplicationScoped
public class DataCommits {
  private final StoragePools pools;
  private final ProjectionRuntime projections;
  private final StrataConfig config;
  private final CrossStorageCommits crossStorage;
  private final ChangeSets<SqlConnection> changeSets;

  @Inject
  public DataCommits(StoragePools pools, ProjectionRuntime projections, StrataConfig config,
      CrossStorageCommits crossStorage, ChangeSets<SqlConnection> changeSets) {
    this.changeSets = changeSets;
    this.crossStorage = crossStorage;
    this.pools = pools;
    this.projections = projections;
    this.config = config;
  }

  /** The commit command with what it captured and the content it starts from. */
  public Uni<Commands.Command> prepare(SqlConnection tx, RepositoryState state, String repository,
      Commands.CreateCommit command, List<TableRow> tracked, boolean all) {
    return prepare(tx, state, repository, command, tracked, tracked, all, Set.of()).map(c -> c);
  }

  /**
   * The same, capturing only tables among {@code capturable} (of {@code tracked}): what a merge commit
   * takes, the tables the merge wrote; those of {@code concluding} end the merge in progress there.
   */
  public Uni<Commands.CreateCommit> prepare(SqlConnection tx, RepositoryState state, String repository,
      Commands.CreateCommit command, List<TableRow> tracked, List<TableRow> capturable, boolean all,
      Set<String> concluding) {
    return capture(tx, repository, state.defaultBranch(), command.branch(), capturable, command.tables(), all,
        concluding)
        .chain(captured -> branchContent(tx, state, repository, command.branch(), tracked)
            .map(base -> command.withCaptured(captured, base)));
  }

  private Uni<List<Captured>> capture(SqlConnection tx, String repository, String defaultBranch,
      String branch, List<TableRow> tracked, List<String> only, boolean all, Set<String> concluding) {
    for (String name : only) {
      if (tracked.stream().noneMatch(t -> t.name().equals(name))) {
        throw new StrataException(ErrorCode.TableNotFound, "table '" + name + "' is not tracked",
            Map.of("table", String.valueOf(name)));
      }
    }
    List<TableRow> selected = tracked.stream().filter(t -> only.isEmpty() || only.contains(t.name())).toList();
    List<TableRow> remote = selected.stream().filter(t -> !Storages.LOCAL.equals(t.storage())).toList();
    // tables in the server's database first, in the append's own transaction; then the others, under
    // a recovery intent that the append deletes
    return Multi.createFrom().iterable(selected).filter(t -> Storages.LOCAL.equals(t.storage()))
        .onItem().transformToUniAndConcatenate(t -> TableShapes.requireUnchanged(tx, t.toEvent())
            .chain(() -> changeSets.capture(tx, TrackedTable.of(repository, t), BranchRef.of(branch, defaultBranch),
                all, null)))
        .collect().asList()
        .chain(local -> crossStorage.capture(tx, repository, defaultBranch, branch, remote, all, concluding)
            .map(others -> Stream.concat(local.stream().flatMap(Optional::stream), others.stream()).toList()));
  }

  /**
   * On a branch other than the default one: every tracked table's content at the branch's head, from
   * the recorded (default branch's) content and the change sets between the two heads — O(rows that
   * differ). Null on the default branch.
   */
  private Uni<Map<String, Commands.TableContent>> branchContent(SqlConnection tx, RepositoryState state,
      String repository, String branch, List<TableRow> tracked) {
    if (branch.equals(state.defaultBranch())) {
      return Uni.createFrom().nullItem();
    }
    String mainHead = state.branch(state.defaultBranch()).head();
    String head = state.branch(branch).head();
    Map<String, Commands.TableContent> content = new ConcurrentHashMap<>();
    // the commit graph read below must include every commit the state has seen
    return projections.awaitVersion(repository, state.version(), config.consistency().waitTimeout())
        .chain(() -> CommitGraph.pathsBetween(tx, repository, mainHead, head))
        .chain(paths -> Multi.createFrom().iterable(tracked)
            .filter(t -> state.tables().containsKey(t.name()))
            .onItem().transformToUniAndConcatenate(t -> {
              TableTracked recorded = state.tables().get(t.name());
              // the change sets live beside the table, in its own database
              Function<SqlConnection, Uni<ChangeSets.ContentDelta>> deltaIn = c -> changeSets.contentDelta(c,
                  TrackedTable.of(repository, t), paths.undo(t.name()), paths.redo(t.name()));
              return (Storages.LOCAL.equals(t.storage()) ? deltaIn.apply(tx)
                  : pools.pool(repository, t.storage()).chain(pool -> pool.withConnection(deltaIn::apply)))
                  .invoke(delta -> content.put(t.name(), new Commands.TableContent(recorded.rowCount() + delta.rows(),
                      new BigInteger(recorded.rowSum()).add(new BigInteger(delta.sum())).toString())))
                  .replaceWithVoid();
            })
            .collect().last())
        .map(done -> content);
  }
}
