package io.strata.server.domain;

import io.strata.events.Author;
import io.strata.events.BranchCreated;
import io.strata.events.BranchDeleted;
import io.strata.events.BranchProtectionChanged;
import io.strata.events.ChangesDiscarded;
import io.strata.events.ChangesStaged;
import io.strata.events.ChangesUnstaged;
import io.strata.events.CommitCreated;
import io.strata.events.CommitIds;
import io.strata.events.CommitStats;
import io.strata.events.AppliedCommit;
import io.strata.events.MergeInfo;
import io.strata.events.MergeStarted;
import io.strata.events.RepositoryCreated;
import io.strata.events.RepositoryDeleted;
import io.strata.events.StorageRemoved;
import io.strata.events.StrataEvent;
import io.strata.events.TableChange;
import io.strata.events.TableTracked;
import io.strata.events.TableUntracked;
import io.strata.events.TagCreated;
import io.strata.events.TagDeleted;
import io.strata.projections.rowdata.ChangeSets.Captured;
import io.strata.server.domain.Commands.Command;
import io.strata.server.domain.Commands.CreateBranch;
import io.strata.server.domain.Commands.CreateCommit;
import io.strata.server.domain.Commands.CreateRepository;
import io.strata.server.domain.Commands.CreateTag;
import io.strata.server.domain.Commands.DeleteBranch;
import io.strata.server.domain.Commands.DeleteRepository;
import io.strata.server.domain.Commands.DeleteTag;
import io.strata.server.domain.Commands.SetBranchProtection;
import io.strata.server.domain.RepositoryState.Branch;
import java.math.BigInteger;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Decides which events a command produces against the authoritative state, or refuses it. Pure and
 * synchronous: no I/O, so the command processor can decide a whole batch in one go.
 */
public final class RepositoryDecider {
  private RepositoryDecider() {}

