package io.strata.server.application;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.strata.projections.tables.TableQueries;
import io.strata.server.runtime.PeriodicJob;
import io.strata.server.runtime.StorageBackends;
import io.vertx.core.Vertx;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.jboss.logging.Logger;

/**
 * The promotion gate in registered storages: their branch views refuse writes to the branches their {@code
 * strata.gated_branches} lists, as the server's own database's do. The server's database takes the list in the
 * transaction of the append that changes it; another database cannot, so it is written there right after that
 * append commits, still in the repository's turn ({@link CommandAppends#afterCommit}): for the moment in between, a
 * statement through such a view is decided by the list as it was. A storage out of reach then is written by the
 * round that runs every {@link #ROUND} (and once at start), which compares every registered storage's list with the
 * repository's state and writes those that differ.
 */
@ApplicationScoped
public class StorageGates {
  private static final Logger LOG = Logger.getLogger(StorageGates.class);
  static final Duration ROUND = Duration.ofSeconds(30);
  /** How long an append's turn waits for a storage's gate to be written. */
  static final Duration WAIT = Duration.ofSeconds(2);

  private final CommandProcessor processor;
  private final StorageBackends backends;
  private final TableQueries tables;
  private final PeriodicJob periodic;

  @Inject
  public StorageGates(CommandProcessor processor, StorageBackends backends, TableQueries tables, Vertx vertx) {
    this.processor = processor;
    this.backends = backends;
    this.tables = tables;
    this.periodic = new PeriodicJob(vertx, "writing the promotion gates of registered storages", this::round);
  }

  void onStart(@Observes @Priority(3300) StartupEvent e) {
    processor.storageGates(this::write);
    periodic.start(Duration.ofSeconds(1), ROUND);
  }

  void onStop(@Observes ShutdownEvent e) {
    periodic.stop();
  }

  /**
   * Writes {@code gated} into the gate of each of {@code storages} that is not the server's own database; a storage
   * that does not answer within {@link #WAIT} is left to the round (the repository's turn is held meanwhile).
   */
  Uni<Void> write(String repository, Set<String> storages, Map<String, String> gated) {
    return Multi.createFrom().iterable(storages).filter(s -> !backends.sharesAppendTransaction(s))
        .onItem().transformToUniAndConcatenate(storage -> writeOne(repository, storage, gated)
            .ifNoItem().after(WAIT).recoverWithItem(() -> {
              LOG.warnf("the promotion gate of repository %s in storage %s was not written within %s: the next round"
                  + " writes it", repository, storage, WAIT);
              return null;
            }))
        .collect().last().replaceWithVoid();
  }

  private Uni<Void> writeOne(String repository, String storage, Map<String, String> gated) {
    return backends.inOwnTransaction(repository, storage, unit -> unit.roles().branchObjects().gate(unit, repository,
            gated))
        .onFailure().invoke(e -> LOG.warnf("the promotion gate of repository %s in storage %s could not be written"
            + " (%s): the next round writes it", repository, storage, e.toString()))
        .onFailure().recoverWithNull();
  }

  /** Every registered storage's gate compared with its repository's state now, and written where they differ. */
  public Uni<Void> round() {
    return StoragesInUse.each(tables, backends, (repository, poolOf, storage) -> repository == null
        ? Uni.createFrom().voidItem()
        : processor.state(repository)
            .chain(state -> {
              Map<String, String> gated = CommandAppends.gatedBranches(repository, state);
              return backends.withoutTransaction(repository, storage, unit -> unit.roles().branchObjects()
                      .gated(unit, repository))
                  .chain(now -> now.equals(gated) ? Uni.createFrom().voidItem() : writeOne(repository, storage, gated));
            })
            .onFailure().invoke(e -> LOG.debugf("the promotion gate of repository %s in storage %s: %s", repository,
                storage, e.toString()))
            .onFailure().recoverWithNull());
  }
}
