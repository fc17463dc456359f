package io.strata.server.domain;

import static io.strata.server.domain.Guards.requireBranch;
import static io.strata.server.domain.Guards.requireHead;
import static io.strata.server.domain.Guards.requireNoMerge;
import static io.strata.server.domain.Guards.requireNoRebase;

import io.strata.events.StashApplied;
import io.strata.events.StashCreated;
import io.strata.events.StashDropped;
import io.strata.events.StrataEvent;
import io.strata.server.domain.Commands.ApplyStash;
import io.strata.server.domain.Commands.CreateStash;
import io.strata.server.domain.Commands.DropStash;
import io.strata.server.domain.Commands.StashCommand;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Stashes: saved from a branch at its head (no merge or rebase in progress), applied while the branch has
 * none either, dropped while it still exists. Pure.
 */
public final class StashDecider {
  private StashDecider() {}

  public static List<StrataEvent> decide(RepositoryState state, StashCommand command) {
    if (command instanceof CreateStash c) {
      requireNoRebase(state, c.branch());
      requireNoMerge(state, c.branch());
      requireHead(state, c.branch(), c.head());
      // the stash first: what it holds of the branch's shapes is recorded before they go back to the head's
      List<StrataEvent> events = new ArrayList<>();
      events.add(new StashCreated(c.branch(), c.id(), c.message(), c.head(), c.author(), c.tables(),
          c.schemaTables()));
      events.addAll(c.schema());
      return events;
    }
    if (command instanceof ApplyStash c) {
      requireNoRebase(state, c.branch());
      requireNoMerge(state, c.branch());
      requireStash(state, c.branch(), c.id());
      List<StrataEvent> events = new ArrayList<>(c.schema());
      events.add(new StashApplied(c.branch(), c.id(), c.popped(), c.tables()));
      return events;
    }
    DropStash c = (DropStash) command;
    return List.of(new StashDropped(c.branch(), stash(state, c.branch(), c.stash()).id()));
  }

  private static void requireStash(RepositoryState state, String branch, String id) {
    requireBranch(state, branch);
    if (state.stashes(branch).stream().noneMatch(s -> s.id().equals(id))) {
      throw new StrataException(ErrorCode.StashNotFound, "branch '" + branch + "' has no such stash (applied or"
          + " dropped meanwhile?)", Map.of("branch", branch));
    }
  }

  /**
   * The stash {@code ref} names on {@code branch}: an index (0: the newest), or a stash's id (which
   * stays the same while others are pushed or dropped); the 404 of none.
   */
  public static StashCreated stash(RepositoryState state, String branch, String ref) {
    requireBranch(state, branch);
    List<StashCreated> stashes = state.stashes(branch);
    if (ref.chars().allMatch(Character::isDigit) && ref.length() <= 9) {
      int n = Integer.parseInt(ref);
      if (n < stashes.size()) {
        return stashes.get(n);
      }
    } else {
      for (StashCreated s : stashes) {
        if (s.id().equals(ref)) {
          return s;
        }
      }
    }
    throw new StrataException(ErrorCode.StashNotFound, "branch '" + branch + "' has " + stashes.size()
        + " stash(es): no stash " + ref, Map.of("branch", branch, "stash", ref, "stashes", stashes.size()));
  }
}
