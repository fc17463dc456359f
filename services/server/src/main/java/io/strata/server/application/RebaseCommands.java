package io.strata.server.application;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.strata.events.AppliedCommit;
import io.strata.events.Author;
import io.strata.projections.graph.CommitGraph;
import io.strata.projections.rowdata.UnitOfWork;
import io.strata.projections.graph.CommitRow;
import io.strata.projections.rowdata.BranchRef;
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
import io.strata.server.domain.RefResolver;
import io.strata.server.domain.RepositoryDecider;
import io.strata.server.domain.RepositoryState;
import io.strata.server.domain.StrataException;
import io.strata.server.runtime.StorageBackends;
import io.strata.server.runtime.Failpoints;
import io.strata.server.runtime.StrataConfig;
import io.strata.server.auth.Permission;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Rebases (docs/architecture.md, "History rewriting"): a branch's commits since its merge base with
 * another commit are replayed on top of it, as OAT-DB has it. The start moves the branch to that commit
 * ({@code rebase.started} and a {@code branch.head_moved} with reason {@code rebase}, one append); each
 * commit is then replayed by a cherry-pick of it (the revert and cherry-pick machinery, operation
 * {@code rebase}: same message and author, new id), one append each, so the branch is at a whole commit
 * at every point. The first conflict stops the rebase with the step's merge in progress (resolved
 * through {@code …/merge}); {@code continue} commits it and goes on, {@code skip} drops that commit,
 * {@code abort} puts the branch back where it was, exactly (it had no working changes).
 */
@ApplicationScoped
public class RebaseCommands {
  private final CommandProcessor processor;
  private final Existing existing;
  private final RefResolver resolver;
  private final TableQueries tableQueries;
  private final ProjectionRuntime projections;
  private final StrataConfig config;
  private final CommitGraph graph;
  private final CommitApplications applications;
  private final MergeInProgressCommands mergeInProgress;
  private final RepositoryStateLoader loader;
  private final ObjectMapper json;
  private final BranchMoves moves;
  private final CrossStorageCommits crossStorage;
  private final StorageBackends backends;
  private final TablePlacements placements;

  @Inject
  public RebaseCommands(CommandProcessor processor, Existing existing, RefResolver resolver, TableQueries tableQueries,
      ProjectionRuntime projections, StrataConfig config,
      CommitGraph graph, CommitApplications applications, MergeInProgressCommands mergeInProgress, RepositoryStateLoader loader,
      ObjectMapper json, BranchMoves moves, CrossStorageCommits crossStorage, StorageBackends backends,
      TablePlacements placements) {
    this.placements = placements;
    this.backends = backends;
    this.mergeInProgress = mergeInProgress;
    this.moves = moves;
    this.crossStorage = crossStorage;
    this.processor = processor;
    this.existing = existing;
    this.resolver = resolver;
    this.tableQueries = tableQueries;
    this.projections = projections;
    this.config = config;
    this.graph = graph;
    this.applications = applications;
    this.loader = loader;
    this.json = json;
  }

  /**
   * Rebases {@code branch} onto {@code onto}: refused with working changes present; up to date when
   * {@code onto} is in its history; a fast-forward when its head is in {@code onto}'s. Answers as the
   * replay ends ({@link #replay}), as the caller renders it ({@link Rendering}).
   */
  @Permits(Permission.WRITE)
  public Uni<CommandResponse> rebase(String repository, String branch, String onto, Author author, CommandContext ctx,
      Rendering rendering) {
    String repo = Names.existingRepository(repository);
    CommandContext inner = inner(ctx);
    return existing.repository(repo)
        .chain(() -> existing.branch(repo, branch))
        .chain(() -> processor.caughtUp(repo))
        .chain(() -> resolver.resolve(repo, onto))
        .chain(target -> {
          if (branch.equals(target.branch()) && target.isPlainBranch()) {
            throw StrataException.invalid("onto", "a branch cannot be rebased onto itself");
          }
          return placements.requireNoneBrought(repo, branch, target.commit(), "rebasing onto " + onto)
              .chain(() -> tableQueries.madeAt(repo, List.of(target.commit())))
              .chain(made -> tableQueries.tables(repo).chain(tracked -> crossStorage.settledAfter(repo, tracked,
              "rebase.appended", processor.execute(repo, Footprint.branches(branch, onto),
              (tx, state) -> start(tx, state, repo, branch, onto, target.commit(), author, tracked,
                  List.copyOf(made.present().getOrDefault(target.commit(), Map.of()).keySet())), inner,
              Answer.NONE))));
        })
        .chain(started -> replay(repo, branch, inner, rendering));
  }

