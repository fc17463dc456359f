package io.strata.events;

import java.util.List;

/**
 * A rebase of {@code branch} onto another commit began: the branch moved to {@code ontoCommit} (a
 * {@code branch.head_moved} with reason {@code rebase} in the same append), and {@code commits}, its
 * commits since the merge base of the two (first parents, oldest first), are replayed on top of it,
 * each as a commit that names the one it replays ({@code applied} with operation {@code rebase}).
 *
 * @param head the branch's head before the rebase, where an abort puts it back
 */
public record RebaseStarted(String branch, String onto, String ontoCommit, String head, List<String> commits,
    Author author) implements StrataEvent {
  public RebaseStarted {
    commits = List.copyOf(commits);
  }

  @Override
  public String subject() {
    return "branches/" + branch;
  }
}
