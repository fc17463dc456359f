package io.strata.server.queries;

import io.strata.server.runtime.StorageBackends;
import com.fasterxml.jackson.annotation.JsonInclude;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.strata.projections.refs.RefRows.RepositoryRow;
import io.strata.projections.rowdata.BranchRef;
import io.strata.projections.rowdata.ChangeCounts;
import io.strata.projections.rowdata.TrackedTable;
import io.strata.projections.tables.TableQueries;
import io.strata.projections.tables.TableRow;
import io.strata.server.domain.Existing;
import io.strata.server.runtime.TableShapes;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A branch's working changes per tracked table: what changed since its last commit, staged or not.
 * On the default branch these are the writes applications made straight to the tables, as the capture
 * triggers recorded them; on other branches, the writes through their views and the REST API.
 */
@ApplicationScoped
public class WorkingChanges {
  private final Existing existing;
  private final TableQueries tables;
  private final StorageBackends backends;
  private final MergeConflicts merges;

  @Inject
  public WorkingChanges(Existing existing, TableQueries tables,
      StorageBackends backends, MergeConflicts merges) {
    this.merges = merges;
    this.backends = backends;
    this.existing = existing;
    this.tables = tables;
  }

  /**
   * @param sql where SQL reads and writes the table on this branch (its view, or the table itself); null for a Delta
   *     table
   * @param location where Delta engines read and write a Delta table on this branch (the table's path, or its
   *     branch's shallow clone); absent for a PostgreSQL table
   * @param schemaChanged the table's shape changed since the branch's head (a commit that takes the table records
   *     it): on the
   *     default branch DDL made on the table changed its recorded shape, on another the branch changed its own
   */
  public record TableStatus(String table,
      @org.eclipse.microprofile.openapi.annotations.media.Schema(nullable = true) String sql,
      @JsonInclude(JsonInclude.Include.NON_NULL) String location, ChangeCounts staged, ChangeCounts unstaged,
      boolean schemaChanged) {}

  /** A merge in progress on the branch: what is merged, from which base, and the conflicts left. */
  public record MergeSummary(String source, String sourceCommit, String base, String strategy, long conflicts) {}

  public record BranchStatus(String branch, String head, boolean clean, boolean mergeInProgress, List<TableStatus> tables,
      @JsonInclude(JsonInclude.Include.NON_NULL) MergeSummary merge) {}

  public Uni<BranchStatus> status(RepositoryRow repository, String branch) {
    return existing.branch(repository.name(), branch)
        .chain(b -> tables.tables(repository.name())
            // a table made on another branch is not this one's
            .map(all -> all.stream().filter(t -> t.on(branch)).toList())
            .chain(list -> schemaChanged(repository, branch, b.head(), list)
                .chain(changed -> Multi.createFrom().iterable(list)
                    .onItem().transformToUniAndConcatenate(t -> tableStatus(repository, t, branch,
                        changed.contains(t.name())))
                    .collect().asList()))
            .chain(statuses -> merges.inProgress(repository.name(), branch).map(merge -> new BranchStatus(branch,
                b.head(), statuses.stream().allMatch(s -> s.staged().isEmpty() && s.unstaged().isEmpty()
                    && !s.schemaChanged()),
                merge.isPresent(), statuses, merge.map(m -> new MergeSummary(m.started().source(),
                    m.started().sourceCommit(), m.started().base(), m.started().strategy(), m.remaining()))
                    .orElse(null)))));
  }

  /**
   * The tables whose shape changed since the branch's head: on the default branch their recorded shape (DDL
   * followed), on another the branch's own shape of them (columns, names, definitions, checks).
   */
  private Uni<Set<String>> schemaChanged(RepositoryRow repository, String branch, String head, List<TableRow> tracked) {
    return !branch.equals(repository.defaultBranch())
        ? tables.shapesDifferingFrom(repository.name(), branch, head, tracked.stream().map(TableRow::name).toList())
        : tables.shapesChangedSince(repository.name(), head, tracked.stream()
            .collect(Collectors.toMap(TableRow::name, t -> t.toEvent().knownShape())));
  }

  private Uni<TableStatus> tableStatus(RepositoryRow repository, TableRow t, String branch, boolean schemaChanged) {
    TrackedTable table = TrackedTable.on(repository.name(), t, branch);
    BranchRef on = BranchRef.of(branch, repository.defaultBranch());
    return backends.withoutTransaction(repository.name(), t.storage(), c -> c.roles().workingState().status(c, table, on)
            .chain(s -> c.roles().branchObjects().location(c, table, on)
                // a Delta table (no schema: a path) is reached by its location, not by SQL
                .map(location -> t.schema().isEmpty()
                    ? new TableStatus(t.name(), null, location.orElse(null), s.staged(), s.unstaged(), schemaChanged)
                    : new TableStatus(t.name(), location.orElse(null), null, s.staged(), s.unstaged(),
                        schemaChanged))))
        .onFailure().recoverWithUni(e -> TableShapes.explain(e, backends, t.storage(), table));
  }

}