  private Uni<Commands.Command> start(UnitOfWork tx, RepositoryState state, String repo, String branch,
      String onto, String ontoCommit, Author author, List<TableRow> tracked, List<String> commitMade) {
    RepositoryState.Branch b = state.branch(branch);
    if (b == null) {
      throw StrataException.branchNotFound(branch);
    }
    if (state.rebase(branch) != null) {
      throw RepositoryDecider.rebaseInProgress(branch, state.rebase(branch));
    }
    if (state.merge(branch) != null) {
      throw RepositoryDecider.mergeInProgress(branch, state.merge(branch));
    }
    String head = b.head();
    BranchRef ref = BranchRef.of(branch, state.defaultBranch());
    return projections.awaitVersion(repo, state.version(), config.consistency().waitTimeout())
        .chain(() -> ColumnFit.require(tx, state, repo, branch, onto, ontoCommit, tracked, "rebase"))
        .chain(() -> CommitGraphReads.mergeBase(tx, repo, head, ontoCommit))
        .chain(base -> {
          if (base == null) {
            throw StrataException.invalid("onto", "'" + onto + "' shares no history with '" + branch + "'");
          }
          if (base.equals(ontoCommit)) { // onto is in the branch's history already: nothing to replay
            return Uni.createFrom().item((Commands.Command) new Commands.MergeUpToDate(branch));
          }
          return replayed(repo, head, ontoCommit)
              .chain(commits -> requireClean(tx, repo, local(tracked), ref)
                  .chain(() -> CommitGraphReads.pathsBetween(tx, repo, head, ontoCommit))
                  // every table, so that one with working changes in another database refuses it too
                  .chain(paths -> moves.move(tx, state, repo, ref, tracked, paths, BranchMoves.Mode.HARD, "rebase"))
                  .chain(contents -> Failpoints.hit("rebase.started").map(done -> {
                    return commits.isEmpty() ? new Commands.FastForward(branch, head, ontoCommit, contents, true,
                            commitMade)
                        : new Commands.StartRebase(branch, onto, ontoCommit, head, commits, author, contents, commitMade);
                  })));
        });
  }

  /** The commits to replay: the head's first-parent history down to the first commit in {@code onto}'s, oldest first. */
  private Uni<List<String>> replayed(String repo, String head, String onto) {
    List<String> commits = new ArrayList<>();
    return walk(repo, head, onto, commits).map(done -> {
      Collections.reverse(commits);
      return commits;
    });
  }

  private Uni<Void> walk(String repo, String commit, String onto, List<String> commits) {
    return graph.isReachableFrom(repo, commit, List.of(onto)).chain(reached -> {
      if (reached) {
        return Uni.createFrom().voidItem();
      }
      return graph.commit(repo, commit).chain(row -> {
        CommitRow c = row.orElseThrow(() -> new IllegalStateException("commit " + commit + " not projected"));
        commits.add(c.id());
        return c.parents().isEmpty() ? Uni.createFrom().voidItem() : walk(repo, c.parents().get(0), onto, commits);
      });
    });
  }

