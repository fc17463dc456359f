package io.strata.events;

/** The rebase in progress on {@code branch} replayed (or skipped) every commit: the branch is at {@code head}. */
public record RebaseFinished(String branch, String head) implements StrataEvent {
  @Override
  public String subject() {
    return "branches/" + branch;
  }
}
