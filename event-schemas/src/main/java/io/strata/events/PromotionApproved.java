package io.strata.events;

/**
 * A promotion request was approved for a pair of commits by {@code approver} (an actor id), whose token had
 * {@code role} then (null without tokens); a new evaluation makes the approval stale, as a review.
 */
public record PromotionApproved(int number, String sourceCommit, String targetHead, String approver, String role,
    String comment) implements StrataEvent {
  @Override
  public String subject() {
    return "promotions/" + number;
  }
}