  /**
   * Replays the rebase's remaining commits one append at a time, then finishes it; a step that stops
   * with conflicts answers as the rendering's {@code stopped} does, the rebase still in progress.
   */
  private Uni<CommandResponse> replay(String repo, String branch, CommandContext inner, Rendering rendering) {
    return loader.load(repo).chain(state -> {
      RepositoryState.Rebase rebase = state.rebase(branch);
      if (rebase == null) { // up to date, or a fast-forward: nothing was started
        return answer(state, branch, null, rendering);
      }
      String next = rebase.next();
      if (next == null) {
        String head = state.branch(branch).head();
        return processor.execute(repo, new Commands.FinishRebase(branch, head), inner,
                Answer.NONE)
            .chain(done -> loader.load(repo))
            .chain(after -> answer(after, branch, rebase, rendering));
      }
      return graph.commit(repo, next).chain(row -> {
        CommitRow c = row.orElseThrow(() -> new IllegalStateException("commit " + next + " not projected"));
        MergeCommands.Request step = new MergeCommands.Request(next, Strategy.THREE_WAY, MergeCommands.FastForward.NEVER,
            null, false, false, null, c.author(), AppliedCommit.REBASE, c.parents().size() > 1 ? 1 : null, true);
        MergeCommands.Outcome[] applied = new MergeCommands.Outcome[1];
        return applications.applyCommit(repo, branch, step, inner, o -> {
              applied[0] = o;
              return rendering.stopped().apply(o);
            })
            // conflicts stop the rebase with the step in progress: its answer is the rebase's
            .chain(response -> applied[0].stopped() ? Uni.createFrom().item(response)
                : Failpoints.hit("rebase.step").chain(() -> replay(repo, branch, inner, rendering)));
      });
    });
  }

  /** Continues the rebase in progress: commits the stopped step's resolved merge, if any, then replays the rest. */
  @Permits(Permission.WRITE)
  public Uni<CommandResponse> continueRebase(String repository, String branch, CommandContext ctx,
      Rendering rendering, Answer concluded) {
    String repo = Names.existingRepository(repository);
    CommandContext inner = inner(ctx);
    return requireRebase(repo, branch).chain(state -> {
      RepositoryState.Merge step = state.merge(branch);
      if (step == null) {
        return replay(repo, branch, inner, rendering);
      }
      // the step's commit concludes it (conflicts left refuse it), then the rest is replayed
      return graph.commit(repo, step.started().sourceCommit()).chain(row -> mergeInProgress.continueMerge(repo, branch, null,
              row.map(CommitRow::author).orElse(null), inner, concluded))
          .chain(committed -> replay(repo, branch, inner, rendering));
    });
  }

  /** Skips the commit the rebase in progress stopped at (its merge, if any, aborted), then replays the rest. */
  @Permits(Permission.WRITE)
  public Uni<CommandResponse> skip(String repository, String branch, CommandContext ctx, Rendering rendering) {
    String repo = Names.existingRepository(repository);
    CommandContext inner = inner(ctx);
    return requireRebase(repo, branch)
        .chain(state -> state.merge(branch) == null ? Uni.createFrom().item(state)
            : mergeInProgress.abortRebaseStep(repo, branch, inner, Answer.NONE)
                .chain(() -> loader.load(repo)))
        .chain(state -> {
          String next = state.rebase(branch).next();
          if (next == null) {
            return replay(repo, branch, inner, rendering);
          }
          return processor.execute(repo, new Commands.SkipRebaseStep(branch, next), inner,
                  Answer.NONE)
              .chain(() -> replay(repo, branch, inner, rendering));
        });
  }

