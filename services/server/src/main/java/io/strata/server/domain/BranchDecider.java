package io.strata.server.domain;

import static io.strata.server.domain.Guards.rebaseInProgress;
import static io.strata.server.domain.Guards.requireBranch;
import static io.strata.server.domain.Guards.requireHead;
import static io.strata.server.domain.Guards.requireNoMerge;
import static io.strata.server.domain.Guards.requireNoRebase;

import io.strata.events.BranchCreated;
import io.strata.events.BranchDeleted;
import io.strata.events.BranchHeadMoved;
import io.strata.events.BranchProtectionChanged;
import io.strata.events.StrataEvent;
import io.strata.server.domain.Commands.BranchCommand;
import io.strata.server.domain.Commands.CreateBranch;
import io.strata.server.domain.Commands.DeleteBranch;
import io.strata.server.domain.Commands.ResetBranch;
import io.strata.server.domain.Commands.SetBranchProtection;
import io.strata.server.domain.RepositoryState.Branch;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * Branches: created once, from a branch's head or a commit; deleted unless default, protected, with a
 * merge or (without force) a rebase or stashes in progress, moved meanwhile or (without force) not merged (the
 * tables made on a branch that it alone has going with it, untracked);
 * protection set; reset (a protected one only with force, from a caller allowed to administer it). Pure.
 */
public final class BranchDecider {
  private BranchDecider() {}

  public static List<StrataEvent> decide(RepositoryState state, BranchCommand command) {
    if (command instanceof CreateBranch c) {
      return create(state, c);
    }
    if (command instanceof DeleteBranch c) {
      return delete(state, c);
    }
    if (command instanceof SetBranchProtection c) {
      Branch b = requireBranch(state, c.name());
      return b.isProtected() == c.isProtected()
          ? List.of()
          : List.of(new BranchProtectionChanged(c.name(), c.isProtected()));
    }
    return reset(state, (ResetBranch) command);
  }

  private static List<StrataEvent> create(RepositoryState state, CreateBranch c) {
    if (state.branch(c.name()) != null) {
      throw new StrataException(ErrorCode.BranchAlreadyExists, "branch '" + c.name() + "' already exists",
          Map.of("branch", c.name()));
    }
    String start = c.start();
    String from = c.from();
    if (start == null) {
      String fromBranch = c.fromBranch() != null ? c.fromBranch() : state.defaultBranch();
      start = requireBranch(state, fromBranch).head();
      from = from != null ? from : fromBranch;
    }
    List<StrataEvent> events = new java.util.ArrayList<>();
    events.add(new BranchCreated(c.name(), start, from, c.isProtected()));
    // the columns its source added through Strata come with it, as they would to a branch merging it
    events.addAll(BranchShapeInheritance.inheritedBy(state, c));
    // so do the tables made on a branch that its start commit has (from a branch: the branches that have them do)
    events.addAll(gained(state, c.name(), c.commitMade()));
    return events;
  }

  /**
   * {@code branch} (not the default one) gains the tables among {@code tables} that were made on a branch, are not yet
   * in the default branch, and it does not have: one {@code table.branches_changed} each. A branch gets such a table
   * with a commit that has it (created from it, reset, rebased or fast-forwarded to it) and with rows of it that a
   * commit of its own holds (a merge, revert or cherry-pick brought them, or SQL wrote them through its view).
   */
  static List<StrataEvent> gained(RepositoryState state, String branch, Collection<String> tables) {
    List<StrataEvent> events = new java.util.ArrayList<>();
    if (branch.equals(state.defaultBranch())) {
      return events;
    }
    for (String table : new java.util.TreeSet<>(tables)) {
      if (state.madeTables().of(table).isPresent() && state.tables().containsKey(table)
          && !state.hasTable(table, branch)) {
        events.add(new io.strata.events.TableBranchesChanged(table, state.madeTables().gaining(table, branch)));
      }
    }
    return events;
  }

  private static List<StrataEvent> delete(RepositoryState state, DeleteBranch c) {
    Branch branch = requireBranch(state, c.name());
    requireNoMerge(state, c.name());
    if (c.name().equals(state.defaultBranch())) {
      throw new StrataException(ErrorCode.BranchProtected,
          "'" + c.name() + "' is the default branch of the repository and cannot be deleted",
          Map.of("branch", c.name(), "reason", "default_branch"));
    }
    if (branch.isProtected()) {
      throw new StrataException(ErrorCode.BranchProtected,
          "branch '" + c.name() + "' is protected; unprotect it first (PATCH protected=false)",
          Map.of("branch", c.name(), "reason", "protected"));
    }
    if (state.rebase(c.name()) != null && !c.force()) {
      throw rebaseInProgress(c.name(), state.rebase(c.name()));
    }
    if (!state.stashes(c.name()).isEmpty() && !c.force()) {
      throw new StrataException(ErrorCode.BranchHasStashes, "branch '" + c.name() + "' has "
          + state.stashes(c.name()).size() + " stash(es), which go with it: drop or apply them, or delete with"
          + " force=true", Map.of("branch", c.name(), "stashes", state.stashes(c.name()).size()));
    }
    boolean merged = c.merged() && c.checkedHead().equals(branch.head());
    if (!c.checkedHead().equals(branch.head())) {
      throw new StrataException(ErrorCode.HeadMoved,
          "branch '" + c.name() + "' moved while it was being deleted; retry",
          Map.of("branch", c.name(), "actual_head", branch.head()));
    }
    if (!merged && !c.force()) {
      throw new StrataException(ErrorCode.BranchNotMerged,
          "Cannot delete branch '" + c.name() + "': not fully merged (its commits are reachable from no other"
              + " branch); delete with force=true",
          Map.of("branch", c.name(), "head", branch.head()));
    }
    // a table made on a branch that this one alone has goes with it, out of the repository: as a drop of it, not
    // while a merge is in progress anywhere (it may hold its rows)
    List<String> orphaned = state.madeTables().onlyOn(c.name());
    if (!orphaned.isEmpty()) {
      state.branches().keySet().forEach(b -> requireNoMerge(state, b));
    }
    List<StrataEvent> events = new java.util.ArrayList<>();
    orphaned.forEach(t -> events.add(new io.strata.events.TableUntracked(t)));
    events.add(new BranchDeleted(c.name(), branch.head(), !merged));
    return events;
  }

  private static List<StrataEvent> reset(RepositoryState state, ResetBranch c) {
    Branch b = requireBranch(state, c.branch());
    if (b.isProtected() && !c.force()) {
      throw new StrataException(ErrorCode.BranchProtected, "branch '" + c.branch() + "' is protected:"
          + " resetting it rewrites its history; pass force: true to reset it anyway",
          Map.of("branch", c.branch(), "reason", "protected"));
    }
    if (b.isProtected() && !c.mayForce()) {
      throw new StrataException(ErrorCode.Forbidden, "forcing a reset of protected branch '" + c.branch()
          + "' takes a token that administers the repository", Map.of("branch", c.branch()));
    }
    requireNoMerge(state, c.branch());
    requireNoRebase(state, c.branch());
    requireHead(state, c.branch(), c.from());
    List<StrataEvent> events = new java.util.ArrayList<>(c.schema());
    events.add(new BranchHeadMoved(c.branch(), c.from(), c.to(), c.hard() ? "reset_hard" : "reset_soft",
        c.contents()));
    // the tables made on a branch that the commit it moves to has: the branch has them from now on
    events.addAll(gained(state, c.branch(), c.commitMade()));
    return events;
  }
}
