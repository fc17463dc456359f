package io.strata.server.commands;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.strata.events.TableTracked;
import io.strata.projections.graph.CommitGraph;
import io.strata.projections.overlay.OverlaySql;
import io.strata.projections.overlay.TableObjects;
import io.strata.projections.runtime.ProjectionRuntime;
import io.strata.server.domain.RepositoryState;
import io.strata.server.domain.Storages;
import io.strata.server.runtime.StoragePools;
import io.strata.server.runtime.StrataConfig;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.List;

/**
 * The data side of creating and deleting branches: one overlay, working log and view per tracked
 * table. A new branch's overlay holds exactly the keys where its start commit differs from the
 * default branch's working state (the table): O(rows that differ), never O(table), and zero rows for
 * a branch of a clean default branch's head. Runs inside the branch command's own transaction for
 * tables in the server's database, so the overlay and the event are one transaction.
 */
@ApplicationScoped
public class BranchOverlays {
  private final StoragePools pools;
  private final ProjectionRuntime projections;
  private final StrataConfig config;

  @Inject
  public BranchOverlays(StoragePools pools, ProjectionRuntime projections, StrataConfig config) {
    this.pools = pools;
    this.projections = projections;
    this.config = config;
  }

  /** Installs the overlays of a new branch starting at {@code start}, which the caller's state has decided on. */
  public Uni<Void> install(SqlConnection tx, RepositoryState state, String repository, String branch, String start) {
    String mainHead = state.branch(state.defaultBranch()).head();
    String bid = OverlaySql.branchId(repository, branch);
    List<TableTracked> tables = new ArrayList<>(state.tables().values());
    // the commit graph read below must include every commit the state has seen
    return projections.awaitVersion(repository, state.version(), config.consistency().waitTimeout())
        .chain(() -> Multi.createFrom().iterable(tables)
            .onItem().transformToUniAndConcatenate(t -> CommitGraph.pathsBetween(tx, repository, mainHead, start, t.name())
                .chain(paths -> {
                  OverlaySql main = OverlaySql.of(repository, t);
                  OverlaySql onBranch = main.onBranch(bid);
                  String fill = onBranch.fillOverlay(main.changed("$1", "$2", true));
                  Tuple params = Tuple.of(paths.undo().toArray(String[]::new), paths.redo().toArray(String[]::new));
                  return inTablesDatabase(tx, repository, t, c -> TableShapes.requireUnchanged(c, t)
                      .chain(() -> TableObjects.removeBranch(c, onBranch))
                      .chain(() -> TableObjects.addBranch(c, onBranch, t.name(), branch,
                          conn -> conn.preparedQuery(fill).execute(params))));
                }))
            .collect().last().replaceWithVoid());
  }

  /** Removes a branch's overlays in the server's database, in the caller's transaction. */
  public Uni<Void> removeLocal(SqlConnection tx, RepositoryState state, String repository, String branch) {
    String bid = OverlaySql.branchId(repository, branch);
    return Multi.createFrom().iterable(new ArrayList<>(state.tables().values()))
        .filter(t -> Storages.LOCAL.equals(t.storage()))
        .onItem().transformToUniAndConcatenate(t -> TableObjects.removeBranch(tx, OverlaySql.of(repository, t).onBranch(bid)))
        .collect().last().replaceWithVoid();
  }

  /** Removes a branch's overlays in other storages, once its deletion is recorded. */
  public Uni<Void> removeRemote(List<TableTracked> tables, String repository, String branch) {
    return Multi.createFrom().iterable(tables).filter(t -> !Storages.LOCAL.equals(t.storage()))
        .onItem().transformToUniAndConcatenate(t -> pools.pool(repository, t.storage())
            .chain(pool -> pool.withTransaction(c -> TableObjects.removeBranch(c,
                OverlaySql.of(repository, t).onBranch(OverlaySql.branchId(repository, branch))))))
        .collect().last().replaceWithVoid();
  }

  private Uni<Void> inTablesDatabase(SqlConnection tx, String repository, TableTracked t,
      java.util.function.Function<SqlConnection, Uni<Void>> work) {
    if (Storages.LOCAL.equals(t.storage())) {
      return work.apply(tx);
    }
    return pools.pool(repository, t.storage()).chain(pool -> pool.withTransaction(work::apply));
  }
}
