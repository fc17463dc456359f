package io.strata.events;

/**
 * An admin sent a change to a branch the promotion policy gates, overriding the gate with {@code reason}:
 * appended with the change's own events, in the same append, before them.
 *
 * @param operation what the change was ({@code commit}, {@code merge}, {@code reset}, …)
 */
public record PromotionGateOverridden(String branch, String operation, String reason) implements StrataEvent {
  @Override
  public String subject() {
    return "branches/" + branch;
  }
}
