package io.strata.server.application;

import io.smallrye.mutiny.Uni;
import io.strata.events.Author;
import io.strata.events.CheckRunCompleted;
import io.strata.events.PromotionOpened;
import io.strata.events.PromotionPolicy;
import io.strata.projections.rowdata.Merges;
import io.strata.server.auth.Permission;
import io.strata.server.domain.Commands;
import io.strata.server.domain.PromotionCommand;
import io.strata.server.domain.ErrorCode;
import io.strata.server.domain.Names;
import io.strata.server.domain.PromotionRequests;
import io.strata.server.domain.RepositoryState;
import io.strata.server.domain.SchemaChoices;
import io.strata.server.domain.StrataException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.Map;

/**
 * Promotion requests: opened along a path of the policy and evaluated at once; evaluated again at the heads the
 * source and target have now (a new preview, earlier checks and approvals stale); checked, approved, merged
 * through the gate, or rejected. A request's preview is a branch of the server's own ({@code promotions/<n>}):
 * the target's head with the source merged into it under the path's strategies, so that the checks read exactly
 * what a merge lands, and the merge takes the target to that state only while the target is still at the head it
 * was evaluated at.
 */
@ApplicationScoped
public class PromotionCommands {
  private final CommandProcessor processor;
  private final MergeCommands merges;
  private final CommitApplications applications;
  private final PromotionPreviews previews;
  private final PromotionLandings landings;

  @Inject
  public PromotionCommands(CommandProcessor processor, BranchCommands branches, MergeCommands merges,
      MergeInProgressCommands inProgress, TagCommands tags, CommitApplications applications,
      io.strata.projections.graph.CommitGraph graph) {
    this.applications = applications;
    this.processor = processor;
    this.merges = merges;
    this.previews = new PromotionPreviews(processor, branches, merges, inProgress);
    this.landings = new PromotionLandings(processor, tags, graph, previews);
  }

  /** A request as the repository's state has it now: the request, its path (null: none any more), the heads. */
  public record View(PromotionRequests.Request request, PromotionPolicy.Path path, PromotionPolicy policy,
      String sourceHead, String targetHead, long position) {
    /** Whether the source or the target moved since the request was evaluated (its checks and approvals are stale). */
    public boolean stale() {
      return request.sourceCommit() == null || sourceHead == null || targetHead == null
          || !request.at(sourceHead, targetHead);
    }

    public String state() {
      return PromotionRequests.state(request, path);
    }
  }

  @Permits(Permission.READ)
  public Uni<View> view(String repository, int number, CommandContext ctx) {
    return processor.state(Names.existingRepository(repository)).map(s -> view(s, number));
  }

  static View view(RepositoryState s, int number) {
    if (!s.exists()) {
      throw StrataException.repositoryNotFound(s.name());
    }
    PromotionRequests.Request r = s.promotions().get(number);
    if (r == null) {
      throw new StrataException(ErrorCode.PromotionNotFound, "promotion #" + number + " does not exist",
          Map.of("number", number));
    }
    PromotionPolicy policy = s.policy() == null ? null : s.policy().policy();
    RepositoryState.Branch source = s.branch(r.source());
    RepositoryState.Branch target = s.branch(r.target());
    return new View(r, PromotionRequests.path(policy, r.source(), r.target()), policy,
        source == null ? null : source.head(), target == null ? null : target.head(), s.lastPosition());
  }

  /** Every request of the repository, newest first. */
  @Permits(Permission.READ)
  public Uni<java.util.List<View>> list(String repository, CommandContext ctx) {
    return processor.state(Names.existingRepository(repository)).map(s -> {
      java.util.List<PromotionRequests.Request> all = s.promotions().all();
      java.util.Collections.reverse(all);
      return all.stream().map(r -> view(s, r.number())).toList();
    });
  }

  /** Opens a request of {@code source} into {@code target} and evaluates it; answers its number. */
  @Permits(Permission.WRITE)
  public Uni<Integer> open(String repository, String source, String target, CommandContext ctx) {
    String repo = Names.existingRepository(repository);
    Names.branch(source);
    Names.branch(target);
    int[] number = {0};
    return processor.execute(repo, new PromotionCommand.OpenPromotion(source, target), ctx, (events, position, after, time) -> {
          number[0] = ((PromotionOpened) events.get(0)).number();
          return Answer.Reply.NONE;
        })
        .chain(() -> evaluate(repo, number[0], ctx))
        .map(v -> number[0]);
  }

