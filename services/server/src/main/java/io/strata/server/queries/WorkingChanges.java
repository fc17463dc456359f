package io.strata.server.queries;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.strata.projections.overlay.OverlaySql;
import io.strata.projections.overlay.TableObjects;
import io.strata.projections.overlay.TableObjects.Counts;
import io.strata.projections.refs.RefRows.RepositoryRow;
import io.strata.projections.tables.TableQueries;
import io.strata.projections.tables.TableRow;
import io.strata.server.domain.Existing;
import io.strata.server.domain.TableShapes;
import io.strata.server.runtime.StoragePools;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.List;

/**
 * A branch's working changes per tracked table: what changed since its last commit, staged or not.
 * On the default branch these are the writes applications made straight to the tables, as the capture
 * triggers recorded them; on other branches, the writes through their views and the REST API.
 */
@ApplicationScoped
public class WorkingChanges {
  private final Existing existing;
  private final TableQueries tables;
  private final StoragePools pools;

  @Inject
  public WorkingChanges(Existing existing, TableQueries tables, StoragePools pools) {
    this.existing = existing;
    this.tables = tables;
    this.pools = pools;
  }

  /** @param sql where SQL reads and writes the table on this branch (its view, or the table itself) */
  public record TableStatus(String table, String sql, Counts staged, Counts unstaged) {}

  public record BranchStatus(String branch, String head, boolean clean, boolean mergeInProgress, List<TableStatus> tables) {}

  public Uni<BranchStatus> status(RepositoryRow repository, String branch) {
    return existing.branch(repository.name(), branch)
        .chain(b -> tables.tables(repository.name())
            .chain(list -> Multi.createFrom().iterable(list)
                .onItem().transformToUniAndConcatenate(t -> tableStatus(repository, t, branch))
                .collect().asList())
            .map(statuses -> new BranchStatus(branch, b.head(),
                statuses.stream().allMatch(s -> s.staged().isEmpty() && s.unstaged().isEmpty()), false, statuses)));
  }

  private Uni<TableStatus> tableStatus(RepositoryRow repository, TableRow t, String branch) {
    OverlaySql sql = OverlaySql.of(repository.name(), t, branch, repository.defaultBranch());
    return pools.pool(repository.name(), t.storage())
        .chain(pool -> TableObjects.status(pool, sql)
            .chain(s -> TableObjects.relation(pool, sql).map(relation -> new TableStatus(t.name(), relation,
                s.staged(), s.unstaged()))))
        .onFailure().recoverWithUni(e -> TableShapes.explain(e,
            pools.pool(repository.name(), t.storage()), t.toEvent()));
  }

}
