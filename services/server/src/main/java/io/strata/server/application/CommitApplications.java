package io.strata.server.application;

import io.smallrye.mutiny.Uni;
import io.strata.events.AppliedCommit;
import io.strata.projections.graph.CommitGraph;
import io.strata.projections.rowdata.BranchRef;
import io.strata.projections.rowdata.UnitOfWork;
import io.strata.projections.runtime.ProjectionRuntime;
import io.strata.projections.tables.TableQueries;
import io.strata.projections.tables.TableRow;
import io.strata.server.auth.Permission;
import io.strata.server.domain.Commands;
import io.strata.server.domain.Existing;
import io.strata.server.domain.Names;
import io.strata.server.domain.RefResolver;
import io.strata.server.domain.RepositoryState;
import io.strata.server.domain.StrataException;
import io.strata.server.runtime.CommitGraphReads;
import io.strata.server.runtime.StorageBackends;
import io.strata.server.runtime.StrataConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.List;
import java.util.function.Function;

/**
 * Reverts and cherry-picks: a commit's change applied three-way to a branch, with a merge's schema merge, conflict
 * handling (listed, resolved, continued, aborted through {@code …/merge}) and cross-storage recovery
 * ({@link MergeCommands} holds the merge itself; a rebase replays its steps through here).
 */
@ApplicationScoped
public class CommitApplications {
  private final CommandProcessor processor;
  private final Existing existing;
  private final RefResolver resolver;
  private final TableQueries tableQueries;
  private final ProjectionRuntime projections;
  private final StrataConfig config;
  private final StorageBackends backends;
  private final CrossStorageCommits crossStorage;
  private final CommitGraph graph;
  private final MergeWork work;
  private final SchemaPromotions promotions;
  private final SchemaMerges schemaMerges;
  private final MergeRehearsal rehearsal;

  @Inject
  public CommitApplications(CommandProcessor processor, Existing existing, RefResolver resolver,
      TableQueries tableQueries, ProjectionRuntime projections, StrataConfig config, StorageBackends backends,
      CrossStorageCommits crossStorage, CommitGraph graph, MergeWork work, SchemaPromotions promotions,
      SchemaMerges schemaMerges, MergeRehearsal rehearsal) {
    this.processor = processor;
    this.existing = existing;
    this.resolver = resolver;
    this.tableQueries = tableQueries;
    this.projections = projections;
    this.config = config;
    this.backends = backends;
    this.crossStorage = crossStorage;
    this.graph = graph;
    this.work = work;
    this.promotions = promotions;
    this.schemaMerges = schemaMerges;
    this.rehearsal = rehearsal;
  }

