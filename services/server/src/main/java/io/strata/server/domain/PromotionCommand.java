package io.strata.server.domain;

/** Promotion requests: {@link PromotionDecider}. */
public sealed interface PromotionCommand extends Commands.Command permits PromotionCommand.OpenPromotion,
    PromotionCommand.RecordEvaluation, PromotionCommand.RecordCheckRun, PromotionCommand.ApprovePromotion,
    PromotionCommand.RecordPromotionMerged, PromotionCommand.RejectPromotion, PromotionCommand.RecordVerification,
    PromotionCommand.RecordPromotionRolledBack {
  /** The request's number (0 for one being opened). */
  int number();

  /** Opens a request of {@code source} into {@code target}, along a path of the policy; previewed on its branch. */
  public record OpenPromotion(String source, String target) implements PromotionCommand {
    @Override
    public int number() {
      return 0;
    }
  }

  /** Records a request's evaluation: the pair of commits, and the preview's commit (null: conflicts stopped it). */
  public record RecordEvaluation(int number, String sourceCommit, String targetHead, String previewCommit,
      long conflicts) implements PromotionCommand {}

  /** Records a check's run on the request's preview, for the pair it ran at. */
  public record RecordCheckRun(int number, io.strata.events.CheckRunCompleted run) implements PromotionCommand {}

  /**
   * Approves the request at the pair the approver reviewed ({@code sourceCommit}, {@code targetHead}: refused
   * unless it is the request's current one), by {@code approver} with {@code role} (null without tokens).
   */
  public record ApprovePromotion(int number, String sourceCommit, String targetHead, String approver, String role,
      String comment) implements PromotionCommand {}

  /** Records that the request merged: its target at {@code commit}, tagged {@code tag} (null: none). */
  public record RecordPromotionMerged(int number, String commit, String tag) implements PromotionCommand {}

  /** Closes the request without merging. */
  public record RejectPromotion(int number, String reason) implements PromotionCommand {}

  /** Records a merged request's verification on its target. */
  public record RecordVerification(int number, io.strata.events.PromotionVerified verified) implements PromotionCommand {}

  /** Records that a merged request whose verification failed was rolled back by {@code revertCommit}. */
  public record RecordPromotionRolledBack(int number, String revertCommit, String reason) implements PromotionCommand {}
}
