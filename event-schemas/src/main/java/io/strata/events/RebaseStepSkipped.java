package io.strata.events;

/** The rebase in progress on {@code branch} skipped the replay of {@code commit}. */
public record RebaseStepSkipped(String branch, String commit) implements StrataEvent {
  @Override
  public String subject() {
    return "branches/" + branch;
  }
}
