package io.strata.server.application;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.strata.events.BranchHeadMoved;
import io.strata.events.MergeStarted;
import io.strata.events.TableColumn;
import io.strata.events.TableShape;
import io.strata.events.TableTracked;
import io.strata.projections.rowdata.UnitOfWork;
import io.strata.projections.rowdata.BranchObjects;
import io.strata.projections.rowdata.BranchRef;
import io.strata.projections.rowdata.Merges;
import io.strata.projections.rowdata.Merges.Strategy;
import io.strata.projections.rowdata.Merges.TableMerge;
import io.strata.projections.rowdata.TrackedTable;
import io.strata.projections.tables.TableRow;
import io.strata.server.runtime.CommitGraphReads;
import io.strata.server.domain.BranchConstraints;
import io.strata.server.domain.Commands;
import io.strata.server.domain.ErrorCode;
import io.strata.server.domain.RepositoryState;
import io.strata.server.domain.StrataException;
import io.strata.server.runtime.TableShapes;
import io.strata.server.runtime.StorageBackends;
import io.strata.server.runtime.Failpoints;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A merge's data work ({@link MergeCommands}), in the transaction that appends its event: the target's
 * working state moved along the source's change sets (fast-forward), or each table the source changed
 * planned and applied three ways, its conflicts kept for a merge that stops, its rows captured into the
 * commit of one that does not. Writes in other storages are kept for recovery under the merge's attempt.
 */
@ApplicationScoped
class MergeWork {
  private final MergeCommits mergeCommits;
  private final CrossStorageCommits crossStorage;
  private final StorageBackends backends;

  @Inject
  MergeWork(MergeCommits mergeCommits, CrossStorageCommits crossStorage, StorageBackends backends) {
    this.backends = backends;
    this.mergeCommits = mergeCommits;
    this.crossStorage = crossStorage;
  }

  /**
   * The merge's attempt when it writes tables in other storages (not in a dry run): their writes are
   * committed before the append, under a recovery intent that undoes them if the event never is.
   */
  Uni<String> attempt(UnitOfWork tx, String repo, String branch, List<TableRow> touched, boolean dryRun) {
    return dryRun ? Uni.createFrom().nullItem()
        : crossStorage.beginFor(tx, repo, branch, touched, CrossStorageCommits.Kind.MERGE);
  }

  /** Whether what the merge writes to {@code table} is kept for recovery: the table is in another storage. */
  private boolean undoable(String attempt, TableRow table) {
    return attempt != null && !backends.sharesAppendTransaction(table.storage());
  }

  /** Just before the append: the merge's writes in other storages are committed, and its intent goes with the append. */
  private Uni<Commands.Command> committedElsewhere(UnitOfWork tx, TableTransactions tables, String attempt,
      Commands.Command command) {
    return crossStorage.commitBeforeAppend(tx, tables, attempt, "merge").replaceWith(command);
  }

