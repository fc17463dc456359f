package io.strata.events;

/** A tag that pointed at {@code commit} was deleted. */
public record TagDeleted(String name, String commit) implements StrataEvent {
  @Override
  public String subject() {
    return "tags/" + name;
  }
}
