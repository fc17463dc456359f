package io.strata.events;

/** A repository came into being. Followed in the same append by its initial commit and default branch. */
public record RepositoryCreated(String name, String description, String defaultBranch)
    implements StrataEvent {
  @Override
  public String subject() {
    return name;
  }
}
