package io.strata.events;

/** A branch was deleted while pointing at {@code head}; {@code forced} when its commits were unmerged. */
public record BranchDeleted(String name, String head, boolean forced) implements StrataEvent {
  @Override
  public String subject() {
    return "branches/" + name;
  }
}
