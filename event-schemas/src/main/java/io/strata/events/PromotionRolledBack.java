package io.strata.events;

/**
 * A merged promotion was rolled back: its merge commit reverted on the target by {@code revertCommit}, because
 * {@code reason} (its verification failed).
 */
public record PromotionRolledBack(int number, String revertCommit, String reason) implements StrataEvent {
  @Override
  public String subject() {
    return "promotions/" + number;
  }
}
