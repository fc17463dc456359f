package io.strata.events;

import java.util.List;

/**
 * A merged promotion was verified on its target at {@code commit} (the promotion's merge commit): each of the path's
 * verification checks with its result; {@code status} is {@code passed} when every one passed, else {@code failed}.
 */
public record PromotionVerified(int number, String commit, String status, List<Result> results) implements StrataEvent {
  public PromotionVerified {
    results = List.copyOf(results);
  }

  /** One verification check: {@code passed}, {@code failed} or {@code error}, and why. */
  public record Result(String name, String status, String summary) {}

  @Override
  public String subject() {
    return "promotions/" + number;
  }
}