  /** Moves the target's working state along the source's change sets and its head to the source. */
  Uni<Commands.Command> fastForward(TableTransactions tables, UnitOfWork tx, RepositoryState state,
      String repo, BranchRef into, String ours, String theirs, List<TableRow> tracked, boolean dryRun,
      SchemaMerges.Settled settled) {
    return CommitGraphReads.changeSetsBetween(tx, repo, ours, theirs).chain(paths -> {
      List<TableRow> touched = touched(state, into, dryRun, tracked, paths);
      List<BranchHeadMoved.TableContent> contents = new ArrayList<>();
      return alteredForDryRun(tables, repo, into, tracked, settled, dryRun)
          .chain(() -> losingColumns(tables, repo, into, tracked, settled, Map.of(), Map.of()))
          .chain(() -> attempt(tx, repo, into.name(), touched, dryRun)).chain(attempt -> Multi.createFrom().iterable(touched)
          .onItem().transformToUniAndConcatenate(t -> tables.of(t).chain(c -> {
            TrackedTable table = TrackedTable.on(repo, t, into.name());
            List<String> path = paths.get(t.name());
            boolean undoable = undoable(attempt, t);
            return CleanTables.require(c, table, into, "the merge")
                .chain(() -> SchemaMergeChecks.requireUnchanged(settled, t.name(), columns -> c.roles().changeSets()
                    .changedColumns(c, table, List.of(), path, columns)))
                // in another storage, the rows the move writes are planned so that recovery can undo them
                .chain(() -> undoable ? c.roles().merges().plan(c, table, into, List.of(), path, Strategy.THEIRS).replaceWithVoid()
                    : Uni.createFrom().voidItem())
                .chain(() -> Failpoints.hit("merge.planned"))
                .chain(() -> dryRun ? Uni.createFrom().voidItem() : c.roles().workingState().advance(c, table, into, path))
                .chain(() -> undoable ? c.roles().merges().saveUndo(c, table, into, attempt) : Uni.createFrom().voidItem())
                .chain(() -> !into.isDefault() || !state.tables().containsKey(t.name())
                    ? Uni.createFrom().voidItem()
                    : c.roles().changeSets().contentDelta(c, table, List.of(), path).invoke(delta -> {
                      TableTracked recorded = state.tables().get(t.name());
                      TableTracked next = recorded.withContent(recorded.rowCount() + delta.rows(),
                          new BigInteger(recorded.rowSum()).add(new BigInteger(delta.sum())).toString());
                      contents.add(new BranchHeadMoved.TableContent(t.name(), next.rowCount(), next.rowSum(),
                          next.contentHash()));
                    }).replaceWithVoid());
          }))
          .collect().last()
          // the checks the merge carried hold the source's rows, which the branch now has: valid at once (in the
          // transaction that appends, or committed in another storage, as the concluding commit validates them); a
          // unique constraint's look at the rows also finds a working change of a table the source did not change
          .chain(() -> dryRun || into.isDefault() ? Uni.createFrom().voidItem()
              : MergeCommits.validated(tables, state, repo, into, tracked))
          .chain(() -> Failpoints.hit("merge.applied"))
          // the branch gets the tables made on a branch that the commit has, with rows of them or none
          .chain(() -> mergeCommits.sourceMade(state, repo, theirs))
          .chain(theirsMade -> committedElsewhere(tx, tables, attempt, new Commands.FastForward(
              into.name(), ours, theirs, contents, false, theirsMade))));
    });
  }

  Uni<Commands.Command> threeWay(TableTransactions tables, UnitOfWork tx, RepositoryState state,
      String repo, BranchRef into, MergeCommands.Request r, List<TableRow> tracked, MergeCommands.Outcome outcome,
      SchemaMerges.Settled settled) {
    String ours = outcome.head;
    String theirs = outcome.sourceCommit;
    String base = outcome.base;
    return CommitGraphReads.changeSetsBetween(tx, repo, base, ours)
        .chain(oursPaths -> CommitGraphReads.changeSetsBetween(tx, repo, base, theirs).chain(theirsPaths -> {
          List<TableRow> touched = withCarriedChecks(touched(state, into, r.dryRun(), tracked, theirsPaths), tracked,
              settled, into);
          return attempt(tx, repo, into.name(), touched, r.dryRun()).chain(attempt -> threeWay(tables, tx, state,
              repo, into, r, tracked, outcome, new Sides(oursPaths, theirsPaths, touched, attempt, Map.of(),
              Map.of()), settled));
        }));
  }

  /**
   * A three-way merge's two sides: per table the change sets from the base to ours and to theirs
   * (through their merge base when the base is not an ancestor of a side, as in a revert: {@code
   * oursUndo}, {@code theirsUndo} lead from that merge base to the base); the tables theirs changed; and
   * the attempt its writes in other storages are under (null: none).
   */
  record Sides(Map<String, List<String>> ours, Map<String, List<String>> theirs, List<TableRow> touched,
      String attempt, Map<String, List<String>> oursUndo, Map<String, List<String>> theirsUndo) {}