  /**
   * Evaluates the request at the source's and the target's heads now: its preview branch made again from the
   * target's head and the source merged into it (a conflict the path's strategy does not settle leaves no preview,
   * and the request failing). Nothing is recorded when it was evaluated at these heads already.
   */
  @Permits(Permission.WRITE)
  public Uni<View> evaluate(String repository, int number, CommandContext ctx) {
    String repo = Names.existingRepository(repository);
    return processor.state(repo).chain(s -> {
      View v = view(s, number);
      PromotionRequests.Request r = v.request();
      if (!r.isOpen()) {
        throw new StrataException(ErrorCode.PromotionClosed, "promotion #" + number + " is " + r.closed() + " already",
            Map.of("number", number));
      }
      if (v.sourceHead() == null || v.targetHead() == null) {
        throw new StrataException(ErrorCode.BranchNotFound, "promotion #" + number + ": branch '"
            + (v.sourceHead() == null ? r.source() : r.target()) + "' does not exist any more",
            Map.of("number", number));
      }
      PromotionPolicy.Path path = v.path();
      if (!v.stale() && path != null) {
        return Uni.createFrom().item(v);
      }
      return landings.landedUnrecorded(repo, v).chain(landed -> landed
          ? landings.recordLanded(repo, number, r, v.targetHead(), PromotionLandings.landedTag(v, s), ctx)
          : previews.reevaluate(repo, number, s, v, ctx));
    });
  }


  /** Records a check's run for the request's current pair (a SQL check the API ran, or an external one posted). */
  @Permits(Permission.WRITE)
  public Uni<View> recordCheckRun(String repository, CheckRunCompleted run, CommandContext ctx) {
    String repo = Names.existingRepository(repository);
    return processor.execute(repo, new PromotionCommand.RecordCheckRun(run.number(), run), ctx, Answer.NONE)
        .chain(() -> view(repo, run.number(), ctx));
  }

  /**
   * Approves the request as the caller, for the pair the caller reviewed ({@code sourceCommit}, {@code targetHead}):
   * 409 unless the request is at that pair now.
   */
  @Permits(Permission.WRITE)
  public Uni<View> approve(String repository, int number, String sourceCommit, String targetHead, String comment,
      CommandContext ctx) {
    String repo = Names.existingRepository(repository);
    Names.text("comment", comment, 2000, false);
    String approver = ctx.actor().label(null);
    if (approver == null) {
      throw StrataException.invalid("approver", "an approval names its approver: send X-User-Id (or use a token)");
    }
    String role = ctx.actor().grants() == null ? null : ctx.actor().grants().role().wire();
    return processor.execute(repo, new PromotionCommand.ApprovePromotion(number, sourceCommit, targetHead, approver, role,
            comment), ctx, Answer.NONE)
        .chain(() -> view(repo, number, ctx));
  }

  /**
   * Merges the request: evaluated again first (a moved source or target makes its checks and approvals stale, and
   * the merge is refused until they are given again), then, when it is approved, the target merged up to the
   * preview's commit through the gate — only while the target is still at the head it was evaluated at — tagged as
   * the path says, the request recorded merged and its preview branch deleted.
   */
  @Permits(Permission.WRITE)
  public Uni<View> merge(String repository, int number, CommandContext ctx) {
    String repo = Names.existingRepository(repository);
    return evaluate(repo, number, ctx).chain(v -> {
      PromotionRequests.Request r = v.request();
      String state = v.state();
      if (!PromotionRequests.APPROVED.equals(state)) {
        throw new StrataException(ErrorCode.PromotionNotReady, "promotion #" + number + " is " + state
            + ": it merges once every required check passed and its approvals suffice, at the heads it was evaluated"
            + " at", Map.of("number", number, "state", state));
      }
      CommandContext promoting = ctx.forPromotion(number);
      String template = v.path().tag();
      // always a merge commit (its first parent the evaluated head): its state is the preview's, and a rollback
      // reverts it whole
      MergeCommands.Request merge = new MergeCommands.Request(r.previewCommit(), Merges.Strategy.FAIL_ON_CONFLICT,
          MergeCommands.FastForward.NEVER, "Promote " + r.source() + " into " + r.target() + " (#" + number + ")",
          false, false, r.targetHead(), new Author("Strata promotions", "promotions@strata.local"), null, null, false,
          SchemaChoices.NONE);
      // the tag is named and found free before anything lands: a merge is never left without its record
      String[] tag = {null};
      return processor.state(repo).invoke(s -> {
            tag[0] = template == null ? null : PromotionLandings.tagName(template, r, r.previewCommit(), s);
            if (tag[0] != null && s.tags().containsKey(tag[0])) {
              throw new StrataException(ErrorCode.TagAlreadyExists, "promotion #" + number + " would be tagged '"
                  + tag[0] + "', which exists already: change the path's tag template (add {seq} or {time})",
                  Map.of("number", number, "tag", tag[0]));
            }
          })
          .chain(() -> merges.merge(repo, r.target(), merge, promoting, outcome -> Answer.NONE))
          .call(() -> io.strata.server.runtime.Failpoints.hit("promotion.merge-landed"))
          .chain(() -> processor.state(repo))
          .chain(after -> landings.recordLanded(repo, number, r, after.branch(r.target()).head(), tag[0], ctx));
    });
  }

