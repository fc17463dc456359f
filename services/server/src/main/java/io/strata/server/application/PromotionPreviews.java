package io.strata.server.application;

import io.smallrye.mutiny.Uni;
import io.strata.events.Author;
import io.strata.events.PromotionPolicy;
import io.strata.projections.rowdata.Merges;
import io.strata.server.domain.ErrorCode;
import io.strata.server.domain.PromotionCommand;
import io.strata.server.domain.PromotionRequests;
import io.strata.server.domain.RepositoryState;
import io.strata.server.domain.SchemaChoices;
import io.strata.server.domain.SchemaMerge;
import io.strata.server.domain.StrataException;
import java.util.Map;

/**
 * A promotion request's preview branch ({@code promotions/<n>}): made again from the target's head with the source
 * merged into it under the path's strategies when the request is evaluated again, and cleared (a merge left on it
 * aborted) when it goes. Part of {@link PromotionCommands}.
 */
final class PromotionPreviews {
  private final CommandProcessor processor;
  private final BranchCommands branches;
  private final MergeCommands merges;
  private final MergeInProgressCommands inProgress;

  PromotionPreviews(CommandProcessor processor, BranchCommands branches, MergeCommands merges,
      MergeInProgressCommands inProgress) {
    this.processor = processor;
    this.branches = branches;
    this.merges = merges;
    this.inProgress = inProgress;
  }

  /** The request evaluated again at the heads now ({@link PromotionCommands#evaluate}). */
  Uni<PromotionCommands.View> reevaluate(String repo, int number, RepositoryState s, PromotionCommands.View v,
      CommandContext ctx) {
    PromotionRequests.Request r = v.request();
    PromotionPolicy.Path path = v.path();
    if (path == null) {
      throw new StrataException(ErrorCode.ValidationError, "no path of the repository's promotion policy leads from '"
          + r.source() + "' into '" + r.target() + "' any more", Map.of("number", number));
    }
    String preview = r.previewBranch();
    String sourceHead = v.sourceHead();
    String targetHead = v.targetHead();
    Uni<Void> cleared = s.branch(preview) == null ? Uni.createFrom().voidItem()
        : clearPreview(repo, number, preview, s, ctx);
    Merges.Strategy strategy = switch (path.conflictStrategy()) {
      case "ours" -> Merges.Strategy.OURS;
      case "theirs" -> Merges.Strategy.THEIRS;
      default -> Merges.Strategy.FAIL_ON_CONFLICT;
    };
    SchemaChoices schema = path.schemaStrategy() == null ? SchemaChoices.NONE
        : SchemaChoices.all(SchemaMerge.Side.valueOf(path.schemaStrategy().toUpperCase(java.util.Locale.ROOT)));
    MergeCommands.Request merge = new MergeCommands.Request(sourceHead, strategy, MergeCommands.FastForward.AUTO,
        "Promote " + r.source() + " into " + r.target() + " (#" + number + ")", false, false, null,
        new Author("Strata promotions", "promotions@strata.local"), null, null, false, schema);
    long[] conflicts = {0};
    CommandContext own = ctx.forPromotion(number);
    return cleared
        .chain(() -> branches.createBranch(repo, preview, targetHead, false, own, Answer.NONE))
        .chain(() -> merges.merge(repo, preview, merge, own, outcome -> Answer.NONE)
            .replaceWithVoid()
            .onFailure(StrataException.class).recoverWithUni(e -> {
              StrataException refused = (StrataException) e;
              if (refused.code() != ErrorCode.MergeConflict && refused.code() != ErrorCode.SchemaConflict) {
                return Uni.createFrom().failure(e);
              }
              Object count = refused.details().get("conflicts");
              conflicts[0] = count instanceof Number n ? Math.max(1, n.longValue()) : 1;
              return Uni.createFrom().voidItem();
            }))
        .chain(() -> processor.state(repo))
        .chain(after -> {
          RepositoryState.Branch b = after.branch(preview);
          // a merge stopped by conflicts leaves none in progress on the preview: it is made again next time
          String previewCommit = conflicts[0] > 0 || b == null || after.merge(preview) != null ? null : b.head();
          return (after.merge(preview) != null ? inProgress.abort(repo, preview, own, Answer.NONE)
                  .replaceWithVoid() : Uni.createFrom().voidItem())
              .chain(() -> processor.execute(repo, new PromotionCommand.RecordEvaluation(number, sourceHead, targetHead,
                  previewCommit, conflicts[0]), ctx, Answer.NONE));
        })
        .chain(() -> processor.state(repo)).map(after -> PromotionCommands.view(after, number));
  }

  /** Deletes a request's preview branch (aborting a merge left on it); gone already is fine. */
  Uni<Void> clearPreview(String repo, int number, String preview, RepositoryState s, CommandContext ctx) {
    CommandContext own = ctx.forPromotion(number);
    Uni<Void> aborted = s.merge(preview) != null
        ? inProgress.abort(repo, preview, own, Answer.NONE).replaceWithVoid() : Uni.createFrom().voidItem();
    return aborted.chain(() -> branches.deleteBranch(repo, preview, true, own, Answer.NONE))
        .replaceWithVoid()
        .onFailure(e -> e instanceof StrataException x && x.code() == ErrorCode.BranchNotFound).recoverWithNull();
  }
}
