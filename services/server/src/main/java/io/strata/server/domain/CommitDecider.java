package io.strata.server.domain;

import static io.strata.server.domain.Guards.mergeInProgress;
import static io.strata.server.domain.Guards.requireBranch;
import static io.strata.server.domain.Guards.requireNoMerge;

import io.strata.events.AppliedCommit;
import io.strata.events.Author;
import io.strata.events.ChangesDiscarded;
import io.strata.events.ChangesStaged;
import io.strata.events.ChangesUnstaged;
import io.strata.events.CommitCreated;
import io.strata.events.CommitIds;
import io.strata.events.CommitRolledBack;
import io.strata.events.CommitStats;
import io.strata.events.MergeInfo;
import io.strata.events.MergeStarted;
import io.strata.events.StrataEvent;
import io.strata.events.TableBranchesChanged;
import io.strata.events.TableChange;
import io.strata.events.TableTracked;
import io.strata.projections.rowdata.ChangeSets.Captured;
import io.strata.server.domain.Commands.CommitCommand;
import io.strata.server.domain.Commands.CreateCommit;
import io.strata.server.domain.Commands.RecordChanges;
import io.strata.server.domain.Commands.RecordRollback;
import io.strata.server.domain.Commands.TableContent;
import io.strata.server.domain.RepositoryState.Branch;
import java.math.BigInteger;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Commits and the working state: a commit on a branch's head with what was captured (a merge's, revert's,
 * cherry-pick's or rebase step's conclusion too), empty only when allowed; staging operations recorded;
 * a rolled-back commit attempt recorded. Pure.
 */
public final class CommitDecider {
  private CommitDecider() {}

  public static List<StrataEvent> decide(RepositoryState state, CommitCommand command, Instant now) {
    if (command instanceof CreateCommit c) {
      return createCommit(state, c, now);
    }
    if (command instanceof RecordChanges c) {
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
    // a fact about the working tree: recorded even if the branch is gone since
    RecordRollback c = (RecordRollback) command;
    return List.of(new CommitRolledBack(c.branch(), c.attempt(), c.storages(), c.tables(), c.rows()));
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
      if (!state.hasTable(table, c.branch())) {
        throw new StrataException(ErrorCode.TableNotFound, "table '" + table + "' is not tracked",
            Map.of("table", String.valueOf(table)));
      }
    }
    // the tables' content at the branch's head: the recorded (default branch's) one, or what the
    // command side computed for another branch; then each change set's, in order
    Map<String, TableTracked> after = contentAfter(state.tables(), c.baseContent(), List.of());
    List<TableChange> changes = new ArrayList<>();
    long inserted = 0;
    long updated = 0;
    long deleted = 0;
    for (Captured cap : c.captured()) {
      TableTracked next = plus(after.get(cap.table()), cap);
      after.put(next.name(), next);
      changes.add(new TableChange(next.name(), cap.changeSet(), cap.inserted(), cap.updated(),
          cap.deleted(), next.rowCount(), next.rowSum(), next.contentHash()));
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
              + " name the tables whose shape changes to commit (tables), or pass allow_empty=true to record an empty"
              + " commit"
          : "nothing to commit on branch '" + c.branch() + "': applying commit " + applied.commit() + " ("
              + applied.operation() + ") changes nothing there (its changes are there already); pass"
              + " allow_empty=true to record an empty commit");
    }
    CommitCreated commit = nextCommit(state, c.branch(), c.message(), c.author(), now,
        new CommitStats(changes.size(), inserted, updated, deleted), CommitIds.treeOf(after.values()), changes,
        mergeInfo, applied, c.schemaTables());
    List<String> gains = new ArrayList<>(c.sourceMade());
    changes.forEach(change -> gains.add(change.table()));
    List<StrataEvent> events = new ArrayList<>(BranchDecider.gained(state, c.branch(), gains));
    events.add(commit);
    return events;
  }

  /**
   * Every tracked table (of {@code tables}, their default branch's content) after a commit of
   * {@code captured}: starting from {@code baseContent} (the branch's content, null on the default
   * branch) and adding each change set's counts. The commit's tree is {@link CommitIds#treeOf} of it.
   */
  public static Map<String, TableTracked> contentAfter(Map<String, TableTracked> tables,
      Map<String, TableContent> baseContent, List<Captured> captured) {
    Map<String, TableTracked> after = new TreeMap<>(tables);
    if (baseContent != null) {
      baseContent.forEach((name, content) -> after.computeIfPresent(name,
          (n, t) -> t.withContent(content.rowCount(), content.rowSum())));
    }
    for (Captured cap : captured) {
      after.put(cap.table(), plus(after.get(cap.table()), cap));
    }
    return after;
  }

  /** The table's content with a change set's rows added. */
  private static TableTracked plus(TableTracked t, Captured cap) {
    return t.withContent(t.rowCount() + cap.inserted() - cap.deleted(),
        new BigInteger(t.rowSum()).add(new BigInteger(cap.sumDelta())).toString());
  }

  /** A commit on top of {@code branch}'s head; commit times never go backwards along a branch. */
  static CommitCreated nextCommit(RepositoryState state, String branchName, String message,
      Author author, Instant now, CommitStats stats, String tree) {
    return nextCommit(state, branchName, message, author, now, stats, tree, List.of(), null, null, null);
  }

  /**
   * As above, recording the branch's shapes of {@code table} only on a branch other than the default one (the other
   * tables keep the head's record: their shape changes stay working changes).
   */
  static CommitCreated nextCommitOf(RepositoryState state, String branchName, String table, String message,
      Author author, Instant now, CommitStats stats, String tree) {
    return nextCommit(state, branchName, message, author, now, stats, tree, List.of(), null, null,
        branchName.equals(state.defaultBranch()) ? null : List.of(table));
  }

  private static CommitCreated nextCommit(RepositoryState state, String branchName, String message,
      Author author, Instant now, CommitStats stats, String tree,
      List<TableChange> changes, MergeInfo merge, AppliedCommit applied, List<String> schemaTables) {
    Branch branch = requireBranch(state, branchName);
    Instant time = now.truncatedTo(ChronoUnit.MICROS);
    if (branch.headTime() != null && !time.isAfter(branch.headTime())) {
      time = branch.headTime().plus(1, ChronoUnit.MICROS);
    }
    List<String> parents = merge == null ? List.of(branch.head()) : List.of(branch.head(), merge.sourceCommit());
    String id = CommitIds.of(parents, tree, author, time, message);
    return new CommitCreated(id, branchName, parents, tree, message, author, time, stats, changes, merge, applied,
        schemaTables);
  }

}
