package io.strata.server.domain;

import static io.strata.server.domain.Guards.requireHead;
import static io.strata.server.domain.Guards.requireNoMerge;
import static io.strata.server.domain.Guards.requireNoRebase;
import static io.strata.server.domain.Guards.requireRebase;

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
      requireNoMerge(state, c.started().branch());
      requireNoRebase(state, c.started().branch());
      requireHead(state, c.started().branch(), c.started().head());
      return List.of(c.started(), c.moved());
    }
    if (command instanceof SkipRebaseStep c) {
      requireNoMerge(state, c.skipped().branch());
      RepositoryState.Rebase r = requireRebase(state, c.skipped().branch());
      if (!c.skipped().commit().equals(r.next())) {
        throw new StrataException(ErrorCode.ConcurrentWrite, "the rebase on '" + c.skipped().branch()
            + "' moved on meanwhile; retry", Map.of("branch", c.skipped().branch()));
      }
      return List.of(c.skipped());
    }
    if (command instanceof FinishRebase c) {
      RepositoryState.Rebase r = requireRebase(state, c.finished().branch());
      requireNoMerge(state, c.finished().branch());
      if (r.next() != null) {
        throw new StrataException(ErrorCode.ConcurrentWrite, "the rebase on '" + c.finished().branch()
            + "' has commits left to replay", Map.of("branch", c.finished().branch()));
      }
      requireHead(state, c.finished().branch(), c.finished().head());
      return List.of(c.finished());
    }
    AbortRebase c = (AbortRebase) command;
    requireRebase(state, c.aborted().branch());
    requireNoMerge(state, c.aborted().branch());
    return c.moved() == null ? List.of(c.aborted()) : List.of(c.moved(), c.aborted());
  }
}
