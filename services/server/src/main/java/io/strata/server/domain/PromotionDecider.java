package io.strata.server.domain;

import io.strata.events.CheckRunCompleted;
import io.strata.events.PromotionApproved;
import io.strata.events.PromotionEvaluated;
import io.strata.events.PromotionMerged;
import io.strata.events.PromotionOpened;
import io.strata.events.PromotionPolicy;
import io.strata.events.PromotionRejected;
import io.strata.events.StrataEvent;
import io.strata.server.domain.PromotionCommand.ApprovePromotion;
import io.strata.server.domain.PromotionCommand.OpenPromotion;
import io.strata.server.domain.PromotionCommand;
import io.strata.server.domain.PromotionCommand.RecordCheckRun;
import io.strata.server.domain.PromotionCommand.RecordEvaluation;
import io.strata.server.domain.PromotionCommand.RecordPromotionMerged;
import io.strata.server.domain.PromotionCommand.RejectPromotion;
import java.util.List;
import java.util.Map;

/**
 * Promotion requests: opened along a path of the policy (one open request per source and target), evaluated at
 * a pair of commits, checked and approved for that pair only, merged or rejected once; a merged one verified, and
 * rolled back once when its verification failed. Pure.
 */
public final class PromotionDecider {
  private PromotionDecider() {}

  public static List<StrataEvent> decide(RepositoryState state, PromotionCommand command) {
    if (command instanceof OpenPromotion c) {
      return open(state, c);
    }
    PromotionRequests.Request r = require(state, command.number());
    if (command instanceof PromotionCommand.RecordVerification c) {
      if (!PromotionRequests.MERGED.equals(r.closed())) {
        throw notReady(r, "only a merged promotion is verified (it is " + (r.isOpen() ? "open" : r.closed()) + ")");
      }
      if (r.verification() != null) {
        throw notReady(r, "it was verified already (" + r.verification().status() + ")");
      }
      RepositoryState.Branch target = state.branch(r.target());
      if (target == null || !target.head().equals(r.mergeCommit())) {
        throw notReady(r, "its target moved on from its merge commit: verification (and a rollback) applies to the"
            + " promotion as it landed; promote a fix instead");
      }
      return List.of(c.verified());
    }
    if (command instanceof PromotionCommand.RecordPromotionRolledBack c) {
      if (!r.failedVerification()) {
        throw notReady(r, "only a merged promotion whose verification failed is rolled back");
      }
      return List.of(new io.strata.events.PromotionRolledBack(c.number(), c.revertCommit(), c.reason()));
    }
    if (!r.isOpen()) {
      throw new StrataException(ErrorCode.PromotionClosed, "promotion #" + r.number() + " is " + r.closed() + " already",
          Map.of("number", r.number(), "state", r.closed()));
    }
    if (command instanceof RecordEvaluation c) {
      return List.of(new PromotionEvaluated(c.number(), c.sourceCommit(), c.targetHead(), c.previewCommit(),
          c.conflicts()));
    }
    if (command instanceof RecordCheckRun c) {
      CheckRunCompleted run = c.run();
      requirePair(r, run.sourceCommit(), run.targetHead());
      PromotionPolicy.Path path = requirePath(state, r);
      if (!path.requiredChecks().contains(run.name())) {
        throw StrataException.invalid("name", "'" + run.name() + "' is not a check the path " + path.source() + " -> "
            + path.target() + " requires (" + String.join(", ", path.requiredChecks()) + ")");
      }
      CheckRunCompleted last = r.checks().get(run.name());
      if (last != null && last.status().equals(run.status()) && last.summary().equals(run.summary())
          && last.output().equals(run.output())) {
        return List.of(); // the same result again at the same pair: nothing new to record
      }
      return List.of(run);
    }
    if (command instanceof ApprovePromotion c) {
      // an approval is of what its approver reviewed: the pair they name must be the one the request is at
      requirePair(r, c.sourceCommit(), c.targetHead());
      PromotionPolicy.Path path = requirePath(state, r);
      if (!PromotionRequests.mayApprove(path.approvals(), c.approver(), c.role())) {
        throw new StrataException(ErrorCode.Forbidden, c.approver() + " may not approve promotions of " + r.source()
            + " into " + r.target() + ": the path takes approvals from roles " + path.approvals().roles()
            + " and actors " + path.approvals().actors(), Map.of("number", r.number()));
      }
      PromotionApproved given = r.approvals().get(c.approver());
      if (given != null) {
        return List.of(); // approved at this pair already
      }
      return List.of(new PromotionApproved(c.number(), r.sourceCommit(), r.targetHead(), c.approver(), c.role(),
          c.comment()));
    }
    if (command instanceof RecordPromotionMerged c) {
      return List.of(new PromotionMerged(c.number(), c.commit(), c.tag()));
    }
    RejectPromotion c = (RejectPromotion) command;
    RepositoryState.Branch target = state.branch(r.target());
    if (target != null && r.targetHead() != null && !target.head().equals(r.targetHead())
        && PromotionRequests.APPROVED.equals(PromotionRequests.state(r, PromotionRequests.path(
            state.policy() == null ? null : state.policy().policy(), r.source(), r.target())))) {
      // its merge may be landing (the target moved from the evaluated head): a rejection would not undo it
      throw notReady(r, "it is approved and its target moved since it was evaluated: evaluate it again first");
    }
    return List.of(new PromotionRejected(c.number(), c.reason()));
  }