  public static List<StrataEvent> decide(RepositoryState state, Command command, Instant now) {
    if (command instanceof CreateRepository c) {
      return createRepository(state, c, now);
    }
    if (!state.exists()) {
      throw StrataException.repositoryNotFound(state.name());
    }
    if (command instanceof DeleteRepository c) {
      return deleteRepository(state, c);
    }
    if (command instanceof CreateBranch c) {
      return createBranch(state, c);
    }
    if (command instanceof DeleteBranch c) {
      return deleteBranch(state, c);
    }
    if (command instanceof SetBranchProtection c) {
      Branch b = requireBranch(state, c.name());
      return b.isProtected() == c.isProtected()
          ? List.of()
          : List.of(new BranchProtectionChanged(c.name(), c.isProtected()));
    }
    if (command instanceof CreateCommit c) {
      return createCommit(state, c, now);
    }
    if (command instanceof CreateTag c) {
      return createTag(state, c);
    }
    if (command instanceof DeleteTag c) {
      String commit = state.tags().get(c.name());
      if (commit == null) {
        throw new StrataException(ErrorCode.TagNotFound, "tag '" + c.name() + "' does not exist", Map.of("tag", c.name()));
      }
      return List.of(new TagDeleted(c.name(), commit));
    }
    if (command instanceof Commands.AddStorage c) {
      String name = c.storage().name();
      if (state.storages().containsKey(name) || name.equals(Storages.LOCAL)) {
        throw new StrataException(ErrorCode.StorageAlreadyExists, "storage '" + name + "' already exists",
            Map.of("storage", name));
      }
      return List.of(c.storage());
    }
    if (command instanceof Commands.RecordChanges c) {
      requireBranch(state, c.branch());
      if (c.kind() == Commands.ChangeKind.DISCARDED) {
        requireNoMerge(state, c.branch()); // its rows are working changes: abort puts them back
      }
      if (c.tables().isEmpty()) {
        return List.of();
      }
      return List.of(switch (c.kind()) {
        case STAGED -> new ChangesStaged(c.branch(), c.tables(), c.write());
        case UNSTAGED -> new ChangesUnstaged(c.branch(), c.tables());
        case DISCARDED -> new ChangesDiscarded(c.branch(), c.tables());
      });
    }
    if (command instanceof Commands.StartMerge c) {
      if (!AppliedCommit.REBASE.equals(c.started().operation())) {
        requireNoRebase(state, c.started().branch());
      }
      requireNoMerge(state, c.started().branch());
      requireHead(state, c.started().branch(), c.started().head());
      return List.of(c.started());
    }
    if (command instanceof Commands.FastForward c) {
      requireNoRebase(state, c.moved().branch());
      requireNoMerge(state, c.moved().branch());
      requireHead(state, c.moved().branch(), c.moved().from());
      return List.of(c.moved());
    }
    if (command instanceof Commands.StartRebase c) {
      requireNoMerge(state, c.started().branch());
      requireNoRebase(state, c.started().branch());
      requireHead(state, c.started().branch(), c.started().head());
      return List.of(c.started(), c.moved());
    }
    if (command instanceof Commands.SkipRebaseStep c) {
      requireNoMerge(state, c.skipped().branch());
      RepositoryState.Rebase r = requireRebase(state, c.skipped().branch());
      if (!c.skipped().commit().equals(r.next())) {
        throw new StrataException(ErrorCode.ConcurrentWrite, "the rebase on '" + c.skipped().branch()
            + "' moved on meanwhile; retry", Map.of("branch", c.skipped().branch()));
      }
      return List.of(c.skipped());
    }
    if (command instanceof Commands.FinishRebase c) {
      RepositoryState.Rebase r = requireRebase(state, c.finished().branch());
      requireNoMerge(state, c.finished().branch());
      if (r.next() != null) {
        throw new StrataException(ErrorCode.ConcurrentWrite, "the rebase on '" + c.finished().branch()
            + "' has commits left to replay", Map.of("branch", c.finished().branch()));
      }
      requireHead(state, c.finished().branch(), c.finished().head());
      return List.of(c.finished());
    }
    if (command instanceof Commands.AbortRebase c) {
      requireRebase(state, c.aborted().branch());
      requireNoMerge(state, c.aborted().branch());
      return c.moved() == null ? List.of(c.aborted()) : List.of(c.moved(), c.aborted());
    }
    if (command instanceof Commands.CreateStash c) {
      requireNoRebase(state, c.created().branch());
      requireNoMerge(state, c.created().branch());
      requireHead(state, c.created().branch(), c.created().head());
      return List.of(c.created());
    }
    if (command instanceof Commands.ApplyStash c) {
      requireNoRebase(state, c.applied().branch());
      requireNoMerge(state, c.applied().branch());
      requireStash(state, c.applied().branch(), c.applied().id());
      return List.of(c.applied());
    }
    if (command instanceof Commands.DropStash c) {
      requireStash(state, c.dropped().branch(), c.dropped().id());
      return List.of(c.dropped());
    }
    if (command instanceof Commands.ResetBranch c) {
      Branch b = requireBranch(state, c.moved().branch());
      if (b.isProtected() && !c.force()) {
        throw new StrataException(ErrorCode.BranchProtected, "branch '" + c.moved().branch() + "' is protected:"
            + " resetting it rewrites its history; pass force: true to reset it anyway",
            Map.of("branch", c.moved().branch(), "reason", "protected"));
      }
      if (b.isProtected() && !c.mayForce()) {
        throw new StrataException(ErrorCode.Forbidden, "forcing a reset of protected branch '" + c.moved().branch()
            + "' takes a token that administers the repository", Map.of("branch", c.moved().branch()));
      }
      requireNoMerge(state, c.moved().branch());
      requireNoRebase(state, c.moved().branch());
      requireHead(state, c.moved().branch(), c.moved().from());
      return List.of(c.moved());
    }
    if (command instanceof Commands.MergeUpToDate c) {
      requireBranch(state, c.branch());
      requireNoMerge(state, c.branch());
      return List.of();
    }
    if (command instanceof Commands.ResolveConflicts c) {
      requireMerge(state, c.resolved().branch());
      return c.resolved().resolved() == 0 ? List.of() : List.of(c.resolved());
    }
    if (command instanceof Commands.AbortMerge c) {
      requireMerge(state, c.aborted().branch());
      return List.of(c.aborted());
    }
    if (command instanceof Commands.RecordRollback c) {
      return List.of(c.rollback()); // a fact about the working tree: recorded even if the branch is gone since
    }
    if (command instanceof Commands.RecordMergeRollback c) {
      return List.of(c.rollback()); // likewise
    }
    if (command instanceof Commands.TrackTable c) {
      return trackTable(state, c, now);
    }
    if (command instanceof Commands.UntrackTable c) {
      return untrackTable(state, c, now);
    }
    if (command instanceof Commands.RemoveStorage c) {
      if (!state.storages().containsKey(c.name())) {
        throw new StrataException(ErrorCode.StorageNotFound, "storage '" + c.name() + "' does not exist",
            Map.of("storage", c.name()));
      }
      state.tables().values().stream().filter(t -> t.storage().equals(c.name())).findFirst().ifPresent(t -> {
        throw new StrataException(ErrorCode.StorageInUse,
            "storage '" + c.name() + "' holds tracked table '" + t.name() + "'; untrack it first",
            Map.of("storage", c.name(), "table", t.name()));
      });
      return List.of(new StorageRemoved(c.name()));
    }
    throw new IllegalArgumentException("unknown command " + command);
  }

