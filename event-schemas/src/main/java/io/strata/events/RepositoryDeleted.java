package io.strata.events;

/** A repository and everything in it was deleted; {@code forced} when it still had history. */
public record RepositoryDeleted(String name, boolean forced) implements StrataEvent {
  @Override
  public String subject() {
    return name;
  }
}
