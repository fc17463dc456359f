package io.strata.server.api;

import io.strata.events.BranchCreated;
import io.strata.events.ChangesStaged;
import io.strata.events.ChangesUnstaged;
import io.strata.events.CommitCreated;
import io.strata.events.EventCodec;
import io.strata.events.MergeConflictsResolved;
import io.strata.events.RepositoryCreated;
import io.strata.events.StorageAdded;
import io.strata.events.TableCounts;
import io.strata.events.TableSchemaChanged;
import io.strata.events.TableShape;
import io.strata.events.TableMadeOnBranch;
import io.strata.events.TableTracked;
import io.strata.events.TagCreated;
import io.strata.server.api.Dtos.BranchDto;
import io.strata.server.api.Dtos.CommitDto;
import io.strata.server.api.Dtos.MergeDto;
import io.strata.server.api.Dtos.MergeStatsDto;
import io.strata.server.api.Dtos.MergeStrategy;
import io.strata.server.api.Dtos.MergeTableDto;
import io.strata.server.api.Dtos.RepositoryDto;
import io.strata.server.api.Dtos.ResolutionDto;
import io.strata.server.api.Dtos.StorageDto;
import io.strata.server.api.Dtos.TableDto;
import io.strata.server.api.Dtos.TagDto;
import io.strata.server.application.Answer;
import io.strata.server.application.ConflictDetail;
import io.strata.server.application.MergeCommands;
import io.strata.server.application.RebaseCommands;
import io.strata.server.domain.BranchSchemaCommand;
import io.strata.server.domain.Commands;
import io.strata.server.domain.RepositoryState;
import io.strata.server.domain.StrataException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The HTTP answers of commands, built from the events they appended: the API hands them to the
 * command handlers, so that commands know nothing of the wire format (the answer is also what an
 * Idempotency-Key replays).
 */
final class Answers {
  private Answers() {}

  static Answer repositoryCreated() {
    return (events, position, after, time) -> {
      RepositoryCreated created = (RepositoryCreated) events.get(0);
      CommitCreated root = (CommitCreated) events.get(1);
      return new Answer.Reply(201, new RepositoryDto(created.name(), created.description(), created.defaultBranch(),
          time, root.id(), position));
    };
  }

  /** An answer without a body (204): deletes, aborts, discards. */
  static Answer noContent() {
    return (events, position, after, time) -> new Answer.Reply(204, null);
  }

  /**
   * Stage and unstage: how many changed rows they concerned, per table and in all (what the event recorded;
   * none when nothing changed); discard: no body.
   */
  static Answer working(Commands.ChangeKind kind) {
    if (kind == Commands.ChangeKind.DISCARDED) {
      return noContent();
    }
    return (events, position, after, time) -> {
      List<TableCounts> tables = events.isEmpty() ? List.of()
          : events.get(0) instanceof ChangesStaged staged ? staged.tables()
          : ((ChangesUnstaged) events.get(0)).tables();
      long count = tables.stream().mapToLong(c -> c.inserted() + c.updated() + c.deleted()).sum();
      return new Answer.Reply(200, new Dtos.StageResult(count, tables, position));
    };
  }

  static Answer branchCreated() {
    return (events, position, after, time) -> {
      BranchCreated e = (BranchCreated) events.get(0);
      return new Answer.Reply(201, new BranchDto(e.name(), e.head(), e.from(), e.isProtected(), false, time, time,
          null, position));
    };
  }

  /** The branch as the command left it, complete: where and when it was created too. */
  static Answer branchAfter(String name) {
    return (events, position, after, time) -> {
      RepositoryState.Branch b = after.branch(name);
      return new Answer.Reply(200, new BranchDto(name, b.head(), b.from(), b.isProtected(),
          name.equals(after.defaultBranch()), b.createdAt(), time, null, position));
    };
  }

