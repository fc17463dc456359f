package io.strata.events;

/** A storage connection was removed from a repository. */
public record StorageRemoved(String name) implements StrataEvent {
  @Override
  public String subject() {
    return "storage/" + name;
  }
}
