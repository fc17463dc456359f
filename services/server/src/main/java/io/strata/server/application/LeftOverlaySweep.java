package io.strata.server.application;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.strata.projections.rowdata.TrackedTable;
import io.strata.projections.tables.TableQueries;
import io.strata.projections.tables.TableRow;
import io.strata.server.domain.RepositoryState;
import io.strata.server.runtime.StorageBackends;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.jboss.logging.Logger;

/**
 * Removes the overlays in other PostgreSQL databases that no branch has: those of a branch whose deletion's clean-up
 * never ran or failed (the process died after the deletion was recorded, the database was out of reach), and those a
 * creation refused after installing them left. Such an overlay costs more than its space: while it is registered, every
 * write to its table keeps a pre-image for it. Part of the periodic recovery sweep.
 *
 * <p>An overlay is left alone until it is {@link #GRACE} old, as a creation installs a branch's overlays before it is
 * recorded; then it goes if the repository's authoritative state, read after the overlays, has no branch of its name.
 * It goes by its incarnation: one made anew meanwhile under the name stays. The removal waits for the table's lock at
 * most {@code strata.schema.migration-lock-timeout} (a client's transaction holding the table must not hold up the
 * sweep, nor queue the table's writers behind it): one it cannot take is left for the next sweep.
 */
@ApplicationScoped
public class LeftOverlaySweep {
  private static final Logger LOG = Logger.getLogger(LeftOverlaySweep.class);
  /**
   * Far longer than any creation takes from installing its first overlay (each table's is committed on its own) to
   * its append.
   */
  static final Duration GRACE = Duration.ofDays(1);

  private final TableQueries tables;
  private final StorageBackends backends;
  private final RepositoryStateLoader states;
  private final Duration lockWait;

  @Inject
  public LeftOverlaySweep(TableQueries tables, StorageBackends backends, RepositoryStateLoader states,
      io.strata.server.runtime.StrataConfig config) {
    this.tables = tables;
    this.backends = backends;
    this.states = states;
    this.lockWait = config.schema().migrationLockTimeout();
  }

  /** One pass over every other PostgreSQL database holding tracked tables; one failing holds up none of the others. */
  public Uni<Void> sweepAll() {
    return StoragesInUse.each(tables, backends, (repository, poolOf, storage) -> repository == null
        ? Uni.createFrom().voidItem()
        : backends.branchObjectsInAppend(repository, storage)
            .chain(inAppend -> inAppend ? Uni.createFrom().voidItem() : sweep(repository, storage))
            .onFailure().invoke(f -> LOG.warnf("could not sweep the overlays no branch has in storage %s of %s (again"
                + " at the next sweep): %s", storage, repository, f.getMessage()))
            .onFailure().recoverWithNull());
  }

  /** Removes the overlays no branch of {@code repository} has in {@code storage}; answers how many. */
  public Uni<Integer> sweep(String repository, String storage) {
    return tables.tables(repository).map(all -> all.stream().filter(t -> storage.equals(t.storage())).toList())
        .chain(onStorage -> Multi.createFrom().iterable(onStorage)
            .onItem().transformToUniAndConcatenate(t -> backends.withoutTransaction(repository, storage,
                    u -> u.roles().branchObjects().madeBefore(u, TrackedTable.of(repository, t), GRACE))
                .map(made -> new Made(t, made)))
            .collect().asList())
        // the state after the overlays: a branch recorded before an overlay was listed is in it
        .chain(made -> made.stream().allMatch(m -> m.overlays().isEmpty()) ? Uni.createFrom().item(0)
            : states.load(repository).chain(state -> removeLeft(repository, storage, state, made)));
  }

  private Uni<Integer> removeLeft(String repository, String storage, RepositoryState state, List<Made> made) {
    return Multi.createFrom().iterable(made)
        .onItem().transformToMultiAndConcatenate(m -> Multi.createFrom().iterable(m.overlays().entrySet())
            .filter(o -> state.branch(o.getKey()) == null)
            .onItem().transformToUniAndConcatenate(o -> backends.inOwnTransaction(repository, storage,
                    u -> u.roles().branchObjects().waitForLocksAtMost(u, lockWait)
                        .chain(() -> u.roles().branchObjects().remove(u, TrackedTable.of(repository, m.table()),
                            o.getKey(), o.getValue())))
                .invoke(removed -> {
                  if (removed) {
                    LOG.infof("removed the overlay of table %s of %s on branch '%s', which no branch has",
                        m.table().name(), repository, o.getKey());
                  }
                })
                .onFailure().invoke(f -> LOG.warnf("could not remove the overlay of table %s of %s on branch '%s',"
                    + " which no branch has (again at the next sweep): %s", m.table().name(), repository, o.getKey(),
                    f.getMessage()))
                .onFailure().recoverWithItem(false)))
        .filter(removed -> removed).collect().asList().map(List::size);
  }

  /** A table's overlays made more than {@link #GRACE} ago: branch name → incarnation. */
  private record Made(TableRow table, Map<String, String> overlays) {}
}