  static Answer commitCreated() {
    return (events, position, after, time) -> {
      // a table made on another branch that the commit brings rows of comes first (table.branches_changed)
      CommitCreated c = events.stream().filter(CommitCreated.class::isInstance).map(CommitCreated.class::cast)
          .findFirst().orElseThrow();
      return new Answer.Reply(201, new CommitDto(c.id(), c.id().substring(0, 7), c.parents(), c.message(),
          c.author(), c.createdAt(), c.branch(), EventCodec.mapper().valueToTree(c.stats()),
          EventCodec.mapper().valueToTree(c.changes()), position));
    };
  }

  static Answer tagCreated() {
    return (events, position, after, time) -> {
      TagCreated t = (TagCreated) events.get(0);
      return new Answer.Reply(201, new TagDto(t.name(), t.commit(), t.message(), t.tagger(), time, position));
    };
  }

  /**
   * The policy set by {@code actor}: the one recorded; no body when the policy in force was that one already (the
   * resource answers it as it was set).
   */
  static Answer policySet(String actor) {
    return (events, position, after, time) -> {
      if (events.isEmpty()) {
        return new Answer.Reply(200, null);
      }
      io.strata.events.PromotionPolicySet set = (io.strata.events.PromotionPolicySet) events.get(0);
      return new Answer.Reply(200, new PromotionDtos.PromotionPolicyDto(PromotionDtos.PolicyDto.of(set.policy()),
          set.digest(), set.origin(), actor, time, position));
    };
  }

  static Answer storageAdded() {
    return (events, position, after, time) ->
        new Answer.Reply(201, StorageDto.of((StorageAdded) events.get(0), time, position));
  }

  /** A tracked table: its facts and the commit that recorded its content. */
  static Answer tableTracked() {
    return (events, position, after, time) -> new Answer.Reply(201,
        TableDto.of((TableTracked) events.get(0), time, ((CommitCreated) events.get(events.size() - 1)).id(), position,
            events.stream().filter(TableMadeOnBranch.class::isInstance).map(TableMadeOnBranch.class::cast).findFirst()
                .orElse(null)));
  }

  /** Columns added on a branch (or checked alone): what the database defined, and the branch's columns after. */
  static Answer branchSchemaChanged(String table, String branch, boolean validateOnly, List<TableShape.Column> added,
      List<TableShape.Column> altered, List<String> dropped) {
    return (events, position, after, time) -> new Answer.Reply(200, SchemaDtos.BranchSchemaChangedDto.of(table, branch,
        validateOnly, added, altered, dropped, List.of(),
        after.tables().containsKey(table) ? after.shownColumnsOn(table, branch) : List.of(),
        after.constraintsOn(table, branch), position));
  }

  /** Columns shown under other names on a branch (or checked alone): the renames, and the branch's columns after. */
  static Answer branchSchemaRenamed(String table, String branch, boolean validateOnly,
      List<io.strata.server.domain.BranchSchemaCommand.Rename> renames) {
    return (events, position, after, time) -> new Answer.Reply(200, SchemaDtos.BranchSchemaChangedDto.of(table, branch,
        validateOnly, List.of(), List.of(), List.of(), renames.stream()
            .map(r -> new SchemaDtos.RenamedColumnDto(r.from(), r.to())).toList(),
        after.tables().containsKey(table) ? after.shownColumnsOn(table, branch) : List.of(),
        after.constraintsOn(table, branch), position));
  }

  /** A drift recorded: the table's recorded shape before and after (the same when it was recorded already). */
  static Answer driftRecorded(String table) {
    return (events, position, after, time) -> {
      String now = after.tables().get(table).knownShape().hash();
      String before = events.isEmpty() ? now : ((TableSchemaChanged) events.get(0)).previousShapeHash();
      return new Answer.Reply(200, new SchemaDtos.DriftRecordedDto(table, !events.isEmpty(), now, before, position));
    };
  }

