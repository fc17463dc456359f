package io.strata.events;

/** A stash was dropped without being applied. */
public record StashDropped(String branch, String id) implements StrataEvent {
  @Override
  public String subject() {
    return "branches/" + branch;
  }
}
