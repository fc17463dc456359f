package io.strata.server.queries;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.strata.events.MergeStarted;
import io.strata.projections.refs.RefQueries;
import io.strata.projections.refs.RefRows.RepositoryRow;
import io.strata.projections.rowdata.BranchRef;
import io.strata.projections.rowdata.Merges;
import io.strata.projections.rowdata.TrackedTable;
import io.strata.projections.tables.TableQueries;
import io.strata.projections.tables.TableRow;
import io.strata.server.domain.Existing;
import io.strata.server.runtime.StorageBackends;
import io.strata.server.runtime.StorageBackends.OpenUnit;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Optional;

/**
 * A branch's merge in progress, as its projection and the conflicts kept beside its tables say: what
 * {@code GET …/merge} and the branch's status answer. Conflicts stream table by table through a cursor,
 * so any number of them passes in bounded memory.
 */
@ApplicationScoped
public class MergeConflicts {
  /** Conflicts per fetch of a table's cursor. */
  private static final int FETCH = 500;

  private final RefQueries refs;
  private final Existing existing;
  private final TableQueries tables;
  private final StorageBackends backends;

  @Inject
  public MergeConflicts(RefQueries refs, Existing existing, TableQueries tables, StorageBackends backends) {
    this.refs = refs;
    this.existing = existing;
    this.tables = tables;
    this.backends = backends;
  }

  /** A merge in progress: the event that began it, and the conflicts left. */
  public record InProgress(MergeStarted started, long remaining) {}

  /** The merge in progress on {@code branch}, if any. */
  public Uni<Optional<InProgress>> inProgress(String repository, String branch) {
    return refs.merge(repository, branch).map(found -> found.map(m -> new InProgress(m.event(), m.remaining())));
  }

  /** The merge in progress on {@code branch} of a repository, if any; 404 when the branch does not exist. */
  public Uni<Optional<InProgress>> find(RepositoryRow repository, String branch) {
    return existing.branch(repository.name(), branch).chain(() -> inProgress(repository.name(), branch));
  }

  /** Every conflict left, table by table in name order, each in key order. */
  public Multi<Merges.Conflict> conflicts(RepositoryRow repository, String branch, InProgress merge) {
    List<String> names = merge.started().tables().stream().map(MergeStarted.TableConflicts::table).sorted().toList();
    BranchRef into = BranchRef.of(branch, repository.defaultBranch());
    return Multi.createFrom().uni(tables.tables(repository.name()))
        .onItem().transformToIterable(all -> all.stream().filter(t -> names.contains(t.name()))
            .sorted((a, b) -> a.name().compareTo(b.name())).toList())
        .onItem().transformToMultiAndConcatenate((TableRow t) -> Multi.createFrom()
            .resourceFromUni(() -> backends.beginRead(repository.name(), t.storage()),
                read -> read.unit().roles().merges().conflicts(read.unit(), TrackedTable.on(repository.name(), t, into.name()), into,
                    FETCH))
            .withFinalizer(OpenUnit::rollback));
  }
}
