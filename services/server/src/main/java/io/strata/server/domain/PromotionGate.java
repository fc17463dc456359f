package io.strata.server.domain;

import io.strata.events.BranchPatterns;
import io.strata.events.AppliedCommit;
import io.strata.events.PromotionGateOverridden;
import io.strata.events.PromotionPolicy;
import io.strata.events.StrataEvent;
import io.strata.server.domain.Commands.Command;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The one gate into protected branches: every command that changes a branch passes here after its decision
 * and before its events are appended. A branch is gated when the repository has a promotion policy, the branch is
 * protected (its flag, or a name matching one of the policy's {@code protected_branches}) and the policy refuses
 * direct changes; a command that would change a gated branch is refused (409 {@code BranchGated}) unless an admin
 * overrode the gate, which is recorded ({@link PromotionGateOverridden}) before the command's events. Pure.
 *
 * <p>{@link #change} names, for every command, the branch it changes, or none ({@link #PASSING}): a new command
 * must be given its answer here (an unknown one throws, and a test walks the sealed hierarchy), so nothing reaches a
 * branch around the gate.
 */
public final class PromotionGate {
  private PromotionGate() {}

  /** What a command changes: {@code branch}, by {@code operation} ({@code commit}, {@code merge}, …). */
  public record Change(String branch, String operation) {}

  /**
   * The events to append for a command decided as {@code decided}: those, or the override's record and those.
   *
   * @param override the reason an admin gave to override the gate (null: none); the caller checked the role
   * @throws StrataException {@code BranchGated} when the command changes a gated branch and nothing overrides it
   */
  public static List<StrataEvent> admit(RepositoryState state, Command command, List<StrataEvent> decided,
      String override) {
    return admit(state, command, decided, override, null);
  }

  /**
   * {@link #admit(RepositoryState, Command, List, String)} for a command of promotion {@code promotion} (null:
   * none), which passes when that promotion is ready to merge into the branch ({@link PromotionDecider#admits}).
   */
  public static List<StrataEvent> admit(RepositoryState state, Command command, List<StrataEvent> decided,
      String override, Integer promotion) {
    if (decided.isEmpty()) {
      return decided; // changes nothing: a dry run, a validation, an up-to-date merge
    }
    if (promotion != null && command instanceof Commands.CreateBranch c
        && c.name().startsWith(PromotionRequests.PREVIEW_PREFIX)
        && !promotion.equals(state.promotions().previewOf(c.name()))) {
      // an evaluation racing the request's merge (or rejection) makes no preview once it closed: none is left behind
      throw new StrataException(ErrorCode.PromotionClosed, "promotion #" + promotion + " is closed: its preview is"
          + " not made again", Map.of("number", promotion));
    }
    Change change = change(state, command);
    boolean creates = command instanceof Commands.CreateBranch; // named above only when it makes a gated branch
    if (change == null || !creates && !gated(state, change.branch(), promotion)
        || promotion != null && PromotionDecider.admits(state, promotion, change.branch())) {
      return decided;
    }
    if (override == null) {
      if (command instanceof Commands.RecordChanges c && c.write()) {
        // a REST write's rows are written before its record: the gate checked it before it wrote them, and the
        // record of what was written then is not refused by a policy set meanwhile
        return decided;
      }
      throw refusal(state, change);
    }
    List<StrataEvent> events = new ArrayList<>(decided.size() + 1);
    events.add(new PromotionGateOverridden(change.branch(), change.operation(), override));
    events.addAll(decided);
    return events;
  }

  /**
   * Refuses ahead of its data work an operation that would change {@code branch} when it is gated and nothing
   * overrides the gate: for operations that change rows or tables before their command is decided (REST row
   * writes, a merge's schema promotion). The command's decision checks again.
   */
  public static void check(RepositoryState state, String branch, String operation, String override,
      Integer promotion) {
    if (override == null && gated(state, branch, promotion)
        && (promotion == null || !PromotionDecider.admits(state, promotion, branch))) {
      throw refusal(state, new Change(branch, operation));
    }
  }

  /** Whether {@code branch} takes changes only through promotions under the repository's policy. */
  public static boolean gated(RepositoryState state, String branch) {
    return gated(state, branch, null);
  }

  /**
   * {@link #gated(RepositoryState, String)} for a command of {@code promotion} (null: none): an open request's
   * preview branch is its own, changed only by its commands, whatever the policy.
   */
  static boolean gated(RepositoryState state, String branch, Integer promotion) {
    Integer preview = state.promotions().previewOf(branch);
    if (preview != null) {
      return !preview.equals(promotion);
    }
    PromotionPolicy policy = state.policy() == null ? null : state.policy().policy();
    if (policy == null || !PromotionPolicies.REFUSE.equals(policy.directChanges())) {
      return false;
    }
    return isProtected(state, policy, branch);
  }

  private static boolean protectedByPolicy(RepositoryState state, String branch) {
    PromotionPolicy policy = state.policy() == null ? null : state.policy().policy();
    return policy != null && policy.protectedBranches().stream().anyMatch(p -> BranchPatterns.matches(p, branch));
  }

  /** Whether {@code branch} is protected: flagged so, or named by one of the policy's patterns. */
  static boolean isProtected(RepositoryState state, PromotionPolicy policy, String branch) {
    RepositoryState.Branch b = state.branch(branch);
    return b != null && b.isProtected()
        || policy.protectedBranches().stream().anyMatch(p -> BranchPatterns.matches(p, branch));
  }

  /** The paths of the policy that lead into {@code branch}. */
  static List<PromotionPolicy.Path> pathsInto(RepositoryState state, String branch) {
    return state.policy().policy().paths().stream().filter(p -> p.target().equals(branch)).toList();
  }

  private static StrataException refusal(RepositoryState state, Change change) {
    List<String> sources = pathsInto(state, change.branch()).stream().map(PromotionPolicy.Path::source).toList();
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("branch", change.branch());
    details.put("operation", change.operation());
    details.put("promotion_sources", sources);
    return new StrataException(ErrorCode.BranchGated, "branch '" + change.branch() + "' is protected by the"
        + " repository's promotion policy: it changes only through promotions"
        + (sources.isEmpty() ? " (no path of the policy leads into it)" : " from " + String.join(", ", sources))
        + "; an admin may override with the Strata-Gate-Override header", details);
  }

  /**
   * The commands that change no branch, or only continue what the gate let start: creating a repository or a
   * branch, tags, storages, recording the DDL applications made to the default branch's table (as it happened),
   * a merge's placing of tables and holds, resolutions, aborts and the steps of rebases in progress, dropping a
   * stash, recovery's records, and the policy itself (an admin's, recorded).
   */
  public static final java.util.Set<Class<? extends Command>> PASSING = java.util.Set.of(
      Commands.CreateRepository.class, Commands.CreateTag.class,
      Commands.DeleteTag.class, Commands.RecordRollback.class, Commands.MergeUpToDate.class,
      Commands.ResolveConflicts.class, Commands.AbortMerge.class, Commands.RecordMergeRollback.class,
      Commands.SkipRebaseStep.class, Commands.FinishRebase.class, Commands.AbortRebase.class,
      Commands.DropStash.class, Commands.SetPromotionPolicy.class, PromotionCommand.class,
      TableCommand.AddStorage.class,
      TableCommand.RemoveStorage.class, TableCommand.RecordSchemaChange.class, TableCommand.RecordSchemaDrift.class,
      TableCommand.PlaceTable.class, TableCommand.HoldOwedUniques.class);

  /** The commands {@link #change} names a changed branch for (some only sometimes: a commit of a merge in progress). */
  public static final java.util.Set<Class<? extends Command>> CHANGING = java.util.Set.of(
      Commands.DeleteRepository.class, Commands.CreateBranch.class, Commands.DeleteBranch.class,
      Commands.SetBranchProtection.class,
      Commands.ResetBranch.class, Commands.CreateCommit.class, Commands.RecordChanges.class,
      Commands.StartMerge.class, Commands.FastForward.class, Commands.StartRebase.class, Commands.CreateStash.class,
      Commands.ApplyStash.class, BranchSchemaCommand.class, TableCommand.DropTable.class,
      TableCommand.LeaveTable.class, TableCommand.TrackTable.class, TableCommand.UntrackTable.class);

  /**
   * The branch {@code command} changes and how, or null when it changes none (or only continues an operation
   * the gate let start: resolutions, the commit of a merge in progress, a rebase's steps).
   */
  public static Change change(RepositoryState state, Command command) {
    if (PASSING.stream().anyMatch(k -> k.isInstance(command))) {
      return null;
    }
    if (command instanceof Commands.CreateBranch c) {
      // a protected branch made outside a promotion would take content no promotion brought: named only then
      PromotionPolicy policy = state.policy() == null ? null : state.policy().policy();
      boolean refuse = policy != null && PromotionPolicies.REFUSE.equals(policy.directChanges());
      return refuse && (c.isProtected() || protectedByPolicy(state, c.name())) ? new Change(c.name(), "create_branch")
          : null;
    }
    if (command instanceof Commands.DeleteRepository) {
      // the whole history goes: a gated branch of it is changed
      return state.branches().keySet().stream().sorted().filter(b -> gated(state, b)).findFirst()
          .map(b -> new Change(b, "delete_repository")).orElse(null);
    }
    if (command instanceof Commands.DeleteBranch c) {
      return new Change(c.name(), "delete_branch");
    }
    if (command instanceof Commands.SetBranchProtection c) {
      return c.isProtected() ? null : new Change(c.name(), "unprotect");
    }
    if (command instanceof Commands.ResetBranch c) {
      return new Change(c.branch(), "reset");
    }
    if (command instanceof Commands.CreateCommit c) {
      // the commit of a merge (or a rebase's step) in progress concludes what the gate let start
      return state.merge(c.branch()) != null ? null : new Change(c.branch(), "commit");
    }
    if (command instanceof Commands.RecordChanges c) {
      String operation = c.write() ? "write" : switch (c.kind()) {
        case STAGED -> "stage";
        case UNSTAGED -> "unstage";
        case DISCARDED -> "discard";
      };
      return new Change(c.branch(), operation);
    }
    if (command instanceof Commands.StartMerge c) {
      if (AppliedCommit.REBASE.equals(c.operation()) && state.rebase(c.branch()) != null) {
        return null; // a step of a rebase in progress
      }
      return new Change(c.branch(), c.operation() == null ? "merge" : c.operation());
    }
    if (command instanceof Commands.FastForward c) {
      return new Change(c.branch(), c.rebase() ? "rebase" : "merge");
    }
    if (command instanceof Commands.StartRebase c) {
      return new Change(c.branch(), "rebase");
    }
    if (command instanceof Commands.CreateStash c) {
      return new Change(c.branch(), "stash");
    }
    if (command instanceof Commands.ApplyStash c) {
      return new Change(c.branch(), "stash_apply");
    }
    if (command instanceof BranchSchemaCommand c) {
      return new Change(c.branch(), "schema_change");
    }
    if (command instanceof TableCommand.DropTable c) {
      return new Change(c.branch(), "drop_table");
    }
    if (command instanceof TableCommand.LeaveTable c) {
      return new Change(c.branch(), "drop_table");
    }
    if (command instanceof TableCommand.TrackTable c) {
      // a table made on a branch is that branch's; a table tracked is recorded by a commit on the default branch
      return c.making() != null ? new Change(c.making().branch(), "create_table")
          : new Change(state.defaultBranch(), "track_table");
    }
    if (command instanceof TableCommand.UntrackTable) {
      return new Change(state.defaultBranch(), "untrack_table");
    }
    throw new IllegalArgumentException("the promotion gate has no answer for " + command.getClass().getSimpleName());
  }
}