  /** Abandons the rebase in progress: the branch back at its head before it, working state included, exactly. */
  @Permits(Permission.WRITE)
  public Uni<CommandResponse> abort(String repository, String branch, CommandContext ctx, Answer answer) {
    String repo = Names.existingRepository(repository);
    CommandContext inner = inner(ctx);
    return requireRebase(repo, branch)
        .chain(state -> state.merge(branch) == null ? Uni.createFrom().voidItem()
            : mergeInProgress.abortRebaseStep(repo, branch, inner, Answer.NONE)
                .replaceWithVoid())
        .chain(() -> tableQueries.tables(repo))
        .chain(tracked -> crossStorage.settledAfter(repo, tracked, "rebase.appended",
            processor.execute(repo, Footprint.branches(branch), (tx, state) -> {
          RepositoryState.Rebase rebase = state.rebase(branch);
          if (rebase == null) {
            throw noRebase(branch);
          }
          String current = state.branch(branch).head();
          String original = rebase.started().head();
          if (current.equals(original)) {
            return Uni.createFrom().item(new Commands.AbortRebase(branch, null));
          }
          BranchRef ref = BranchRef.of(branch, state.defaultBranch());
          return projections.awaitVersion(repo, state.version(), config.consistency().waitTimeout())
              .chain(() -> CommitGraphReads.pathsBetween(tx, repo, current, original))
              .chain(paths -> moves.move(tx, state, repo, ref, tracked, paths, BranchMoves.Mode.HARD, "rebase.abort"))
              .map(contents -> new Commands.AbortRebase(branch, contents));
        }, ctx, answer)));
  }



  /** The rebase in progress on the branch, per the authoritative state; 409 NoRebaseInProgress without one. */
  private Uni<RepositoryState> requireRebase(String repo, String branch) {
    return existing.branch(repo, branch).chain(() -> loader.load(repo)).invoke(state -> {
      if (state.rebase(branch) == null) {
        throw noRebase(branch);
      }
    });
  }

  private static StrataException noRebase(String branch) {
    return new StrataException(ErrorCode.NoRebaseInProgress, "branch '" + branch + "' has no rebase in progress",
        Map.of("branch", branch));
  }

  /**
   * What a rebase that ended (or had nothing to do) answers: the branch's head, and with a rebase that ran,
   * onto what and how many commits it replayed (null otherwise).
   */
  public record Rebased(String branch, String head, boolean rebaseInProgress,
      @JsonInclude(JsonInclude.Include.NON_NULL) String onto,
      @JsonInclude(JsonInclude.Include.NON_NULL) String ontoCommit,
      @JsonInclude(JsonInclude.Include.NON_NULL) Integer replayed) {}

  /**
   * How the caller renders a rebase's answers (opaque here, as {@link Answer}'s): a step stopped by
   * conflicts ({@code stopped}), and the rebase ended or with nothing to do ({@code ended}).
   */
  public record Rendering(Function<MergeCommands.Outcome, Answer> stopped, Function<Rebased, Answer.Reply> ended) {}

  private Uni<CommandResponse> answer(RepositoryState state, String branch, RepositoryState.Rebase rebase,
      Rendering rendering) {
    Rebased result = new Rebased(branch, state.branch(branch).head(), state.rebase(branch) != null,
        rebase == null ? null : rebase.started().onto(), rebase == null ? null : rebase.started().ontoCommit(),
        rebase == null ? null : rebase.started().commits().size());
    try {
      Answer.Reply reply = rendering.ended().apply(result);
      return Uni.createFrom().item(new CommandResponse(reply.status(), json.writeValueAsString(reply.body()),
          state.lastPosition(), state.version(), false, false));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("answer cannot be serialised", e);
    }
  }

  /** The commands a rebase runs take no Idempotency-Key: there are several, and each its own append. */
  private static CommandContext inner(CommandContext ctx) {
    return ctx.issued(false);
  }

  /** The tables in the server's database (those in other databases are checked as they move). */
  private List<TableRow> local(List<TableRow> tables) {
    return tables.stream().filter(t -> backends.sharesAppendTransaction(t.storage())).toList();
  }

  /** A rebase starts from a clean branch: working changes in any table refuse it. */
  private Uni<Void> requireClean(UnitOfWork tx, String repo, List<TableRow> tracked, BranchRef ref) {
    return Multi.createFrom().iterable(tracked)
        .onItem().transformToUniAndConcatenate(t -> CleanTables.require(tx, TrackedTable.on(repo, t, ref.name()), ref,
            "a rebase"))
        .collect().last()
        .replaceWithVoid();
  }

}