  /**
   * Reverts ({@code revert}: base the commit, theirs its parent) or cherry-picks ({@code cherry_pick}:
   * base the parent, theirs the commit) {@code r.source()} on {@code target}, three-way against the
   * branch's head: rows changed since by someone else conflict as in a merge (listed, resolved,
   * continued, aborted through {@code …/merge}). Its commit has one parent and names the commit applied.
   */
  @Permits(Permission.WRITE)
  public Uni<CommandResponse> applyCommit(String repository, String target, MergeCommands.Request r,
      CommandContext ctx, Function<MergeCommands.Outcome, Answer> answer) {
    String repo = Names.existingRepository(repository);
    Names.text("message", r.message(), 65536, false);
    if (r.mainline() != null && r.mainline() != 1 && r.mainline() != 2) {
      throw StrataException.invalid("mainline", "is 1 or 2: the parent of a merge commit taken as its base");
    }
    boolean revert = AppliedCommit.REVERT.equals(r.operation());
    MergeCommands.Outcome outcome = new MergeCommands.Outcome();
    outcome.source = r.source();
    outcome.target = target;
    outcome.strategy = r.strategy().wire();
    return existing.repository(repo)
        .chain(() -> existing.branch(repo, target))
        .chain(() -> processor.caughtUp(repo))
        .chain(() -> resolver.resolve(repo, r.source()))
        .chain(resolved -> graph.commit(repo, resolved.commit()).map(found -> found.orElseThrow(
            () -> StrataException.invalid("commit", "no commit " + resolved.commit()))))
        .chain(commit -> {
          List<String> parents = commit.parents();
          if (parents.isEmpty()) {
            throw StrataException.invalid("commit", "the repository's first commit has no parent to "
                + (revert ? "revert to" : "take its changes against"));
          }
          if (parents.size() > 1 && r.mainline() == null) {
            throw StrataException.invalid("mainline", "commit " + commit.id() + " is a merge: say which parent"
                + " (mainline 1 or 2) its changes are taken against");
          }
          if (parents.size() == 1 && r.mainline() != null) {
            throw StrataException.invalid("mainline", "commit " + commit.id() + " is not a merge: leave out mainline");
          }
          String parent = parents.get(r.mainline() == null ? 0 : r.mainline() - 1);
          outcome.sourceCommit = commit.id();
          String message = r.message() != null ? r.message()
              : revert ? "Revert \"" + commit.message().lines().findFirst().orElse("") + "\"" : commit.message();
          MergeCommands.Request applying = new MergeCommands.Request(r.source(), r.strategy(),
              MergeCommands.FastForward.NEVER, message, r.noCommit(),
              false, r.expectedHead(), r.author(), r.operation(), r.mainline(), r.allowEmpty(), r.schema());
          String base = revert ? commit.id() : parent;
          String theirs = revert ? parent : commit.id();
          // the change's columns first, as a merge's: those it adds reach the target before its rows (a
          // rebase's steps replay the branch's own commits onto a ref whose columns it was checked against)
          // a gated target refuses it before the change's columns reach it (a rebase's steps: the rebase was let start)
          Uni<Void> admitted = AppliedCommit.REBASE.equals(r.operation()) ? Uni.createFrom().voidItem()
              : processor.admitted(repo, target, r.operation(), ctx);
          Uni<SchemaMerges.Settled> schema = admitted.chain(() -> AppliedCommit.REBASE.equals(r.operation())
              ? Uni.createFrom().item(SchemaMerges.Settled.NONE)
              : schemaMerges.apply(repo, target, base, theirs, r.source(), r.schema())
                  .map(settled -> revert ? settled.withoutTakes() : settled));
          // rows of a table the target does not have (made on another branch) refuse it (MergeWork.touched)
          return schema
              .call(settled -> rehearsal.refusedBeforeColumnsChange(repo, target, applying, settled, outcome, List.of(),
                  (tx, state, tracked, dry, o) -> prepareApplying(tx, state, repo, target, dry, tracked, o, base, theirs,
                      revert, settled)))
              // (a cherry-pick takes the table's columns the target kept out and the picked commit reads, with its values)
              .chain(settled -> promotions.beforeMerge(repo, target, r.source(),
                  AppliedCommit.CHERRY_PICK.equals(r.operation()) ? commit.id() : null, false, false,
                  settled, ctx)
                  .chain(() -> tableQueries.tables(repo)).chain(tracked -> crossStorage.settledAfter(repo, tracked, "merge.appended",
                      processor.execute(repo, Footprint.branches(target), (tx, state) -> prepareApplying(tx, state,
                          repo, target, applying, tracked, outcome, base, theirs, revert, settled),
                      ctx, answer.apply(outcome)))));
        });
  }

  private Uni<Commands.Command> prepareApplying(UnitOfWork tx, RepositoryState state, String repo, String target,
      MergeCommands.Request r, List<TableRow> tracked, MergeCommands.Outcome outcome, String base, String theirs,
      boolean revert,
      SchemaMerges.Settled settled) {
    String ours = MergeCommands.targetHead(state, target, r.expectedHead());
    outcome.head = ours;
    outcome.base = base;
    BranchRef into = BranchRef.of(target, state.defaultBranch());
    TableTransactions tables = new TableTransactions(backends, repo, tx);
    return projections.awaitVersion(repo, state.version(), config.consistency().waitTimeout())
        .chain(() -> ColumnFit.require(tx, state, repo, target, null, outcome.sourceCommit, tracked,
            r.operation(), settled))
        .chain(() -> revert ? CommitGraphReads.mergeBase(tx, repo, outcome.sourceCommit, ours)
            : Uni.createFrom().item(outcome.sourceCommit))
        .invoke(found -> {
          if (!outcome.sourceCommit.equals(found)) {
            throw StrataException.invalid("commit", "commit " + outcome.sourceCommit + " is not on branch '"
                + target + "': only a commit in its history can be reverted there");
          }
        })
        .chain(() -> CommitGraphReads.pathsBetween(tx, repo, base, ours))
        .chain(oursPaths -> CommitGraphReads.pathsBetween(tx, repo, base, theirs).chain(theirsPaths -> {
          List<TableRow> touched = MergeWork.withCarriedChecks(MergeWork.requireTargetHas(state, into, r.dryRun(),
              tracked.stream().filter(t -> !theirsPaths.undo(t.name()).isEmpty()
                  || !theirsPaths.redo(t.name()).isEmpty()).toList()),
              tracked, settled, into);
          return work.attempt(tx, repo, target, touched, r.dryRun()).chain(attempt -> work.threeWay(tables, tx, state, repo,
              into, r, tracked, outcome, new MergeWork.Sides(oursPaths.redo(), theirsPaths.redo(), touched, attempt,
                  oursPaths.undo(), theirsPaths.undo()), settled));
        }))
        .onTermination().call(tables::rollback);
  }
}
