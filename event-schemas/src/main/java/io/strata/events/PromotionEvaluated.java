package io.strata.events;

/**
 * A promotion request was evaluated at a pair of commits: the source's {@code sourceCommit} merged into the target's
 * head {@code targetHead} gives {@code previewCommit} (null when the merge stopped at {@code conflicts} conflicts).
 * Check runs and approvals count for the pair they were made at: a new evaluation makes the others stale.
 */
public record PromotionEvaluated(int number, String sourceCommit, String targetHead, String previewCommit,
    long conflicts) implements StrataEvent {
  @Override
  public String subject() {
    return "promotions/" + number;
  }
}
