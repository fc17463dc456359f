package io.strata.server.application;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.strata.events.TableShape;
import io.strata.events.TableTracked;
import io.strata.projections.rowdata.BranchObjects;
import io.strata.projections.rowdata.TrackedTable;
import io.strata.projections.rowdata.UnitOfWork;
import io.strata.server.domain.RepositoryState;
import io.strata.server.runtime.StorageBackends;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.jboss.logging.Logger;

/**
 * The table's own unique constraints on the branches that were made before the table had them: when the table's
 * recorded shape gains one (DDL on the default branch, followed or recorded as drift), every other branch reading the
 * table holds the table's constraints it does not hold yet, in the transaction that records the shape, as a branch
 * made then would ({@code BranchObjects.holdTableUniques}: one a row of the branch already shares values of stays not
 * held). A branch whose writers keep its objects locked past the migration lock timeout is passed over, logged, and
 * owes the hold ({@link OwedUniqueHolds} tries it again later).
 */
final class TableUniquesOnBranches {
  private static final Logger LOG = Logger.getLogger(TableUniquesOnBranches.class);

  private TableUniquesOnBranches() {}

  /** After table {@code t} of {@code state}'s shape becomes {@code now}: see the class. */
  static Uni<Void> holdGained(StorageBackends backends, UnitOfWork tx, RepositoryState state, String repository,
      TableTracked t, TableShape now, Duration lockTimeout) {
    if (t == null || gained(t.knownShape(), now).isEmpty()) {
      return Uni.createFrom().voidItem();
    }
    List<String> branches = state.branches().keySet().stream()
        .filter(b -> !b.equals(state.defaultBranch()) && state.hasTable(t.name(), b)).sorted().toList();
    if (branches.isEmpty()) {
      return Uni.createFrom().voidItem();
    }
    // (the table's lock, had for the first branch, is kept to the end: past the limit for one, it is for the rest,
    // tried without waiting, each owing its hold)
    boolean[] busy = {false};
    return backends.inCommand(tx, repository, t.storage(), c -> Multi.createFrom().iterable(branches)
        .onItem().transformToUniAndConcatenate(b -> c.roles().branchObjects()
            .holdTableUniques(c, onBranch(state, repository, t, b), b, busy[0] ? Duration.ofMillis(1) : lockTimeout)
            .invoke(held -> {
              if (held == BranchObjects.Hold.BUSY && !busy[0]) {
                busy[0] = true;
                LOG.warnf("branches of repository %s from %s on do not hold table %s's new unique constraints yet:"
                    + " its writers held it past %s (tried again later)", repository, b, t.name(), lockTimeout);
              } else if (held == BranchObjects.Hold.FAILED) {
                LOG.warnf("branch %s of repository %s does not hold table %s's new unique constraints yet: holding"
                    + " them failed (tried again later)", b, repository, t.name());
              }
            })
            .replaceWithVoid())
        .collect().last().replaceWithVoid());
  }

  /**
   * The unique constraints {@code now} has and {@code before} had not as they are (a name and definition: one dropped
   * and made again otherwise, which the branches stopped holding, is gained again).
   */
  static Set<TableShape.Constraint> gained(TableShape before, TableShape now) {
    Set<TableShape.Constraint> had = before.constraints().stream().filter(c -> "unique".equals(c.kind()))
        .collect(Collectors.toSet());
    return now.constraints().stream().filter(c -> "unique".equals(c.kind()) && !had.contains(c))
        .collect(Collectors.toSet());
  }

  /** Table {@code t} as branch {@code branch} reads it. */
  static TrackedTable onBranch(RepositoryState state, String repository, TableTracked t, String branch) {
    return new TrackedTable(repository, t.name(), t.schema(), t.table(), t.primaryKey(), t.columns(),
        state.columnsOn(t.name(), branch), state.addedOn(t.name(), branch), state.renamedOn(t.name(), branch),
        state.redefinedOn(t.name(), branch));
  }
}