  private static List<StrataEvent> createRepository(RepositoryState state, CreateRepository c, Instant now) {
    if (state.exists()) {
      throw new StrataException(ErrorCode.RepositoryAlreadyExists,
          "repository '" + c.name() + "' already exists", Map.of("repository", c.name()));
    }
    Instant time = now.truncatedTo(ChronoUnit.MICROS);
    String message = "Initial commit";
    String root = CommitIds.of(List.of(), CommitIds.EMPTY_TREE, c.author(), time, message);
    return List.of(
        new RepositoryCreated(c.name(), c.description(), c.defaultBranch()),
        new CommitCreated(root, null, List.of(), CommitIds.EMPTY_TREE, message, c.author(), time,
            CommitStats.EMPTY, List.of()),
        new BranchCreated(c.defaultBranch(), root, null, false));
  }

  private static List<StrataEvent> deleteRepository(RepositoryState state, DeleteRepository c) {
    boolean pristine = state.commitCount() <= 1 && state.branches().size() <= 1;
    if (!pristine && !c.force()) {
      throw new StrataException(ErrorCode.RepositoryNotEmpty,
          "repository '" + state.name() + "' has history (" + state.commitCount() + " commits, "
              + state.branches().size() + " branches); delete with force=true",
          Map.of("commits", state.commitCount(), "branches", state.branches().size()));
    }
    return List.of(new RepositoryDeleted(state.name(), !pristine));
  }

  private static List<StrataEvent> createBranch(RepositoryState state, CreateBranch c) {
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
    return List.of(new BranchCreated(c.name(), start, from, c.isProtected()));
  }

  private static List<StrataEvent> deleteBranch(RepositoryState state, DeleteBranch c) {
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
    return List.of(new BranchDeleted(c.name(), branch.head(), !merged));
  }

  private static List<StrataEvent> createCommit(RepositoryState state, CreateCommit c, Instant now) {
    Branch branch = requireBranch(state, c.branch());
    RepositoryState.Merge merge = state.merge(c.branch());
    MergeInfo mergeInfo = c.merge();
    AppliedCommit applied = c.applied();
    if (merge != null) {
      if (merge.remaining() > 0) {
        throw mergeInProgress(c.branch(), merge);
      }
      MergeStarted m = merge.started();
      if (!m.mergesSource()) { // a revert or cherry-pick in progress: one parent, naming the commit it applies
        applied = new AppliedCommit(m.operation(), m.sourceCommit(), m.mainline());
      } else if (mergeInfo == null && !state.tables().isEmpty()) {
        // decided without the merge's data work (this server did not know of tracked tables): again
        throw new StrataException(ErrorCode.ConcurrentWrite, "the commit raced the tracking of a table; retry",
            Map.of("branch", c.branch()));
      } else if (mergeInfo == null) { // no table: nothing leads from the source but the commits themselves
        mergeInfo = new MergeInfo(m.source(), m.sourceCommit(), m.base(), m.strategy(), List.of());
      }
    }
    if (c.expectedHead() != null && !branch.head().startsWith(c.expectedHead())) {
      throw new StrataException(ErrorCode.HeadMoved,
          "branch '" + c.branch() + "' is at " + branch.head() + ", not " + c.expectedHead(),
          Map.of("branch", c.branch(), "expected_head", c.expectedHead(), "actual_head", branch.head()));
    }
    for (String table : c.tables()) {
      if (!state.tables().containsKey(table)) {
        throw new StrataException(ErrorCode.TableNotFound, "table '" + table + "' is not tracked",
            Map.of("table", String.valueOf(table)));
      }
    }
    // the tables' content at the branch's head: the recorded (default branch's) one, or what the
    // command side computed for another branch
    Map<String, TableTracked> after = new TreeMap<>(state.tables());
    if (c.baseContent() != null) {
      c.baseContent().forEach((name, content) -> after.computeIfPresent(name,
          (n, t) -> t.withContent(content.rowCount(), content.rowSum())));
    }
    List<TableChange> changes = new ArrayList<>();
    long inserted = 0;
    long updated = 0;
    long deleted = 0;
    for (Captured cap : c.captured()) {
      TableTracked t = after.get(cap.table());
      long rows = t.rowCount() + cap.inserted() - cap.deleted();
      String sum = new BigInteger(t.rowSum()).add(new BigInteger(cap.sumDelta())).toString();
      TableTracked next = t.withContent(rows, sum);
      after.put(t.name(), next);
      changes.add(new TableChange(t.name(), cap.changeSet(), cap.inserted(), cap.updated(),
          cap.deleted(), rows, sum, next.contentHash()));
      inserted += cap.inserted();
      updated += cap.updated();
      deleted += cap.deleted();
    }
    // a rebase replays every commit, empty or not; a revert or cherry-pick whose changes are on the branch
    // already would be an empty commit like any other
    boolean replayed = applied != null && AppliedCommit.REBASE.equals(applied.operation());
    if (changes.isEmpty() && !c.allowEmpty() && mergeInfo == null && !replayed) {
      throw StrataException.invalid("allow_empty", applied == null
          ? "nothing to commit on branch '" + c.branch() + "' (no staged changes); stage changes, pass all=true,"
              + " or pass allow_empty=true to record an empty commit"
          : "nothing to commit on branch '" + c.branch() + "': applying commit " + applied.commit() + " ("
              + applied.operation() + ") changes nothing there (its changes are there already); pass"
              + " allow_empty=true to record an empty commit");
    }
    return List.of(nextCommit(state, c.branch(), c.message(), c.author(), now,
        new CommitStats(changes.size(), inserted, updated, deleted), CommitIds.treeOf(after.values()), changes,
        mergeInfo, applied));
  }

