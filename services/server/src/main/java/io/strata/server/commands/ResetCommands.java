package io.strata.server.commands;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.strata.events.BranchHeadMoved;
import io.strata.events.TableTracked;
import io.strata.projections.graph.CommitGraph;
import io.strata.projections.rowdata.BranchRef;
import io.strata.projections.rowdata.ChangeSets;
import io.strata.projections.rowdata.TrackedTable;
import io.strata.projections.rowdata.WorkingState;
import io.strata.projections.runtime.ProjectionRuntime;
import io.strata.projections.tables.TableQueries;
import io.strata.projections.tables.TableRow;
import io.strata.server.domain.Commands;
import io.strata.server.domain.ErrorCode;
import io.strata.server.domain.Existing;
import io.strata.server.domain.Names;
import io.strata.server.domain.RefResolver;
import io.strata.server.domain.RepositoryDecider;
import io.strata.server.domain.RepositoryState;
import io.strata.server.domain.Storages;
import io.strata.server.domain.StrataException;
import io.strata.server.domain.TableShapes;
import io.strata.server.runtime.Failpoints;
import io.strata.server.runtime.StoragePools;
import io.strata.server.runtime.StrataConfig;
import io.vertx.mutiny.sqlclient.SqlConnection;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.List;
import java.util.Map;

/**
 * Resets a branch to a commit (docs/architecture.md, "History rewriting"): its head moves there with a
 * {@code branch.head_moved} event; {@code hard} moves its working state along (its working changes are
 * dropped), {@code soft} keeps it and stages the difference. Each table is moved along the change sets
 * between the two commits, at O(rows that differ), in the transaction that appends the event: the
 * branch is at its old head or at the new one, never between. In another database (a registered
 * storage) the table must be clean; its rows are written just before the append under a recovery
 * intent, with an undo sidecar that recovery uses if the event is never appended. Commits left behind
 * stay readable by id.
 */
@ApplicationScoped
public class ResetCommands {
  private final CommandProcessor processor;
  private final Existing existing;
  private final RefResolver resolver;
  private final TableQueries tableQueries;
  private final ProjectionRuntime projections;
  private final StrataConfig config;
  private final WorkingState<SqlConnection> working;
  private final ChangeSets<SqlConnection> changeSets;
  private final StoragePools pools;
  private final CrossStorageCommits crossStorage;

  @Inject
  public ResetCommands(CommandProcessor processor, Existing existing, RefResolver resolver, TableQueries tableQueries,
      ProjectionRuntime projections, StrataConfig config, WorkingState<SqlConnection> working,
      ChangeSets<SqlConnection> changeSets, StoragePools pools, CrossStorageCommits crossStorage) {
    this.pools = pools;
    this.crossStorage = crossStorage;
    this.processor = processor;
    this.existing = existing;
    this.resolver = resolver;
    this.tableQueries = tableQueries;
    this.projections = projections;
    this.config = config;
    this.working = working;
    this.changeSets = changeSets;
  }

  /** How a reset treats the branch's working state. */
  public enum Mode { HARD, SOFT }

  /** {@code mayForce}: the caller may administer the repository (force a protected branch's reset). */
  public record Request(String to, Mode mode, String expectedHead, boolean force, boolean mayForce) {}

  public Uni<CommandResponse> reset(String repository, String branch, Request r, CommandContext ctx, Answer answer) {
    String repo = Names.existingRepository(repository);
    return existing.repository(repo)
        .chain(() -> existing.branch(repo, branch))
        .chain(() -> processor.caughtUp(repo))
        .chain(() -> resolver.resolve(repo, r.to()))
        .chain(to -> tableQueries.tables(repo).chain(tracked -> settledAfter(repo, tracked, processor.execute(repo,
            (tx, state) -> prepare(tx, state, repo, branch, to.commit(), r, tracked), ctx, answer))));
  }

  /** A reset that may have written tables in other storages: their recovery sidecars are settled after it. */
  private Uni<CommandResponse> settledAfter(String repository, List<TableRow> tracked, Uni<CommandResponse> command) {
    return tracked.stream().allMatch(t -> Storages.LOCAL.equals(t.storage())) ? command
        : command.onTermination().call(() -> crossStorage.settle(repository, "reset.appended"));
  }