  Uni<Commands.Command> threeWay(TableTransactions tables, UnitOfWork tx, RepositoryState state,
      String repo, BranchRef into, MergeCommands.Request r, List<TableRow> tracked, MergeCommands.Outcome outcome, Sides sides,
      SchemaMerges.Settled settled) {
    Map<String, List<String>> oursPaths = sides.ours();
    Map<String, List<String>> theirsPaths = sides.theirs();
    List<TableRow> touched = sides.touched();
    String attempt = sides.attempt();
    String ours = outcome.head;
    String theirs = outcome.sourceCommit;
    String base = outcome.base;
    Map<String, TableMerge> planned = new LinkedHashMap<>();
    List<Merges.Conflict> listed = new ArrayList<>();
    int listing = r.dryRun() ? MergeCommands.DRY_RUN_CONFLICTS : MergeCommands.LISTED_CONFLICTS;
    Uni<Void> dropsChecked = alteredForDryRun(tables, repo, into, tracked, settled, r.dryRun())
        .chain(() -> losingColumns(tables, repo, into, tracked, settled, sides.oursUndo(), oursPaths));
    // a table's plan is applied before the next one's replaces it; a dry run applies too (its
    // transaction is rolled back): only writing finds the rows the table refuses (where it may refuse any)
    return dropsChecked.chain(() -> Multi.createFrom().iterable(touched)
        .onItem().transformToUniAndConcatenate(t -> tables.of(t).chain(c -> {
          TrackedTable table = TrackedTable.on(repo, t, into.name());
          return CleanTables.require(c, table, into, "the merge")
              .chain(() -> TableShapes.requireUnchanged(c, table))
              // values the source changed in a column the target dropped since the base: schema_data
              .chain(() -> SchemaMergeChecks.requireUnchanged(settled, t.name(), columns -> c.roles().changeSets()
                  .changedColumns(c, table, sides.theirsUndo().getOrDefault(t.name(), List.of()),
                      theirsPaths.getOrDefault(t.name(), List.of()), columns)))
              .chain(() -> c.roles().merges().plan(c, table, into, sides.oursUndo().getOrDefault(t.name(), List.of()),
                  oursPaths.getOrDefault(t.name(), List.of()), sides.theirsUndo().getOrDefault(t.name(), List.of()),
                  theirsPaths.getOrDefault(t.name(), List.of()), r.strategy()))
              .call(() -> Failpoints.hit("merge.planned"))
              .chain(m -> r.strategy() == Strategy.FAIL_ON_CONFLICT && m.conflicts() > 0
                  ? Uni.createFrom().item(m)
                  : r.dryRun() && !c.roles().merges().mayRefuseRows() ? Uni.createFrom().item(m)
                  : c.roles().merges().apply(c, table, into).onFailure(MergeCommands::refusedByTable)
                      .transform(e -> MergeCommands.refused(t.name(), e))
                      // then the target's rows that fail a check the merge carries: constraint_violation conflicts
                      .chain(applied -> {
                        List<Merges.HeldCheck> held = into.isDefault() ? List.of()
                            : heldChecks(state, settled, into, table, r.dryRun());
                        // (none of the shape's: the table's own unique constraints the target holds may be)
                        return into.isDefault() ? Uni.createFrom().item(applied)
                            : c.roles().merges().markViolations(c, table, into, held, !r.dryRun(), applied)
                                .onFailure(BranchObjects.CheckFailed.class).transform(e -> CarriedConstraints
                                    .violation(t.name(), into.name(), (BranchObjects.CheckFailed) e, held));
                      }))
              .invoke(m -> planned.put(t.name(), m))
              .chain(m -> m.conflicts() == 0 || listed.size() >= listing
                  ? Uni.createFrom().voidItem()
                  : c.roles().merges().plannedConflicts(c, table, listing - listed.size())
                      .invoke(listed::addAll).replaceWithVoid());
        }))
        .collect().last())
        .chain(() -> {
          outcome.tables.addAll(planned.values());
          outcome.conflicts = planned.values().stream().mapToLong(TableMerge::conflicts).sum();
          outcome.unsettled = planned.values().stream().mapToLong(TableMerge::unsettled).sum();
          outcome.listedConflicts = listed;
          if (r.strategy() == Strategy.FAIL_ON_CONFLICT && outcome.conflicts > 0 && !r.dryRun()) {
            throw MergeCommands.conflicts(into.name(), outcome);
          }
          // conflicts a strategy did not settle (three_way's; rows the table refused, under any) stop it
          boolean stops = outcome.unsettled > 0 || r.noCommit();
          outcome.inProgress = stops && !r.dryRun(); // a dry run keeps nothing: no merge is in progress after it
          String message = r.message() != null ? r.message()
              : "Merge " + r.source() + " into " + into.name();
          if (r.dryRun()) {
            return Uni.createFrom().item(new Commands.MergeUpToDate(into.name()));
          }
          // the tables whose shape the merge changed: its commit records them (with those it commits rows of)
          // (a rebase's step records every table, as its branch has them: the steps replay its commits, shapes and
          // all, after the branch moved onto another commit without its shapes)
          List<String> shaped = into.isDefault() || io.strata.events.AppliedCommit.REBASE.equals(r.operation()) ? null
              : settled.shapedTables();
          if (stops) {
            List<MergeStarted.TableConflicts> conflicts = planned.values().stream()
                .map(m -> new MergeStarted.TableConflicts(m.table(), m.unsettled(),
                    m.unsettled() == 0 ? null : m.conflictsHash())).toList();
            Commands.Command start = new Commands.StartMerge(into.name(), r.source(), theirs, base, ours,
                r.strategy().wire(), message, r.author(), conflicts, r.operation(), r.mainline(), shaped);
            return Multi.createFrom().iterable(touched)
                .onItem().transformToUniAndConcatenate(t -> tables.of(t).chain(c -> {
                  TrackedTable table = TrackedTable.on(repo, t, into.name());
                  return c.roles().merges().keep(c, table, into).chain(() -> undoable(attempt, t)
                      ? c.roles().merges().saveUndo(c, table, into, attempt) : Uni.createFrom().voidItem());
                }))
                .collect().last()
                .chain(() -> Failpoints.hit("merge.applied"))
                .chain(() -> committedElsewhere(tx, tables, attempt, start));
          }
          MergeStarted merge = new MergeStarted(into.name(), r.source(), theirs, base, ours, r.strategy().wire(),
              message, r.author(), 0, List.of(), r.operation(), r.mainline(), shaped);
          // the commit takes exactly what the merge wrote: captured from the plans, not the working logs
          // a revert or cherry-pick that changes nothing is refused unless asked for (a merge's never is);
          // one that gave the target columns changed its shape, and was rehearsed before it did: not empty
          Commands.CreateCommit commit = new Commands.CreateCommit(into.name(), message, r.author(), ours,
              r.allowEmpty() || settled.changesColumns(), List.of(), List.of(), null);
          return Multi.createFrom().iterable(touched)
              .onItem().transformToUniAndConcatenate(t -> tables.of(t).chain(c -> {
                TrackedTable table = TrackedTable.on(repo, t, into.name());
                return c.roles().merges().captureApplied(c, table, into).call(() -> undoable(attempt, t)
                    ? c.roles().merges().saveUndo(c, table, into, attempt) : Uni.createFrom().voidItem());
              }))
              .collect().asList()
              .chain(captured -> mergeCommits.conclude(tables, tx, state, repo, commit, merge, tracked, List.of(),
                  true, planned.keySet(), captured.stream().flatMap(Optional::stream).toList()))
              .call(() -> Failpoints.hit("merge.applied"))
              .chain(command -> committedElsewhere(tx, tables, attempt, command));
        });
  }