  /** A commit on top of {@code branch}'s head; commit times never go backwards along a branch. */
  private static CommitCreated nextCommit(RepositoryState state, String branchName, String message,
      Author author, Instant now, CommitStats stats, String tree) {
    return nextCommit(state, branchName, message, author, now, stats, tree, List.of(), null, null);
  }

  private static CommitCreated nextCommit(RepositoryState state, String branchName, String message,
      Author author, Instant now, CommitStats stats, String tree,
      List<TableChange> changes, MergeInfo merge, AppliedCommit applied) {
    Branch branch = requireBranch(state, branchName);
    Instant time = now.truncatedTo(ChronoUnit.MICROS);
    if (branch.headTime() != null && !time.isAfter(branch.headTime())) {
      time = branch.headTime().plus(1, ChronoUnit.MICROS);
    }
    List<String> parents = merge == null ? List.of(branch.head()) : List.of(branch.head(), merge.sourceCommit());
    String id = CommitIds.of(parents, tree, author, time, message);
    return new CommitCreated(id, branchName, parents, tree, message, author, time, stats, changes, merge, applied);
  }

  private static List<StrataEvent> trackTable(RepositoryState state, Commands.TrackTable c, Instant now) {
    TableTracked t = c.table();
    requireNoMerge(state, state.defaultBranch());
    if (state.tables().containsKey(t.name())) {
      throw new StrataException(ErrorCode.TableAlreadyExists, "table '" + t.name() + "' is already tracked",
          Map.of("table", t.name()));
    }
    state.tables().values().stream()
        .filter(o -> o.storage().equals(t.storage()) && o.schema().equals(t.schema()) && o.table().equals(t.table()))
        .findFirst()
        .ifPresent(o -> {
          throw new StrataException(ErrorCode.TableAlreadyExists,
              t.schema() + "." + t.table() + " is already tracked as '" + o.name() + "'", Map.of("table", o.name()));
        });
    if (!t.storage().equals(Storages.LOCAL) && !state.storages().containsKey(t.storage())) {
      throw Storages.notFound(t.storage());
    }
    List<TableTracked> after = new ArrayList<>(state.tables().values());
    after.add(t);
    return List.of(t, nextCommit(state, state.defaultBranch(), "Track table " + t.name(), c.author(), now,
        new CommitStats(1, 0, 0, 0), CommitIds.treeOf(after)));
  }

  private static List<StrataEvent> untrackTable(RepositoryState state, Commands.UntrackTable c, Instant now) {
    state.branches().keySet().forEach(b -> requireNoMerge(state, b)); // a merge in progress may hold its rows
    if (!state.tables().containsKey(c.name())) {
      throw new StrataException(ErrorCode.TableNotFound, "table '" + c.name() + "' is not tracked",
          Map.of("table", c.name()));
    }
    List<TableTracked> after = state.tables().values().stream()
        .filter(t -> !t.name().equals(c.name())).toList();
    return List.of(new TableUntracked(c.name()),
        nextCommit(state, state.defaultBranch(), "Untrack table " + c.name(), c.author(), now,
            new CommitStats(1, 0, 0, 0), CommitIds.treeOf(after)));
  }

