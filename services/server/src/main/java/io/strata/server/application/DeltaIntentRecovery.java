package io.strata.server.application;

import io.smallrye.mutiny.Uni;
import io.strata.projections.tables.TableQueries;
import io.quarkus.runtime.StartupEvent;
import io.strata.server.runtime.StorageBackends;
import io.strata.server.runtime.StrataConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

/**
 * The Delta versions units of a process that died wrote before their transactions committed (journalled as intents:
 * docs/delta.md, §7), put back in every Delta storage in use: at start-up and with every periodic recovery sweep
 * ({@link RecoverySchedule}). A unit still alive, another server's, is passed by (it holds the advisory lock on its
 * id). Then the tables of deleted branches that nothing reaches are deleted (docs/delta.md, Garbage). One unreachable
 * storage holds up none of the others.
 */
@ApplicationScoped
public class DeltaIntentRecovery {
  private static final Logger LOG = Logger.getLogger(DeltaIntentRecovery.class);

  /** The least {@code STRATA_DELTA_RELEASED_TABLE_GRACE} the server starts with: longer than any command takes. */
  static final java.time.Duration LEAST_GRACE = java.time.Duration.ofMinutes(5);

  private final TableQueries tables;
  private final StorageBackends backends;
  private final StrataConfig config;

  @Inject
  public DeltaIntentRecovery(TableQueries tables, StorageBackends backends, StrataConfig config) {
    this.tables = tables;
    this.backends = backends;
    this.config = config;
  }

  /**
   * A grace shorter than a command may take would let the sweep delete a deleted branch's table that a command which
   * read it before the deletion is about to name: it stops the start instead.
   */
  void checkGrace(@Observes StartupEvent start) {
    java.time.Duration grace = config.delta().releasedTableGrace();
    if (grace.compareTo(LEAST_GRACE) < 0) {
      throw new IllegalArgumentException("STRATA_DELTA_RELEASED_TABLE_GRACE (" + grace + ") must be at least "
          + LEAST_GRACE + ": a command that read a deleted branch's table before its deletion may still name it");
    }
  }

  /** One pass over every Delta storage in use. */
  public Uni<Void> recoverAll() {
    return StoragesInUse.each(tables, backends, (repository, poolOf, storage) -> repository == null
        ? Uni.createFrom().voidItem()
        : backends.holdsDeltaTables(repository, storage)
            .chain(delta -> !delta ? Uni.createFrom().voidItem() : backends.inOwnTransaction(repository, storage,
                    c -> c.roles().branchObjects().recovering(c))
                .onFailure().invoke(f -> LOG.warnf("could not put back what interrupted units wrote to Delta storage"
                    + " %s of %s (again at the next sweep): %s", storage, repository, f.getMessage()))
                .onFailure().recoverWithNull()
                // then the tables of deleted branches nothing reaches, outside any transaction (DeltaRootSweep)
                .chain(() -> backends.withoutTransaction(repository, storage,
                    c -> c.roles().branchObjects().sweepReleased(c, repository, config.delta().releasedTableGrace())))
                .onFailure().invoke(f -> LOG.warnf("could not sweep the tables of deleted branches in Delta storage"
                    + " %s of %s (again at the next sweep): %s", storage, repository, f.getMessage()))
                .replaceWithVoid())
            .onFailure().recoverWithNull());
  }
}
