package io.strata.server.domain;

import io.strata.events.BranchCreated;
import io.strata.events.BranchDeleted;
import io.strata.events.BranchHeadMoved;
import io.strata.events.BranchProtectionChanged;
import io.strata.events.CommitCreated;
import io.strata.events.RepositoryDeleted;
import io.strata.events.StrataEvent;
import io.strata.events.TagCreated;
import io.strata.events.TagDeleted;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

/**
 * A repository's refs: its branches, each with its head, and its tags; and the most recent commit, whose time a
 * branch created on it takes. Part of {@link RepositoryState}, which answers for them.
 */
final class RepositoryRefs {
  private final Map<String, RepositoryState.Branch> branches = new HashMap<>();
  private final Map<String, String> tags = new HashMap<>();
  // The most recent commit, so that a branch created on it (the initial commit) knows its head's time.
  private Instant lastCommitTime;
  private String lastCommitId;

  /** A copy that later evolutions of this one leave alone. */
  RepositoryRefs copy() {
    RepositoryRefs c = new RepositoryRefs();
    c.branches.putAll(branches);
    c.tags.putAll(tags);
    c.lastCommitTime = lastCommitTime;
    c.lastCommitId = lastCommitId;
    return c;
  }

  /** Folds one event, recorded at {@code time} (null: unknown), in: the branches and tags made, moved and deleted. */
  void evolve(StrataEvent event, Instant time) {
    if (event instanceof RepositoryDeleted) {
      branches.clear();
      tags.clear();
    } else if (event instanceof CommitCreated e) {
      if (e.branch() != null) {
        RepositoryState.Branch b = branches.get(e.branch());
        branches.put(e.branch(), b != null ? b.moved(e.id(), e.createdAt())
            : new RepositoryState.Branch(e.id(), e.createdAt(), false, null, null));
      }
      lastCommitTime = e.createdAt();
      lastCommitId = e.id();
    } else if (event instanceof BranchCreated e) {
      Instant headTime = e.head().equals(lastCommitId) ? lastCommitTime : null;
      branches.put(e.name(), new RepositoryState.Branch(e.head(), headTime, e.isProtected(), e.from(), time));
    } else if (event instanceof BranchDeleted e) {
      branches.remove(e.name());
    } else if (event instanceof BranchHeadMoved e) {
      RepositoryState.Branch b = branches.get(e.branch());
      branches.put(e.branch(), b != null ? b.moved(e.to(), null)
          : new RepositoryState.Branch(e.to(), null, false, null, null));
    } else if (event instanceof BranchProtectionChanged e) {
      RepositoryState.Branch b = branches.get(e.name());
      branches.put(e.name(),
          new RepositoryState.Branch(b.head(), b.headTime(), e.isProtected(), b.from(), b.createdAt()));
    } else if (event instanceof TagCreated e) {
      tags.put(e.name(), e.commit());
    } else if (event instanceof TagDeleted e) {
      tags.remove(e.name());
    }
  }

  /** Restores them from the projections. */
  void restore(Map<String, RepositoryState.Branch> branches, Map<String, String> tags) {
    this.branches.putAll(branches);
    this.tags.putAll(tags);
  }

  /** The branches by name (the map itself: the state's answer). */
  Map<String, RepositoryState.Branch> branches() {
    return branches;
  }

  /** The tags by name, each to its commit (the map itself: the state's answer). */
  Map<String, String> tags() {
    return tags;
  }
}