  /**
   * A merge's answer: 200 with what it did (a dry run's too), or 409 MergeConflict when conflicts stop
   * it (strategy three_way), with their count, the first of them and the merge in {@code details}.
   */
  static Answer merged(MergeCommands.Outcome o) {
    return (events, position, after, time) -> {
      String commit = events.stream().filter(e -> e instanceof CommitCreated).map(e -> ((CommitCreated) e).id())
          .findFirst().orElse(null);
      String result = commit != null ? commit : o.dryRun ? null : o.fastForward ? o.sourceCommit
          : o.upToDate ? o.head : null;
      List<MergeTableDto> tables = o.tables.stream().map(t -> new MergeTableDto(t.table(), t.changes().inserted(),
          t.changes().updated(), t.changes().deleted(), t.conflicts())).toList();
      MergeStatsDto stats = new MergeStatsDto(tables.size(), tables.stream().mapToLong(MergeTableDto::inserted).sum(),
          tables.stream().mapToLong(MergeTableDto::updated).sum(), tables.stream().mapToLong(MergeTableDto::deleted).sum(),
          tables);
      boolean stopped = o.stopped();
      // a stopped merge lists its first conflicts once, in the error's details
      List<ConflictDetail> listed = !stopped && (o.dryRun || o.conflicts > 0)
          ? o.listedConflicts.stream().map(ConflictDetail::of).toList() : null;
      MergeStrategy strategy = o.fastForward ? MergeStrategy.FAST_FORWARD : MergeStrategy.of(o.strategy);
      MergeDto merge = new MergeDto(o.source, o.sourceCommit, o.target, strategy, o.fastForward, o.upToDate, o.base,
          result, o.conflicts, o.inProgress, o.dryRun, stats, listed, o.dryRun ? null : position);
      if (stopped) {
        StrataException refusal = MergeCommands.conflicts(o.target, o);
        Map<String, Object> details = new LinkedHashMap<>(refusal.details());
        details.put("merge", merge);
        return new Answer.Reply(409, new ErrorBody(refusal.code().name(), refusal.getMessage(), details));
      }
      return new Answer.Reply(200, merge);
    };
  }

  /**
   * A revert's or cherry-pick's answer, one shape ({@link Dtos.AppliedDto}): 201 with its commit and the
   * application when it committed, 200 with the application in progress when it stopped before its commit
   * as asked; 409 MergeConflict (as a merge's) when conflicts stop it.
   */
  static Answer applied(MergeCommands.Outcome o) {
    Answer merge = merged(o);
    Answer commit = commitCreated();
    return (events, position, after, time) -> {
      Answer.Reply application = merge.reply(events, position, after, time);
      if (application.status() != 200) {
        return application;
      }
      boolean committed = events.stream().anyMatch(e -> e instanceof CommitCreated);
      CommitDto made = committed ? (CommitDto) commit.reply(events, position, after, time).body() : null;
      return new Answer.Reply(committed ? 201 : 200, new Dtos.AppliedDto(made, (MergeDto) application.body()));
    };
  }

  /**
   * A rebase's answers: a step stopped by conflicts as a cherry-pick's ({@link #applied}); the rebase
   * ended, or with nothing to do, 200 with the branch's head and what it replayed.
   */
  static final RebaseCommands.Rendering REBASE =
      new RebaseCommands.Rendering(Answers::applied, ended -> new Answer.Reply(200, ended));

  /** What a resolution settled, and the conflicts left on {@code branch}. */
  static Answer resolved(String branch) {
    return (events, position, after, time) -> {
      MergeConflictsResolved done = events.stream().filter(e -> e instanceof MergeConflictsResolved)
          .map(e -> (MergeConflictsResolved) e).findFirst().orElse(null);
      RepositoryState.Merge merge = after.merge(branch);
      long remaining = done != null ? done.remaining() : merge == null ? 0 : merge.remaining();
      return new Answer.Reply(200, new ResolutionDto(done == null ? 0 : done.resolved(), remaining, position));
    };
  }
}
