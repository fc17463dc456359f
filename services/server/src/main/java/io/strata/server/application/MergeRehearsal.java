package io.strata.server.application;

import io.smallrye.mutiny.Uni;
import io.strata.projections.rowdata.Merges.Strategy;
import io.strata.projections.rowdata.UnitOfWork;
import io.strata.projections.tables.TableQueries;
import io.strata.projections.tables.TableRow;
import io.strata.server.application.MergeCommands.FastForward;
import io.strata.server.application.MergeCommands.Outcome;
import io.strata.server.application.MergeCommands.Request;
import io.strata.server.domain.ColumnsGiven;
import io.strata.server.domain.Commands;
import io.strata.server.domain.RepositoryState;
import io.strata.server.runtime.StorageBackends;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.List;

/**
 * Before a merge, revert or cherry-pick changes its target's columns ({@link SchemaPromotions}, which
 * commits them: on the default branch an ALTER TABLE), the operation rehearsed as a dry run in a
 * transaction rolled back, so that what would refuse it (working changes, a schema_data conflict, a value
 * the target's type cannot take, a conflict under fail_on_conflict, a revert outside the branch's history)
 * refuses it before anything changes. Only when columns change: other operations pay nothing.
 */
@ApplicationScoped
class MergeRehearsal {
  private final TableQueries tableQueries;
  private final RepositoryStateLoader loader;
  private final StorageBackends backends;

  @Inject
  MergeRehearsal(TableQueries tableQueries, RepositoryStateLoader loader, StorageBackends backends) {
    this.tableQueries = tableQueries;
    this.loader = loader;
    this.backends = backends;
  }

  /** The work of a merge, revert or cherry-pick, given its state, tracked tables and request. */
  interface Preparation {
    Uni<Commands.Command> prepare(UnitOfWork tx, RepositoryState state, List<TableRow> tracked, Request r,
        Outcome outcome);
  }

  /** Whether {@code settled} gives a column of a table's own another type (promoted into the table). */
  private static boolean widensTable(RepositoryState state, SchemaMerges.Settled settled) {
    return settled.redefines().entrySet().stream().anyMatch(e -> state.tables().containsKey(e.getKey())
        && e.getValue().stream().anyMatch(c -> state.tables().get(e.getKey()).columns().stream()
            .anyMatch(x -> x.name().equals(c.name()) && !io.strata.events.ColumnTypes.same(x.type(), c.type()))));
  }

  /** Refuses the operation {@code work} prepares as it would refuse once its columns changed; else nothing. */
  Uni<Void> refusedBeforeColumnsChange(String repo, String target, Request r, SchemaMerges.Settled settled,
      Outcome outcome, List<String> placing, Preparation work) {
    if (r.dryRun() || !settled.changesColumns() && placing.isEmpty()) {
      return Uni.createFrom().voidItem();
    }
    Outcome rehearsal = new Outcome();
    rehearsal.source = outcome.source;
    rehearsal.target = outcome.target;
    rehearsal.sourceCommit = outcome.sourceCommit;
    rehearsal.strategy = outcome.strategy;
    rehearsal.dryRun = true;
    return tableQueries.tables(repo).chain(tracked -> loader.load(repo).chain(state -> {
          boolean intoDefault = target.equals(state.defaultBranch());
          if (intoDefault && r.fastForward() == FastForward.ONLY) {
            return Uni.createFrom().voidItem(); // the promotion refuses it before anything changes (NotFastForward)
          }
          if (intoDefault && widensTable(state, settled) && placing.isEmpty()) {
            // the source's rows hold values only the wider type takes: not rehearsed in the table's type (a
            // refusal after the promotion leaves the table wider, which every branch reads as before)
            return Uni.createFrom().voidItem();
          }
          // into the default branch, a merge that gives columns makes a merge commit (SchemaPromotions)
          Request dry = new Request(r.source(), r.strategy(), intoDefault && r.fastForward() == FastForward.AUTO
              ? FastForward.NEVER : r.fastForward(), r.message(), r.noCommit(), true, r.expectedHead(), r.author(),
              r.operation(), r.mainline(), true, r.schema());
          // decided against the state as it will be once the columns changed (their rows' fit), worked on
          // the tables as they are (the rehearsal writes no row of the new columns)
          RepositoryState after = ColumnsGiven.stateAfter(state, target, settled.adds(), settled.drops(),
              settled.alters());
          // the tables it makes in the default branch are there by then
          for (String name : placing) {
            after.madeTables().of(name).ifPresent(m -> after.evolve(new io.strata.events.TablePlaced(name, m.schema(),
                m.table(), null), after.version(), after.lastPosition()));
          }
          return backends.inRolledBackTransaction(repo, backends.serverOwn(), tx -> work.prepare(tx,
                  after, settled.altered(tracked), dry, rehearsal))
              .invoke(() -> {
                // a dry run lists conflicts; the operation itself refuses under fail_on_conflict, listing as many
                if (r.strategy() == Strategy.FAIL_ON_CONFLICT && rehearsal.conflicts > 0) {
                  rehearsal.listedConflicts = rehearsal.listedConflicts.stream()
                      .limit(MergeCommands.LISTED_CONFLICTS).toList();
                  throw MergeCommands.conflicts(target, rehearsal);
                }
              })
              .replaceWithVoid();
        }));
  }
}
