package io.strata.server.domain;

import static io.strata.server.domain.Guards.requireBranch;
import static io.strata.server.domain.Guards.requireHead;
import static io.strata.server.domain.Guards.requireMerge;
import static io.strata.server.domain.Guards.requireNoMerge;
import static io.strata.server.domain.Guards.requireNoRebase;

import io.strata.events.AppliedCommit;
import io.strata.events.MergeStarted;
import io.strata.events.BranchHeadMoved;
import io.strata.events.MergeAborted;
import io.strata.events.MergeConflictsResolved;
import io.strata.events.MergeRolledBack;
import io.strata.events.StrataEvent;
import io.strata.server.domain.Commands.AbortMerge;
import io.strata.server.domain.Commands.FastForward;
import io.strata.server.domain.Commands.MergeCommand;
import io.strata.server.domain.Commands.MergeUpToDate;
import io.strata.server.domain.Commands.RecordMergeRollback;
import io.strata.server.domain.Commands.ResolveConflicts;
import io.strata.server.domain.Commands.StartMerge;
import java.util.List;

/**
 * Merges (reverts and cherry-picks too): one starts on a branch at the head the command saw, with no
 * merge in progress and, unless it is a rebase's step, no rebase; a fast-forward likewise; resolutions
 * and aborts need the merge in progress; up to date changes nothing but needs the branch. Pure.
 */
public final class MergeDecider {
  private MergeDecider() {}

  public static List<StrataEvent> decide(RepositoryState state, MergeCommand command) {
    if (command instanceof StartMerge c) {
      if (!AppliedCommit.REBASE.equals(c.operation())) {
        requireNoRebase(state, c.branch());
      }
      requireNoMerge(state, c.branch());
      requireHead(state, c.branch(), c.head());
      long conflicts = c.tables().stream().mapToLong(MergeStarted.TableConflicts::conflicts).sum();
      return List.of(new MergeStarted(c.branch(), c.source(), c.sourceCommit(), c.base(), c.head(), c.strategy(),
          c.message(), c.author(), conflicts, c.tables(), c.operation(), c.mainline(), c.schemaTables()));
    }
    if (command instanceof FastForward c) {
      requireNoRebase(state, c.branch());
      requireNoMerge(state, c.branch());
      requireHead(state, c.branch(), c.from());
      List<StrataEvent> events = new java.util.ArrayList<>();
      events.add(new BranchHeadMoved(c.branch(), c.from(), c.to(), c.rebase() ? "rebase" : "fast_forward",
          c.contents()));
      // the tables made on a branch that the commit it moves to has, and those whose rows came with it
      events.addAll(BranchDecider.gained(state, c.branch(), c.gained()));
      return events;
    }
    if (command instanceof MergeUpToDate c) {
      requireBranch(state, c.branch());
      requireNoMerge(state, c.branch());
      return List.of();
    }
    if (command instanceof ResolveConflicts c) {
      requireMerge(state, c.branch());
      return c.resolved() == 0 ? List.of() : List.of(new MergeConflictsResolved(c.branch(), c.table(), c.key(),
          c.field(), c.take(), c.resolved(), c.remaining()));
    }
    if (command instanceof AbortMerge c) {
      RepositoryState.Merge merge = requireMerge(state, c.branch());
      return List.of(new MergeAborted(c.branch(), merge.started().sourceCommit(), c.tables()));
    }
    // recovery undid a merge never appended: a fact about the tables, recorded even if the branch is gone
    RecordMergeRollback c = (RecordMergeRollback) command;
    return List.of(new MergeRolledBack(c.branch(), c.attempt(), c.storages(), c.tables(), c.rows()));
  }
}
