package io.strata.server.application;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.strata.events.Author;
import io.strata.events.StashCreated;
import io.strata.events.TableBranchSchemaChanged;
import io.strata.events.TableCounts;
import io.strata.projections.rowdata.UnitOfWork;
import io.strata.projections.rowdata.BranchRef;
import io.strata.projections.rowdata.ChangeCounts;
import io.strata.projections.rowdata.Merges;
import io.strata.projections.rowdata.Merges.Strategy;
import io.strata.projections.rowdata.TrackedTable;
import io.strata.projections.runtime.ProjectionRuntime;
import io.strata.projections.tables.TableQueries;
import io.strata.projections.tables.TableRow;
import io.strata.server.runtime.CommitGraphReads;
import io.strata.server.domain.Commands;
import io.strata.server.domain.ErrorCode;
import io.strata.server.domain.Existing;
import io.strata.server.domain.Names;
import io.strata.server.domain.RepositoryDecider;
import io.strata.server.domain.RepositoryState;
import io.strata.server.domain.StrataException;
import io.strata.server.runtime.TableShapes;
import io.strata.server.runtime.Failpoints;
import io.strata.server.runtime.StorageBackends;
import io.strata.server.runtime.StrataConfig;
import io.strata.server.auth.Permission;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Stashes (docs/architecture.md, "History rewriting"): a branch's working changes, staged and not,
 * saved as one change set per table (stored beside the table, as a commit's are) and the branch put
 * back at its head; applied later three-way against the branch's head with the merge's machinery, at
 * O(rows stashed and rows changed since), the stashed rows becoming unstaged working changes again.
 */
@ApplicationScoped
public class StashCommands {
  private final CommandProcessor processor;
  private final Existing existing;
  private final TableQueries tableQueries;
  private final ProjectionRuntime projections;
  private final StrataConfig config;
  private final StorageBackends backends;
  private final CrossStorageCommits crossStorage;
  private final BranchSchemaResets schemaResets;

  @Inject
  public StashCommands(CommandProcessor processor, Existing existing, TableQueries tableQueries,
      ProjectionRuntime projections, StrataConfig config, StorageBackends backends,
      CrossStorageCommits crossStorage, BranchSchemaResets schemaResets) {
    this.schemaResets = schemaResets;
    this.backends = backends;
    this.crossStorage = crossStorage;
    this.processor = processor;
    this.existing = existing;
    this.tableQueries = tableQueries;
    this.projections = projections;
    this.config = config;
  }

  /** Saves the working changes of {@code tables} (empty: every table) of the branch, and puts it back at its head. */
  @Permits(Permission.WRITE)
  public Uni<CommandResponse> stash(String repository, String branch, String message, List<String> tables,
      Author author, CommandContext ctx, Answer answer) {
    String repo = Names.existingRepository(repository);
    Names.text("message", message, 65536, false);
    return existing.repository(repo)
        .chain(() -> existing.branch(repo, branch))
        .chain(() -> tableQueries.tables(repo))
        .chain(tracked -> {
          for (String name : tables) {
            if (tracked.stream().noneMatch(t -> t.name().equals(name))) {
              throw new StrataException(ErrorCode.TableNotFound, "table '" + name + "' is not tracked",
                  Map.of("table", String.valueOf(name)));
            }
          }
          List<TableRow> selected = tracked.stream().filter(t -> tables.isEmpty() || tables.contains(t.name())).toList();
          return crossStorage.settledAfter(repo, tracked, "stash.appended",
              processor.execute(repo, Footprint.branches(branch), (tx, state) -> {
            RepositoryState.Branch b = state.branch(branch);
            if (b == null) {
              throw StrataException.branchNotFound(branch);
            }
            if (state.merge(branch) != null) {
              throw RepositoryDecider.mergeInProgress(branch, state.merge(branch));
            }
            BranchRef ref = BranchRef.of(branch, state.defaultBranch());
            List<StashCreated.StashedTable> stashed = new ArrayList<>();
            TableTransactions held = new TableTransactions(backends, repo, tx);
            return crossStorage.beginFor(tx, repo, branch, selected, CrossStorageCommits.Kind.STASH).chain(attempt ->
                Multi.createFrom().iterable(selected)
                .onItem().transformToUniAndConcatenate(t -> held.of(t).chain(c -> {
                  TrackedTable table = TrackedTable.on(repo, t, ref.name());
                  // in another database, the captured working-log rows are kept for recovery until the event is
                  // appended
                  String undo = backends.sharesAppendTransaction(t.storage()) ? null : attempt;
                  // the working changes become a change set (out of the working log), in the branch's shape now
                  return TableShapes.requireUnchanged(c, table)
                      .chain(() -> c.roles().workingState().writesMayReachOtherRows(c, table, ref))
                      .invoke(reach -> {
                        if (reach) { // putting it back could change other tables' rows, which the stash would not hold
                          throw StrataException.invalid("tables", "table '" + t.name() + "' has a trigger, or a"
                              + " foreign key with an action, that may change other rows when it is written: its"
                              + " working changes cannot be stashed; commit or discard them");
                        }
                      })
                      .chain(() -> c.roles().changeSets().capture(c, table, ref, true, undo))
                      .invoke(captured -> captured.ifPresent(cs -> stashed.add(new StashCreated.StashedTable(
                          t.name(), cs.changeSet(), cs.inserted(), cs.updated(), cs.deleted()))));
                }))
                .collect().last()
                // the shapes the branch changed since its head go back to the head's, before the rows do
                .chain(() -> shapesSinceHead(tx, state, repo, ref, b.head(), selected))
                .chain(moved -> Multi.createFrom().iterable(stashed)
                    .onItem().transformToUniAndConcatenate(st -> {
                      TableRow t = moved.tracked().stream().filter(r -> r.name().equals(st.table())).findFirst()
                          .orElseGet(() -> selected.stream().filter(r -> r.name().equals(st.table())).findFirst()
                              .orElseThrow());
                      String undo = backends.sharesAppendTransaction(t.storage()) ? null : attempt;
                      // the branch's working state goes back to its head along the change set
                      return held.of(t).chain(c -> c.roles().workingState().move(c, TrackedTable.on(repo, t,
                              ref.name()), ref, List.of(st.changeSet()), List.of(), undo)
                          .onFailure(MergeCommands::refusedByTable)
                          .transform(e -> MergeCommands.refused(t.name(), e)));
                    })
                    .collect().last()
                    .call(moved.afterRows()::get)
                    .map(done -> {
                      List<String> shaped = moved.events().stream().map(TableBranchSchemaChanged::name).distinct()
                          .toList();
                      if (stashed.isEmpty() && shaped.isEmpty()) {
                        throw StrataException.invalid("tables", "branch '" + branch + "' has no working changes"
                            + (tables.isEmpty() ? "" : " in " + tables) + " to stash");
                      }
                      return (Commands.Command) new Commands.CreateStash(branch, UUID.randomUUID().toString(),
                          message, b.head(), author, stashed, shaped, moved.events());
                    }))
                .call(() -> committedElsewhere(tx, held, attempt, "stash")))
                .onTermination().call(held::rollback);
          }, ctx, answer));
        });
  }

  /**
   * Of {@code selected}, the tables whose shape on the branch changed since its head (columns, names, definitions,
   * checks), put back to the head's as a hard reset to it puts them, in {@code tx}: what the stash holds of them
   * is recorded under its key. None on the default branch, which has no shape of its own, nor in another storage.
   */
  private Uni<BranchSchemaResets.Moved> shapesSinceHead(UnitOfWork tx, RepositoryState state, String repo,
      BranchRef ref, String head, List<TableRow> selected) {
    if (ref.isDefault()) {
      return Uni.createFrom().item(BranchSchemaResets.Moved.none(List.of()));
    }
    // the shapes read below must include every event the state has seen
    return projections.awaitVersion(repo, state.version(), config.consistency().waitTimeout())
        .chain(() -> CommitGraphReads.shapesDifferingFrom(tx, repo, ref.name(), head,
            selected.stream().map(TableRow::name).toList()))
        .chain(changed -> {
          // a table in another storage's database keeps its shape on the branch (its shape changes are made in
          // transactions of their own, which a later refusal could not undo): its rows are stashed alone
          List<TableRow> shaped = selected.stream().filter(t -> changed.contains(t.name())
              && backends.sharesAppendTransaction(t.storage())).toList();
          if (shaped.isEmpty()) {
            return Uni.createFrom().item(BranchSchemaResets.Moved.none(List.of()));
          }
          return schemaResets.toCommit(tx, state, repo, ref.name(), head, shaped);
        });
  }

  /**
   * The shapes {@code stash} holds given back to the branch, in {@code tx}, before its rows: only over the shapes
   * it put back to (the branch's at the head the stash was saved at, which the branch must show still: schema
   * changes since are not merged with the stash's), and to tables without working changes.
   */
  private Uni<BranchSchemaResets.Moved> shapesBack(UnitOfWork tx, RepositoryState state, String repo, BranchRef ref,
      StashCreated stash, List<TableRow> shaped) {
    if (shaped.isEmpty()) {
      return Uni.createFrom().item(BranchSchemaResets.Moved.none(List.of()));
    }
    List<String> names = shaped.stream().map(TableRow::name).toList();
    return Multi.createFrom().iterable(shaped)
        .onItem().transformToUniAndConcatenate(t -> CleanTables.require(tx, TrackedTable.on(repo, t, ref.name()), ref,
            "the stash"))
        .collect().last()
        .chain(() -> CommitGraphReads.shapesDifferingFrom(tx, repo, ref.name(), stash.head(), names))
        .invoke(changed -> {
          if (!changed.isEmpty()) {
            throw StrataException.invalid("stash", "the shape of " + changed.stream().map(n -> "'" + n + "'")
                .collect(java.util.stream.Collectors.joining(", ")) + " on branch '" + ref.name() + "' changed"
                + " since the stash was saved at " + stash.head().substring(0, 12) + ": the stash's shape changes"
                + " are not merged with others; commit or reset those first, or drop the stash");
          }
        })
        .chain(() -> schemaResets.toStash(tx, state, repo, ref.name(), stash, shaped));
  }

  /**
   * A table's shape is given back in the append's transaction, so that a refusal later undoes it: a table in
   * another storage's database (its shape changes are committed on their own) is refused (a stash holds none).
   */
  private void requireInAppendTransaction(List<TableRow> shaped) {
    shaped.stream().filter(t -> !backends.sharesAppendTransaction(t.storage())).findFirst().ifPresent(t -> {
      throw StrataException.invalid("tables", "table '" + t.name() + "' is in storage '" + t.storage() + "': its"
          + " shape changes on the branch cannot be given back by a stash");
    });
  }

  /** Just before the append: the writes in other storages committed, and the intent going with the append. */
  private Uni<Void> committedElsewhere(UnitOfWork tx, TableTransactions held, String attempt, String name) {
    return Failpoints.hit(name + ".applied").chain(() -> crossStorage.commitBeforeAppend(tx, held, attempt, name));
  }




  /**
   * Applies stash {@code n} (an index, 0: the newest; or the stash's id) of the branch to its working state, three-way: base the
   * head it was saved at, theirs that head with the stash, ours the branch's head now. The tables it
   * touches must have no working changes. Conflicts a strategy does not settle refuse it (409
   * {@code MergeConflict}, listing them) and change nothing; {@code pop} drops it once applied.
   */
  @Permits(Permission.WRITE)
  public Uni<CommandResponse> apply(String repository, String branch, String n, boolean pop, Strategy strategy,
      CommandContext ctx, Answer answer) {
    String repo = Names.existingRepository(repository);
    if (strategy == Strategy.FAIL_ON_CONFLICT) {
      strategy = Strategy.THREE_WAY; // a stash's conflicts refuse it either way
    }
    Strategy settle = strategy;
    return existing.repository(repo)
        .chain(() -> existing.branch(repo, branch))
        .chain(() -> tableQueries.tables(repo))
        .chain(tracked -> crossStorage.settledAfter(repo, tracked, "stash.appended",
            processor.execute(repo, Footprint.branches(branch), (tx, state) -> {
          StashCreated stash = RepositoryDecider.stash(state, branch, n);
          if (state.merge(branch) != null) {
            throw RepositoryDecider.mergeInProgress(branch, state.merge(branch));
          }
          String head = state.branch(branch).head();
          BranchRef ref = BranchRef.of(branch, state.defaultBranch());
          List<TableCounts> applied = new ArrayList<>();
          List<Merges.Conflict> conflicts = new ArrayList<>();
          long[] unsettled = {0};
          List<TableRow> stashedTables = stash.tables().stream().map(s -> tracked.stream()
              .filter(r -> r.name().equals(s.table()) && state.hasTable(s.table(), branch)).findFirst()
              .orElseThrow(() -> StrataException.invalid("stash", "table '" + s.table() + "' of the stash is no"
                  + " longer tracked on branch '" + branch + "'"))).toList();
          List<TableRow> shapedTables = stash.schemaTables().stream().map(name -> tracked.stream()
              .filter(r -> r.name().equals(name) && state.hasTable(name, branch)).findFirst()
              .orElseThrow(() -> StrataException.invalid("stash", "table '" + name + "' whose shape the stash holds"
                  + " is no longer tracked on branch '" + branch + "'"))).toList();
          requireInAppendTransaction(shapedTables);
          TableTransactions held = new TableTransactions(backends, repo, tx);
          return projections.awaitVersion(repo, state.version(), config.consistency().waitTimeout())
              .chain(() -> shapesBack(tx, state, repo, ref, stash, shapedTables))
              .chain(moved -> CommitGraphReads.pathsBetween(tx, repo, stash.head(), head)
              .chain(paths -> crossStorage.beginFor(tx, repo, branch, stashedTables, CrossStorageCommits.Kind.MERGE)
                  .chain(attempt -> Multi.createFrom().iterable(stash.tables())
                  .onItem().transformToUniAndConcatenate(s -> {
                    // each table in the shape the stash gave back, where it held one
                    TableRow t = moved.tracked().stream().filter(r -> r.name().equals(s.table())).findFirst()
                        .orElseGet(() -> stashedTables.stream().filter(r -> r.name().equals(s.table())).findFirst()
                            .orElseThrow());
                    TrackedTable table = TrackedTable.on(repo, t, ref.name());
                    return held.of(t).chain(tc -> CleanTables.require(tc, table, ref, "the stash")
                        .chain(() -> TableShapes.requireUnchanged(tc, table))
                        .chain(() -> tc.roles().changeSets().exists(tc, table, s.changeSet()))
                        .invoke(exists -> {
                          if (!exists) { // untracked since, and tracked again: its history went with it
                            throw new StrataException(ErrorCode.StashGone, "the stashed changes of table '"
                                + s.table() + "' are gone: the table was untracked since; drop the stash",
                                Map.of("table", s.table(), "stash", n));
                          }
                        })
                        .chain(() -> tc.roles().merges().plan(tc, table, ref, paths.undo(t.name()), paths.redo(t.name()),
                            List.of(), List.of(s.changeSet()), settle))
                        .chain(planned -> planned.unsettled() > 0 ? Uni.createFrom().item(planned)
                            : tc.roles().merges().apply(tc, table, ref).onFailure(MergeCommands::refusedByTable)
                                .transform(e -> MergeCommands.refused(t.name(), e)))
                        .chain(m -> {
                          if (m.unsettled() > 0) {
                            unsettled[0] += m.unsettled();
                            return tc.roles().merges().plannedConflicts(tc, table, MergeCommands.LISTED_CONFLICTS)
                                .invoke(conflicts::addAll).replaceWithVoid();
                          }
                          ChangeCounts c = m.changes();
                          applied.add(new TableCounts(t.name(), c.inserted(), c.updated(), c.deleted()));
                          return tc.roles().merges().recordApplied(tc, table, ref, false)
                              .chain(() -> backends.sharesAppendTransaction(t.storage()) ? Uni.createFrom().voidItem()
                                  : tc.roles().merges().saveUndo(tc, table, ref, attempt));
                        }));
                  })
                  .collect().last()
                  .invoke(done -> {
                    if (unsettled[0] > 0) {
                      MergeCommands.Outcome outcome = new MergeCommands.Outcome();
                      outcome.source = "stash " + n;
                      outcome.conflicts = unsettled[0];
                      outcome.unsettled = unsettled[0];
                      outcome.listedConflicts = conflicts.subList(0, Math.min(conflicts.size(),
                          MergeCommands.LISTED_CONFLICTS));
                      throw MergeCommands.conflicts(branch, outcome);
                    }
                  })
                  .call(moved.afterRows()::get)
                  .call(() -> committedElsewhere(tx, held, attempt, "stash.apply"))))
              .map(done -> (Commands.Command) new Commands.ApplyStash(branch, stash.id(), pop, applied, moved.events())))
              .onTermination().call(held::rollback);
        }, ctx, answer)));
  }

  /** Drops stash {@code n} of the branch without applying it. */
  @Permits(Permission.WRITE)
  public Uni<CommandResponse> drop(String repository, String branch, String n, CommandContext ctx, Answer answer) {
    String repo = Names.existingRepository(repository);
    return existing.repository(repo)
        .chain(() -> existing.branch(repo, branch))
        .chain(() -> processor.execute(repo, new Commands.DropStash(branch, n), ctx, answer));
  }


}
