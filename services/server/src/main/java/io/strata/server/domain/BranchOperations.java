package io.strata.server.domain;

import io.strata.events.AppliedCommit;
import io.strata.events.BranchDeleted;
import io.strata.events.CommitCreated;
import io.strata.events.MergeAborted;
import io.strata.events.MergeConflictsResolved;
import io.strata.events.MergeStarted;
import io.strata.events.RebaseAborted;
import io.strata.events.RebaseFinished;
import io.strata.events.RebaseStarted;
import io.strata.events.RebaseStepSkipped;
import io.strata.events.RepositoryDeleted;
import io.strata.events.StashApplied;
import io.strata.events.StashCreated;
import io.strata.events.StashDropped;
import io.strata.events.StrataEvent;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What branches have under way, per branch: the merge in progress, the rebase in progress and the stashes. A
 * branch's go with the branch. Part of {@link RepositoryState}, which answers for them.
 */
final class BranchOperations {
  private final Map<String, RepositoryState.Merge> merges = new HashMap<>();
  /** Per branch the rebase in progress. */
  private final Map<String, RepositoryState.Rebase> rebases = new HashMap<>();
  /** Per branch its stashes, the newest first. */
  private final Map<String, List<StashCreated>> stashes = new HashMap<>();

  /** A copy that later evolutions of this one leave alone. */
  BranchOperations copy() {
    BranchOperations c = new BranchOperations();
    c.merges.putAll(merges);
    c.rebases.putAll(rebases);
    stashes.forEach((branch, list) -> c.stashes.put(branch, new ArrayList<>(list)));
    return c;
  }

  /** Folds one event in: the operations that begin, step and end, the stashes made and dropped, the branches gone. */
  void evolve(StrataEvent event) {
    if (event instanceof RepositoryDeleted) {
      merges.clear();
      rebases.clear();
      stashes.clear();
    } else if (event instanceof CommitCreated e) {
      if (e.branch() != null && e.concludesOperation()) {
        merges.remove(e.branch());
      }
      if (e.branch() != null && e.applied() != null && AppliedCommit.REBASE.equals(e.applied().operation())) {
        rebases.computeIfPresent(e.branch(), (b, r) -> new RepositoryState.Rebase(r.started(), r.done() + 1));
      }
    } else if (event instanceof BranchDeleted e) {
      merges.remove(e.name());
      stashes.remove(e.name());
      rebases.remove(e.name());
    } else if (event instanceof RebaseStarted e) {
      rebases.put(e.branch(), new RepositoryState.Rebase(e, 0));
    } else if (event instanceof RebaseStepSkipped e) {
      rebases.computeIfPresent(e.branch(), (b, r) -> new RepositoryState.Rebase(r.started(), r.done() + 1));
    } else if (event instanceof RebaseFinished e) {
      rebases.remove(e.branch());
    } else if (event instanceof RebaseAborted e) {
      rebases.remove(e.branch());
    } else if (event instanceof StashCreated e) {
      stashes.computeIfAbsent(e.branch(), b -> new ArrayList<>()).add(0, e);
    } else if (event instanceof StashApplied e && e.popped()) {
      dropStash(e.branch(), e.id());
    } else if (event instanceof StashDropped e) {
      dropStash(e.branch(), e.id());
    } else if (event instanceof MergeStarted e) {
      merges.put(e.branch(), new RepositoryState.Merge(e, e.conflicts()));
    } else if (event instanceof MergeConflictsResolved e) {
      RepositoryState.Merge m = merges.get(e.branch());
      if (m != null) {
        merges.put(e.branch(), new RepositoryState.Merge(m.started(), e.remaining()));
      }
    } else if (event instanceof MergeAborted e) {
      merges.remove(e.branch());
    }
  }

  private void dropStash(String branch, String id) {
    List<StashCreated> list = stashes.get(branch);
    if (list != null) {
      list.removeIf(s -> s.id().equals(id));
    }
  }

  /** Restores them from the projections ({@code stashes}: oldest first). */
  void restore(Map<String, RepositoryState.Merge> merges, List<StashCreated> stashes,
      Map<String, RepositoryState.Rebase> rebases) {
    this.merges.putAll(merges);
    this.rebases.putAll(rebases);
    stashes.forEach(s -> this.stashes.computeIfAbsent(s.branch(), b -> new ArrayList<>()).add(0, s));
  }

  RepositoryState.Rebase rebase(String branch) {
    return rebases.get(branch);
  }

  List<StashCreated> stashes(String branch) {
    return stashes.getOrDefault(branch, List.of());
  }

  RepositoryState.Merge merge(String branch) {
    return merges.get(branch);
  }
}