  /**
   * {@link #losingColumns} of a merge whose source is in the target's history (up to date: only columns may
   * change), the target's changes since the base {@code base} read along {@code base}..{@code ours}.
   */
  Uni<Void> losingColumns(TableTransactions tables, UnitOfWork tx, String repo, BranchRef into,
      List<TableRow> tracked, SchemaMerges.Settled settled, String base, String ours) {
    if (settled.droppedByTheirs().isEmpty()) {
      return Uni.createFrom().voidItem();
    }
    return CommitGraphReads.changeSetsBetween(tx, repo, base, ours)
        .chain(paths -> losingColumns(tables, repo, into, tracked, settled, Map.of(), paths));
  }

  /**
   * The tables losing columns the source dropped ({@link SchemaMerges.Settled#drops}), whether or not the
   * source changed their rows: clean (working changes would go with the columns), and their values there
   * unchanged by the target since the base ({@code oursUndo}, {@code oursPaths}), else schema_data.
   */
  private static Uni<Void> losingColumns(TableTransactions tables, String repo, BranchRef into, List<TableRow> tracked,
      SchemaMerges.Settled settled, Map<String, List<String>> oursUndo, Map<String, List<String>> oursPaths) {
    List<TableRow> losing = tracked.stream().filter(t -> settled.droppedByTheirs().containsKey(t.name())).toList();
    return Multi.createFrom().iterable(losing)
        .onItem().transformToUniAndConcatenate(t -> tables.of(t).chain(c -> {
          TrackedTable table = TrackedTable.on(repo, t, into.name());
          return CleanTables.require(c, table, into, "the merge")
              .chain(() -> SchemaMergeChecks.requireUnchangedByOurs(settled, t.name(), columns -> c.roles().changeSets()
                  .changedColumns(c, table, oursUndo.getOrDefault(t.name(), List.of()),
                      oursPaths.getOrDefault(t.name(), List.of()), columns)));
        }))
        .collect().last().replaceWithVoid();
  }

