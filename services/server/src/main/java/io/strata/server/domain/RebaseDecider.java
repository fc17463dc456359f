package io.strata.server.domain;

import static io.strata.server.domain.Guards.requireHead;
import static io.strata.server.domain.Guards.requireNoMerge;
import static io.strata.server.domain.Guards.requireNoRebase;
import static io.strata.server.domain.Guards.requireRebase;

import io.strata.events.BranchHeadMoved;
import io.strata.events.RebaseAborted;
import io.strata.events.RebaseFinished;
import io.strata.events.RebaseStarted;
import io.strata.events.RebaseStepSkipped;
import io.strata.events.StrataEvent;
import io.strata.server.domain.Commands.AbortRebase;
import io.strata.server.domain.Commands.FinishRebase;
import io.strata.server.domain.Commands.RebaseCommand;
import io.strata.server.domain.Commands.SkipRebaseStep;
import io.strata.server.domain.Commands.StartRebase;
import java.util.List;
import java.util.Map;

/**
 * Rebases: started on a branch at the head the command saw, with neither a merge nor a rebase in
 * progress; a step skipped only if it is the next one; finished when none is left, at the head the
 * replay reached; aborted (the branch moved back first when it moved). Pure.
 */
public final class RebaseDecider {
  private RebaseDecider() {}

  public static List<StrataEvent> decide(RepositoryState state, RebaseCommand command) {
    if (command instanceof StartRebase c) {
      requireNoMerge(state, c.branch());
      requireNoRebase(state, c.branch());
      requireHead(state, c.branch(), c.head());
      List<StrataEvent> events = new java.util.ArrayList<>(List.of(new RebaseStarted(c.branch(), c.onto(),
          c.ontoCommit(), c.head(), c.commits(), c.author()),
          new BranchHeadMoved(c.branch(), c.head(), c.ontoCommit(), "rebase", c.contents())));
      // the tables made on a branch that the commit it moves onto has come to the branch with it
      events.addAll(BranchDecider.gained(state, c.branch(), c.commitMade()));
      return events;
    }
    if (command instanceof SkipRebaseStep c) {
      requireNoMerge(state, c.branch());
      RepositoryState.Rebase r = requireRebase(state, c.branch());
      if (!c.commit().equals(r.next())) {
        throw new StrataException(ErrorCode.ConcurrentWrite, "the rebase on '" + c.branch()
            + "' moved on meanwhile; retry", Map.of("branch", c.branch()));
      }
      return List.of(new RebaseStepSkipped(c.branch(), c.commit()));
    }
    if (command instanceof FinishRebase c) {
      RepositoryState.Rebase r = requireRebase(state, c.branch());
      requireNoMerge(state, c.branch());
      if (r.next() != null) {
        throw new StrataException(ErrorCode.ConcurrentWrite, "the rebase on '" + c.branch()
            + "' has commits left to replay", Map.of("branch", c.branch()));
      }
      requireHead(state, c.branch(), c.head());
      return List.of(new RebaseFinished(c.branch(), c.head()));
    }
    // back to the head before the rebase (moved there first when the rebase had moved it)
    AbortRebase c = (AbortRebase) command;
    RepositoryState.Rebase r = requireRebase(state, c.branch());
    requireNoMerge(state, c.branch());
    String current = state.branch(c.branch()).head();
    String original = r.started().head();
    RebaseAborted aborted = new RebaseAborted(c.branch(), original);
    return current.equals(original) ? List.of(aborted)
        : List.of(new BranchHeadMoved(c.branch(), current, original, "reset_hard", c.contents()), aborted);
  }
}