  private Uni<Commands.Command> prepare(SqlConnection tx, RepositoryState state, String repo, String branch,
      String to, Request r, List<TableRow> tracked) {
    RepositoryState.Branch b = state.branch(branch);
    if (b == null) {
      throw StrataException.branchNotFound(branch);
    }
    if (state.merge(branch) != null) {
      throw RepositoryDecider.mergeInProgress(branch, state.merge(branch));
    }
    String from = b.head();
    if (r.expectedHead() != null && !from.startsWith(r.expectedHead())) {
      throw new StrataException(ErrorCode.HeadMoved, "branch '" + branch + "' is at " + from + ", not "
          + r.expectedHead(), Map.of("branch", branch, "expected_head", r.expectedHead(), "actual_head", from));
    }
    BranchRef ref = BranchRef.of(branch, state.defaultBranch());
    String reason = r.mode() == Mode.HARD ? "reset_hard" : "reset_soft";
    List<BranchHeadMoved.TableContent> contents = new ArrayList<>();
    TableTransactions tables = new TableTransactions(pools, repo, tx);
    String[] attempt = {null};
    // the commit graph read below must include every commit the state has seen
    return projections.awaitVersion(repo, state.version(), config.consistency().waitTimeout())
        .chain(() -> CommitGraph.pathsBetween(tx, repo, from, to))
        .chain(paths -> {
          // a hard reset drops the working changes of every table; otherwise only tables that differ move
          List<TableRow> moved = tracked.stream().filter(t -> r.mode() == Mode.HARD
              || !paths.undo(t.name()).isEmpty() || !paths.redo(t.name()).isEmpty()).toList();
          // in other storages the rows are written before the event, under a recovery intent that undoes them
          Set<String> elsewhere = moved.stream().filter(t -> !paths.undo(t.name()).isEmpty()
                  || !paths.redo(t.name()).isEmpty()).map(TableRow::storage).filter(s -> !Storages.LOCAL.equals(s))
              .collect(Collectors.toCollection(LinkedHashSet::new));
          return (elsewhere.isEmpty() ? Uni.createFrom().<String>nullItem()
                  : crossStorage.begin(tx, repo, branch, elsewhere, CrossStorageCommits.Kind.MERGE))
              .invoke(a -> attempt[0] = a)
              .chain(a -> Multi.createFrom().iterable(moved)
              .onItem().transformToUniAndConcatenate(t -> tables.of(t).chain(c -> {
                TrackedTable table = TrackedTable.of(repo, t);
                List<String> undo = paths.undo(t.name());
                List<String> redo = paths.redo(t.name());
                boolean remote = !Storages.LOCAL.equals(t.storage());
                String undoAttempt = remote ? a : null;
                Uni<Void> done = (remote ? requireClean(c, table, ref) : Uni.createFrom().voidItem())
                    .chain(() -> TableShapes.requireUnchanged(c, t.toEvent()))
                    .chain(() -> r.mode() == Mode.HARD
                        ? working.discard(c, table, ref).chain(() -> working.move(c, table, ref, undo, redo, undoAttempt))
                        : working.stageAgainst(c, table, ref, undo, redo, undoAttempt))
                    // the table may refuse the rows (a unique value moving between rows, a trigger raising)
                    .onFailure(MergeCommands::refusedByTable).transform(e -> MergeCommands.refused(t.name(), e));
                if (!ref.isDefault() || !state.tables().containsKey(t.name()) || undo.isEmpty() && redo.isEmpty()) {
                  return done;
                }
                // the default branch's recorded content follows its head
                return done.chain(() -> changeSets.contentDelta(c, table, undo, redo)).invoke(delta -> {
                  TableTracked recorded = state.tables().get(t.name());
                  TableTracked next = recorded.withContent(recorded.rowCount() + delta.rows(),
                      new BigInteger(recorded.rowSum()).add(new BigInteger(delta.sum())).toString());
                  contents.add(new BranchHeadMoved.TableContent(t.name(), next.rowCount(), next.rowSum(),
                      next.contentHash()));
                }).replaceWithVoid();
              }))
              .collect().last());
        })
        .chain(() -> Failpoints.hit("reset.applied"))
        .chain(() -> attempt[0] == null ? Uni.createFrom().voidItem() : tables.commit()
            .chain(() -> Failpoints.hit("reset.storage-applied"))
            .chain(() -> crossStorage.end(tx, attempt[0])))
        .map(done -> (Commands.Command) new Commands.ResetBranch(new BranchHeadMoved(branch, from, to, reason,
            contents), r.force(), r.mayForce()))
        .onTermination().call(tables::rollback);
  }

  /**
   * A table in another database is reset only without working changes there: what recovery would put
   * back if the event is never appended is the rows, not a working log.
   */
  private Uni<Void> requireClean(SqlConnection c, TrackedTable table, BranchRef ref) {
    return working.holdWriters(c, table, ref).chain(() -> working.status(c, table, ref)).invoke(s -> {
      if (!s.staged().isEmpty() || !s.unstaged().isEmpty()) {
        throw new StrataException(ErrorCode.WorkingChangesPresent, "branch '" + ref.name() + "' has uncommitted"
            + " changes in table '" + table.name() + "', in another database: commit or discard them before a reset",
            Map.of("branch", ref.name(), "table", table.name()));
      }
    }).replaceWithVoid();
  }
}
