package io.strata.events;

/** The repository stopped versioning a table; the table and its data stay where they are. */
public record TableUntracked(String name) implements StrataEvent {
  @Override
  public String subject() {
    return "tables/" + name;
  }
}
