package io.strata.events;

import com.fasterxml.jackson.annotation.JsonProperty;

/** A branch's protection flag changed. */
public record BranchProtectionChanged(String name, @JsonProperty("protected") boolean isProtected) implements StrataEvent {
  @Override
  public String subject() {
    return "branches/" + name;
  }
}