  /**
   * A dry run (a client's, or the rehearsal before columns change) works on the target as the merge leaves
   * it: the columns it redefines ({@link SchemaMerges.Settled#alters}, given before the rows by {@link
   * SchemaPromotions} otherwise) altered in the units it works in, which are rolled back with it; its
   * {@code tracked} have them already ({@link SchemaMerges.Settled#altered}).
   */
  private static Uni<Void> alteredForDryRun(TableTransactions tables, String repo, BranchRef into,
      List<TableRow> tracked, SchemaMerges.Settled settled, boolean dryRun) {
    if (!dryRun || settled.alters().isEmpty()) {
      return Uni.createFrom().voidItem();
    }
    return Multi.createFrom().iterable(tracked.stream().filter(t -> settled.alters().containsKey(t.name())).toList())
        .onItem().transformToUniAndConcatenate(t -> tables.of(t).chain(c -> {
          if (!c.roles().merges().mayRefuseRows()) {
            return Uni.createFrom().voidItem(); // a backend whose work outlives a rollback (Delta): not altered
          }
          List<io.strata.server.domain.SchemaMerge.Change> changes = settled.alters().get(t.name());
          // the tables the dry run works on have the target's columns as the merge leaves them: altered from
          // the definitions it has now
          TableRow before = SchemaMerges.redefined(t, into.name(), changes.stream()
              .map(io.strata.server.domain.SchemaMerge.Change::ours).toList());
          return BranchColumnAlterations.alter(c, TrackedTable.on(repo, before, into.name()), into.name(),
              changes.stream().map(io.strata.server.domain.SchemaMerge.Change::merged).toList());
        }))
        .collect().last().replaceWithVoid();
  }

  /**
   * {@code touched} and, merging into a branch other than the default one, the tables of {@code tracked} the merge
   * carries CHECK or unique constraints to: the target's rows that fail one are its conflicts, whether or not the source
   * changed rows of the table. (A check an earlier attempt of the merge carried, refused after its schema changes,
   * is pending on the target already and carried no more: its table is looked at when the source changed its rows.)
   */
  static List<TableRow> withCarriedChecks(List<TableRow> touched, List<TableRow> tracked, SchemaMerges.Settled settled,
      BranchRef into) {
    if (into.isDefault() || settled.checks().adds().isEmpty()) {
      return touched;
    }
    Set<String> names = touched.stream().map(TableRow::name).collect(Collectors.toSet());
    settled.checks().adds().forEach((table, rules) -> {
      if (rules.stream().anyMatch(r -> BranchConstraints.isCheck(r) || BranchConstraints.isUnique(r))) {
        names.add(table);
      }
    });
    return tracked.stream().filter(t -> names.contains(t.name())).toList();
  }

