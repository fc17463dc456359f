package io.strata.events;

/** A promotion request was closed without merging, for {@code reason}. */
public record PromotionRejected(int number, String reason) implements StrataEvent {
  @Override
  public String subject() {
    return "promotions/" + number;
  }
}