  private static List<StrataEvent> open(RepositoryState state, OpenPromotion c) {
    Guards.requireBranch(state, c.source());
    Guards.requireBranch(state, c.target());
    if (c.source().equals(c.target())) {
      throw StrataException.invalid("target", "a branch is not promoted into itself");
    }
    PromotionPolicy policy = state.policy() == null ? null : state.policy().policy();
    if (PromotionRequests.path(policy, c.source(), c.target()) == null) {
      throw new StrataException(ErrorCode.ValidationError, "no path of the repository's promotion policy leads from '"
          + c.source() + "' into '" + c.target() + "'", Map.of("field", "target"));
    }
    PromotionRequests.Request open = state.promotions().openFor(c.source(), c.target());
    if (open != null) {
      throw new StrataException(ErrorCode.PromotionAlreadyOpen, "promotion #" + open.number() + " of '" + c.source()
          + "' into '" + c.target() + "' is open: evaluate it again, or reject it first",
          Map.of("number", open.number()));
    }
    int number = state.promotions().next();
    String preview = PromotionRequests.PREVIEW_PREFIX + number;
    if (state.branch(preview) != null) {
      throw new StrataException(ErrorCode.BranchAlreadyExists, "branch '" + preview + "', where promotion #" + number
          + " would preview its merge, exists: rename it first", Map.of("branch", preview));
    }
    return List.of(new PromotionOpened(number, c.source(), c.target(), preview));
  }

  static PromotionRequests.Request require(RepositoryState state, int number) {
    PromotionRequests.Request r = state.promotions().get(number);
    if (r == null) {
      throw new StrataException(ErrorCode.PromotionNotFound, "promotion #" + number + " does not exist",
          Map.of("number", number));
    }
    return r;
  }

  /** The path the request goes along under the policy in force (422 when none does any more). */
  static PromotionPolicy.Path requirePath(RepositoryState state, PromotionRequests.Request r) {
    PromotionPolicy.Path path = PromotionRequests.path(state.policy() == null ? null : state.policy().policy(),
        r.source(), r.target());
    if (path == null) {
      throw new StrataException(ErrorCode.ValidationError, "no path of the repository's promotion policy leads from '"
          + r.source() + "' into '" + r.target() + "' any more", Map.of("number", r.number()));
    }
    return path;
  }

  private static void requirePair(PromotionRequests.Request r, String sourceCommit, String targetHead) {
    if (r.sourceCommit() == null || !r.at(sourceCommit, targetHead)) {
      throw notReady(r, "it was evaluated at " + r.sourceCommit() + " into " + r.targetHead() + ", not at "
          + sourceCommit + " into " + targetHead);
    }
  }

  static StrataException notReady(PromotionRequests.Request r, String why) {
    return new StrataException(ErrorCode.PromotionNotReady, "promotion #" + r.number() + ": " + why,
        Map.of("number", r.number()));
  }

  /**
   * Whether promotion {@code number} lets a change to {@code branch} through the gate: it is open, into that branch,
   * approved under the policy's path (every required check passed and the approvals suffice, for its pair), and
   * the branch is still at the head it was evaluated at.
   */
  public static boolean admits(RepositoryState state, int number, String branch) {
    PromotionRequests.Request r = state.promotions().get(number);
    if (r != null && r.failedVerification() && r.target().equals(branch)) {
      // the rollback of a promotion whose verification failed: the revert of its merge commit, while the target is
      // still at it (the revert's commit concludes a merge the gate let start)
      RepositoryState.Branch b = state.branch(branch);
      return b != null && b.head().equals(r.mergeCommit());
    }
    if (r == null || !r.isOpen() || !r.target().equals(branch) || r.targetHead() == null) {
      return false;
    }
    RepositoryState.Branch b = state.branch(branch);
    PromotionPolicy.Path path = PromotionRequests.path(state.policy() == null ? null : state.policy().policy(),
        r.source(), r.target());
    return b != null && b.head().equals(r.targetHead())
        && PromotionRequests.APPROVED.equals(PromotionRequests.state(r, path));
  }
}
