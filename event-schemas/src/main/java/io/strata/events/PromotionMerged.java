package io.strata.events;

/** A promotion request was merged: its target is at {@code commit} (the preview's state), tagged {@code tag} if any. */
public record PromotionMerged(int number, String commit, String tag) implements StrataEvent {
  @Override
  public String subject() {
    return "promotions/" + number;
  }
}