  private static List<StrataEvent> createTag(RepositoryState state, CreateTag c) {
    if (state.tags().containsKey(c.name())) {
      throw new StrataException(ErrorCode.TagAlreadyExists, "tag '" + c.name() + "' already exists",
          Map.of("tag", c.name()));
    }
    String commit = c.commit() != null ? c.commit() : requireBranch(state, c.targetBranch()).head();
    return List.of(new TagCreated(c.name(), commit, c.message(), c.tagger()));
  }

  private static void requireHead(RepositoryState state, String name, String head) {
    Branch b = requireBranch(state, name);
    if (!b.head().equals(head)) {
      throw new StrataException(ErrorCode.HeadMoved, "branch '" + name + "' moved to " + b.head() + " meanwhile; retry",
          Map.of("branch", name, "expected_head", head, "actual_head", b.head()));
    }
  }

  private static void requireNoRebase(RepositoryState state, String branch) {
    RepositoryState.Rebase r = state.rebase(branch);
    if (r != null) {
      throw rebaseInProgress(branch, r);
    }
  }

  /** The 409 of a branch with a rebase in progress. */
  public static StrataException rebaseInProgress(String branch, RepositoryState.Rebase r) {
    return new StrataException(ErrorCode.RebaseInProgress, "a rebase of '" + branch + "' onto "
        + r.started().onto() + " is in progress (" + r.done() + " of " + r.started().commits().size()
        + " commits done): continue, skip or abort it", Map.of("branch", branch, "onto", r.started().onto(),
        "done", r.done(), "commits", r.started().commits().size()));
  }

  private static RepositoryState.Rebase requireRebase(RepositoryState state, String branch) {
    requireBranch(state, branch);
    RepositoryState.Rebase r = state.rebase(branch);
    if (r == null) {
      throw new StrataException(ErrorCode.NoRebaseInProgress, "branch '" + branch + "' has no rebase in progress",
          Map.of("branch", branch));
    }
    return r;
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
  public static io.strata.events.StashCreated stash(RepositoryState state, String branch, String ref) {
    requireBranch(state, branch);
    List<io.strata.events.StashCreated> stashes = state.stashes(branch);
    if (ref.chars().allMatch(Character::isDigit) && ref.length() <= 9) {
      int n = Integer.parseInt(ref);
      if (n < stashes.size()) {
        return stashes.get(n);
      }
    } else {
      for (io.strata.events.StashCreated s : stashes) {
        if (s.id().equals(ref)) {
          return s;
        }
      }
    }
    throw new StrataException(ErrorCode.StashNotFound, "branch '" + branch + "' has " + stashes.size()
        + " stash(es): no stash " + ref, Map.of("branch", branch, "stash", ref, "stashes", stashes.size()));
  }

  private static void requireNoMerge(RepositoryState state, String branch) {
    RepositoryState.Merge merge = state.merge(branch);
    if (merge != null) {
      throw mergeInProgress(branch, merge);
    }
  }

  private static RepositoryState.Merge requireMerge(RepositoryState state, String branch) {
    requireBranch(state, branch);
    RepositoryState.Merge merge = state.merge(branch);
    if (merge == null) {
      throw noMerge(branch);
    }
    return merge;
  }

  /** The refusal of a command that needs a merge in progress on {@code branch}, where there is none. */
  public static StrataException noMerge(String branch) {
    return new StrataException(ErrorCode.NoMergeInProgress, "no merge is in progress on branch '" + branch + "'",
        Map.of("branch", branch));
  }

  /** The refusal of a command that would move {@code branch} while a merge into it is in progress. */
  public static StrataException mergeInProgress(String branch, RepositoryState.Merge merge) {
    return new StrataException(ErrorCode.MergeInProgress, "a merge of " + merge.started().source() + " into '" + branch
        + "' is in progress (" + merge.remaining() + " conflicts left): resolve and continue, or abort it",
        Map.of("branch", branch, "source", merge.started().source(), "conflicts", merge.remaining()));
  }

  private static Branch requireBranch(RepositoryState state, String name) {
    Branch b = state.branch(name);
    if (b == null) {
      throw StrataException.branchNotFound(name);
    }
    return b;
  }
}
