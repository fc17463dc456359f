package io.strata.events;

/** An immutable name for {@code commit}. */
public record TagCreated(String name, String commit, String message, Author tagger)
    implements StrataEvent {
  @Override
  public String subject() {
    return "tags/" + name;
  }
}