  /**
   * The CHECK constraints whose violations the merge into {@code into} lists for {@code table}: a dry run's, those it
   * would carry (nothing was added); a merge's, every check the target holds of the table — the pending ones among
   * them, those the merge (or an earlier attempt of it) carried, are looked at. And the unique constraints the target
   * holds of it (a dry run's: not those it would carry), whose values the merge's rows may share with others.
   */
  private static List<Merges.HeldCheck> heldChecks(RepositoryState state, SchemaMerges.Settled settled, BranchRef into,
      TrackedTable table, boolean dryRun) {
    List<TableShape.Constraint> checks = dryRun ? settled.checks().adds().getOrDefault(table.name(), List.of())
        : state.constraintsOn(table.name(), into.name());
    // (a dry run's uniques: those the target holds, and those the merge would carry to it)
    List<Merges.HeldCheck> uniques = new ArrayList<>(heldUniques(state, into, table));
    if (dryRun) {
      held(state, into, table, checks.stream().filter(BranchConstraints::isUnique))
          .filter(c -> uniques.stream().noneMatch(u -> u.check().name().equals(c.check().name())))
          .forEach(uniques::add);
    }
    return java.util.stream.Stream.concat(held(state, into, table, checks.stream().filter(BranchConstraints::isCheck)),
        uniques.stream()).toList();
  }

  /** The unique constraints {@code into} holds of {@code table}, with their columns' stored names. */
  static List<Merges.HeldCheck> heldUniques(RepositoryState state, BranchRef into, TrackedTable table) {
    return held(state, into, table, state.constraintsOn(table.name(), into.name()).stream()
        .filter(BranchConstraints::isUnique)).toList();
  }

  private static java.util.stream.Stream<Merges.HeldCheck> held(RepositoryState state, BranchRef into,
      TrackedTable table, java.util.stream.Stream<TableShape.Constraint> rules) {
    List<TableColumn> columns = state.columnsOn(table.name(), into.name());
    return rules.map(c -> new Merges.HeldCheck(c, columns.stream().map(TableColumn::name)
        .filter(n -> BranchConstraints.names(c, n)).map(table::stored).toList()));
  }

  /**
   * The tables of {@code tracked} that {@code paths} change. Into the default branch, none it does not have (made
   * on a branch, not placed: a merge of that branch's commits places it first, so only rows that reached the source
   * otherwise — a fast-forward, a reset — come here): refused (422), the hidden table takes no row.
   */
  private static List<TableRow> touched(RepositoryState state, BranchRef into, boolean dryRun, List<TableRow> tracked,
      Map<String, List<String>> paths) {
    return requireTargetHas(state, into, dryRun,
        tracked.stream().filter(t -> !paths.getOrDefault(t.name(), List.of()).isEmpty()).toList());
  }

  /** {@code touched}, refused (422) when it holds a table the default branch {@code into} does not have. */
  static List<TableRow> requireTargetHas(RepositoryState state, BranchRef into, boolean dryRun,
      List<TableRow> touched) {
    for (TableRow t : touched) {
      if (into.isDefault() && !dryRun && state.tables().containsKey(t.name()) && !state.hasTable(t.name(), into.name())) {
        throw new StrataException(ErrorCode.ValidationError, "the change brings rows of table '" + t.name()
            + "', made on branch '" + state.madeTables().of(t.name()).map(m -> m.branch()).orElse("?")
            + "', into the default"
            + " branch, which does not have it: merge a branch whose commits made or hold it (the merge makes it there)",
            Map.of("table", t.name(), "branch", into.name()));
      }
    }
    return touched;
  }
}
