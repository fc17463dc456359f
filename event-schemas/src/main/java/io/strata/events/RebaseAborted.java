package io.strata.events;

/** The rebase in progress on {@code branch} was abandoned: the branch is back at {@code head}, its head before. */
public record RebaseAborted(String branch, String head) implements StrataEvent {
  @Override
  public String subject() {
    return "branches/" + branch;
  }
}
