package io.strata.events;

/**
 * A promotion request was opened: data of {@code source} to go into {@code target} along a path of the repository's
 * policy, previewed on {@code previewBranch} (the target's head with the source merged into it: what would land).
 */
public record PromotionOpened(int number, String source, String target, String previewBranch) implements StrataEvent {
  @Override
  public String subject() {
    return "promotions/" + number;
  }
}
