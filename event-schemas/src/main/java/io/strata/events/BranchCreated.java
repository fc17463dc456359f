package io.strata.events;

import com.fasterxml.jackson.annotation.JsonProperty;

/** A branch now points at {@code head}; {@code from} is the ref the client named (null for the default branch). */
public record BranchCreated(String name, String head, String from, @JsonProperty("protected") boolean isProtected)
    implements StrataEvent {
  @Override
  public String subject() {
    return "branches/" + name;
  }
}
