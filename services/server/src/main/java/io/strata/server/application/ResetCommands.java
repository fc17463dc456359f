package io.strata.server.application;

import io.smallrye.mutiny.Uni;
import io.strata.projections.rowdata.UnitOfWork;
import io.strata.projections.rowdata.BranchRef;
import io.strata.projections.runtime.ProjectionRuntime;
import io.strata.projections.tables.TableQueries;
import io.strata.projections.tables.TableRow;
import io.strata.server.runtime.CommitGraphReads;
import io.strata.server.domain.Commands;
import io.strata.server.domain.ErrorCode;
import io.strata.server.domain.Existing;
import io.strata.server.domain.Names;
import io.strata.server.domain.RefResolver;
import io.strata.server.domain.RepositoryDecider;
import io.strata.server.domain.RepositoryState;
import io.strata.server.domain.StrataException;
import io.strata.server.runtime.StrataConfig;
import io.strata.server.auth.AccessRules;
import io.strata.server.auth.Permission;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
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
  private final CrossStorageCommits crossStorage;
  private final BranchMoves moves;
  private final BranchSchemaResets schemaResets;
  private final TablePlacements placements;

  @Inject
  public ResetCommands(CommandProcessor processor, Existing existing, RefResolver resolver, TableQueries tableQueries,
      ProjectionRuntime projections, StrataConfig config, CrossStorageCommits crossStorage, BranchMoves moves,
      BranchSchemaResets schemaResets, TablePlacements placements) {
    this.placements = placements;
    this.schemaResets = schemaResets;
    this.moves = moves;
    this.crossStorage = crossStorage;
    this.processor = processor;
    this.existing = existing;
    this.resolver = resolver;
    this.tableQueries = tableQueries;
    this.projections = projections;
    this.config = config;
  }

  /** How a reset treats the branch's working state. */
  public enum Mode { HARD, SOFT }

  public record Request(String to, Mode mode, String expectedHead, boolean force) {}

  @Permits(Permission.WRITE)
  public Uni<CommandResponse> reset(String repository, String branch, Request r, CommandContext ctx, Answer answer) {
    String repo = Names.existingRepository(repository);
    return existing.repository(repo)
        .chain(() -> existing.branch(repo, branch))
        .chain(() -> processor.caughtUp(repo))
        .chain(() -> resolver.resolve(repo, r.to()))
        .call(to -> placements.requireNoneBrought(repo, branch, to.commit(), "resetting to " + r.to()))
        // the tables made on a branch that the commit has come to the branch with it
        .chain(to -> tableQueries.madeAt(repo, List.of(to.commit())).chain(made -> tableQueries.tables(repo)
            .chain(tracked -> crossStorage.settledAfter(repo, tracked,
            "reset.appended", processor.execute(repo, Footprint.branches(branch),
            (tx, state) -> prepare(tx, state, repo, branch, to.commit(), r, mayForce(ctx, repo), tracked,
                List.copyOf(made.present().getOrDefault(to.commit(), Map.of()).keySet())), ctx,
            answer)))));
  }



  /** Whether the caller may force a protected branch's reset: it administers the repository. */
  private static boolean mayForce(CommandContext ctx, String repo) {
    return AccessRules.decide(Permission.REPOSITORY_ADMIN, ctx.actor().grants(), repo) == AccessRules.Decision.ALLOW;
  }

  private Uni<Commands.Command> prepare(UnitOfWork tx, RepositoryState state, String repo, String branch,
      String to, Request r, boolean mayForce, List<TableRow> tracked, List<String> commitMade) {
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
    // the commit graph read below must include every commit the state has seen
    return projections.awaitVersion(repo, state.version(), config.consistency().waitTimeout())
        .chain(() -> ColumnFit.require(tx, state, repo, branch, null, to, tracked, "reset"))
        // a hard reset of a branch gives it the columns it had added at that commit, before its rows move
        .chain(() -> r.mode() == Mode.HARD && !ref.isDefault()
            ? schemaResets.toCommit(tx, state, repo, branch, to, tracked)
            : Uni.createFrom().item(BranchSchemaResets.Moved.none(tracked)))
        .chain(moved -> CommitGraphReads.pathsBetween(tx, repo, from, to)
            .chain(paths -> moves.move(tx, state, repo, ref, moved.tracked().stream()
                // a hard reset drops the working changes of every table; otherwise only tables that differ move
                .filter(t -> r.mode() == Mode.HARD || !paths.undo(t.name()).isEmpty() || !paths.redo(t.name()).isEmpty())
                .toList(), paths, r.mode() == Mode.HARD ? BranchMoves.Mode.HARD : BranchMoves.Mode.SOFT, "reset"))
            .call(moved.afterRows()::get)
            .map(contents -> new Commands.ResetBranch(branch, from, to, r.mode() == Mode.HARD, contents, r.force(),
                mayForce, moved.events(), commitMade)));
  }

}
