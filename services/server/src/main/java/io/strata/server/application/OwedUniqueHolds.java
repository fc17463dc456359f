package io.strata.server.application;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.strata.events.TableTracked;
import io.strata.projections.rowdata.BranchObjects;
import io.strata.projections.tables.TableQueries;
import io.strata.server.auth.Grants;
import io.strata.server.domain.TableCommand;
import io.strata.server.runtime.PeriodicJob;
import io.strata.server.runtime.StorageBackends;
import io.strata.server.runtime.StrataConfig;
import io.vertx.core.Vertx;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.util.UUID;
import org.jboss.logging.Logger;

/**
 * Holds the table's own unique constraints on the branches that owe it ({@link TableUniquesOnBranches} passed them over
 * when the table gained one: their writers held their objects past the migration lock timeout, or the look at their
 * rows ran past its limit; a hard move left one holding fewer than it may), every {@code
 * strata.schema.follow-interval}: per storage in use, the holds due, claimed first ({@link
 * BranchObjects#owedTableUniques}: each attempt pushes the next later, at most eight), each held in its repository's
 * queue against the state then, keeping the branch's other commands off it meanwhile. A branch or table gone since is
 * passed over (its removal, or the table's untracking, took the debt with it).
 */
@ApplicationScoped
public class OwedUniqueHolds {
  private static final Logger LOG = Logger.getLogger(OwedUniqueHolds.class);
  private static final Actor ACTOR = Actor.system("strata-ddl", Grants.UNRESTRICTED);

  private final TableQueries tables;
  private final StorageBackends backends;
  private final CommandProcessor processor;
  private final StrataConfig config;
  private final PeriodicJob periodic;

  @Inject
  public OwedUniqueHolds(TableQueries tables, StorageBackends backends, CommandProcessor processor, Vertx vertx,
      StrataConfig config) {
    this.tables = tables;
    this.backends = backends;
    this.processor = processor;
    this.config = config;
    this.periodic = new PeriodicJob(vertx, "holding the unique constraints branches were passed over for",
        this::holdAllDue);
  }

  /** After the schema follower's first round (priority 3100). */
  void onStart(@Observes @Priority(3200) StartupEvent e) {
    periodic.start(config.schema().followInterval(), config.schema().followInterval());
  }

  void onStop(@Observes ShutdownEvent e) {
    periodic.stop();
  }

  /**
   * One round: every storage in use once (the server's own database once for every repository, each registered
   * storage per repository), one out of reach holding up no other.
   */
  public Uni<Void> holdAllDue() {
    return StoragesInUse.each(tables, backends, this::holdDue);
  }

  /**
   * The holds due in {@code storage}, reached as {@code poolOf}'s storage of that name, of {@code repository}'s tables
   * (null: the server's own database, every repository's).
   */
  private Uni<Void> holdDue(String repository, String poolOf, String storage) {
    return backends.inOwnTransaction(poolOf, storage, unit -> unit.roles().branchObjects().owedTableUniques(unit))
        .chain(owed -> Multi.createFrom().iterable(owed)
            // (a registered storage's rows name their repository: only that repository's registration reaches them)
            .filter(o -> repository == null || repository.equals(o.repository()))
            .onItem().transformToUniAndConcatenate(this::hold)
            .collect().last())
        .onFailure().invoke(f -> LOG.warnf("could not hold the unique constraints owed in storage %s: %s", storage,
            f.getMessage()))
        .onFailure().recoverWithNull()
        .replaceWithVoid();
  }

  private Uni<Void> hold(BranchObjects.OwedHold owed) {
    CommandContext ctx = new CommandContext(ACTOR, null, null, null, UUID.randomUUID().toString(), true);
    return processor.execute(owed.repository(), Footprint.branches(owed.branch()), (tx, state) -> {
      TableTracked t = state.tables().get(owed.table());
      Uni<Void> work = t == null || owed.branch().equals(state.defaultBranch())
          || !state.branches().containsKey(owed.branch()) || !state.hasTable(owed.table(), owed.branch())
          ? Uni.createFrom().voidItem()
          : backends.inCommand(tx, owed.repository(), t.storage(), c -> c.roles().branchObjects()
              .holdOwedTableUniques(c, TableUniquesOnBranches.onBranch(state, owed.repository(), t, owed.branch()),
                  owed.branch(), config.schema().migrationLockTimeout())
              .invoke(held -> LOG.infof("branch %s of repository %s %s table %s's unique constraints it was passed"
                  + " over for", owed.branch(), owed.repository(), held == BranchObjects.Hold.HELD ? "holds"
                  : "was passed over again for", owed.table()))
              .replaceWithVoid());
      return work.replaceWith(new TableCommand.HoldOwedUniques(owed.table(), owed.branch()));
    }, ctx, Answer.NONE)
        .onFailure().invoke(f -> LOG.warnf("could not hold table %s's unique constraints on branch %s of %s: %s",
            owed.table(), owed.branch(), owed.repository(), f.getMessage()))
        .onFailure().recoverWithNull()
        .replaceWithVoid();
  }
}