  /**
   * Records a merged request's verification (its results, run on the target at the merge commit); when it failed
   * and the path rolls back by revert, the merge commit is reverted on the target through the gate (its first
   * parent the mainline) and the request recorded rolled back.
   */
  @Permits(Permission.WRITE)
  public Uni<View> verify(String repository, int number, java.util.List<io.strata.events.PromotionVerified.Result> results,
      CommandContext ctx) {
    String repo = Names.existingRepository(repository);
    return processor.state(repo).chain(s -> {
      View v = view(s, number);
      PromotionRequests.Request r = v.request();
      if (!PromotionRequests.MERGED.equals(r.closed())) {
        throw new StrataException(ErrorCode.PromotionNotReady, "promotion #" + number + " is " + v.state()
            + ": only a merged promotion is verified", Map.of("number", number, "state", v.state()));
      }
      boolean revertsOnFailure = v.path() != null && v.path().verify() != null
          && "revert".equals(v.path().verify().rollback());
      RepositoryState.Branch target = s.branch(r.target());
      // verified failed before, and the server stopped before its rollback: rolled back now, as it was to be then
      boolean rollbackOwed = r.failedVerification() && revertsOnFailure && target != null
          && r.mergeCommit().equals(target.head());
      java.util.List<io.strata.events.PromotionVerified.Result> found = rollbackOwed ? r.verification().results()
          : results;
      boolean passed = found.stream().allMatch(x -> x.status().equals("passed"));
      io.strata.events.PromotionVerified verified = new io.strata.events.PromotionVerified(number, r.mergeCommit(),
          passed ? "passed" : "failed", found);
      String failed = found.stream().filter(x -> !x.status().equals("passed")).map(x -> x.name() + " (" + x.summary()
          + ")").collect(java.util.stream.Collectors.joining(", "));
      boolean rollBack = !passed && revertsOnFailure;
      Uni<CommandResponse> recorded = rollbackOwed ? Uni.createFrom().nullItem()
          : processor.execute(repo, new PromotionCommand.RecordVerification(number, verified), ctx, Answer.NONE);
      if (!rollBack) {
        return recorded.chain(() -> view(repo, number, ctx));
      }
      if (r.mergeCommit().equals(r.targetHead())) {
        // the promotion landed nothing (its target was up to date with the source): nothing to revert
        return recorded.chain(() -> processor.execute(repo, new PromotionCommand.RecordPromotionRolledBack(number,
                r.mergeCommit(), limited("verification failed: " + failed + "; the promotion changed nothing")), ctx,
                Answer.NONE))
            .chain(() -> view(repo, number, ctx));
      }
      MergeCommands.Request revert = new MergeCommands.Request(r.mergeCommit(), Merges.Strategy.FAIL_ON_CONFLICT,
          MergeCommands.FastForward.NEVER, "Roll back promotion #" + number + ": verification failed: " + failed,
          false, false, null, new Author("Strata promotions", "promotions@strata.local"),
          io.strata.events.AppliedCommit.REVERT, 1, true, SchemaChoices.NONE);
      return recorded
          .call(() -> io.strata.server.runtime.Failpoints.hit("promotion.verification-recorded"))
          .chain(() -> applications.applyCommit(repo, r.target(), revert, ctx.forPromotion(number), o -> Answer.NONE))
          .chain(() -> processor.state(repo))
          .chain(after -> processor.execute(repo, new PromotionCommand.RecordPromotionRolledBack(number,
              after.branch(r.target()).head(), limited("verification failed: " + failed)), ctx, Answer.NONE))
          .chain(() -> view(repo, number, ctx));
    });
  }

  private static String limited(String s) {
    return s.length() > 2000 ? s.substring(0, 2000) : s;
  }

  /** Closes the request without merging, and deletes its preview branch. */
  @Permits(Permission.WRITE)
  public Uni<View> reject(String repository, int number, String reason, CommandContext ctx) {
    String repo = Names.existingRepository(repository);
    String why = Names.text("reason", reason == null ? "rejected" : reason, 2000, false);
    return processor.execute(repo, new PromotionCommand.RejectPromotion(number, why), ctx, Answer.NONE)
        .chain(() -> processor.state(repo))
        .chain(s -> {
          String preview = s.promotions().get(number).previewBranch();
          return s.branch(preview) == null ? Uni.createFrom().voidItem()
              : previews.clearPreview(repo, number, preview, s, ctx);
        })
        .chain(() -> view(repo, number, ctx));
  }
}

