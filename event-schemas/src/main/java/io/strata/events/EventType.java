package io.strata.events;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * The registry of event types: each record class, its CloudEvents {@code type} ({@code
 * io.strata.<event>.v<N>}) and the JSON Schema resource that describes its {@code data}. A published
 * type never changes; a new shape is a new version plus an {@link Upcaster}.
 */
public enum EventType {
  REPOSITORY_CREATED(RepositoryCreated.class, "repository.created", 1),
  REPOSITORY_DELETED(RepositoryDeleted.class, "repository.deleted", 1),
  BRANCH_CREATED(BranchCreated.class, "branch.created", 1),
  BRANCH_DELETED(BranchDeleted.class, "branch.deleted", 1),
  BRANCH_PROTECTION_CHANGED(BranchProtectionChanged.class, "branch.protection_changed", 1),
  COMMIT_CREATED(CommitCreated.class, "commit.created", 4),
  TAG_CREATED(TagCreated.class, "tag.created", 1),
  TAG_DELETED(TagDeleted.class, "tag.deleted", 1),
  STORAGE_ADDED(StorageAdded.class, "storage.added", 1),
  STORAGE_REMOVED(StorageRemoved.class, "storage.removed", 1),
  TABLE_TRACKED(TableTracked.class, "table.tracked", 2),
  TABLE_UNTRACKED(TableUntracked.class, "table.untracked", 1),
  TABLE_MADE_ON_BRANCH(TableMadeOnBranch.class, "table.made_on_branch", 1),
  TABLE_BRANCHES_CHANGED(TableBranchesChanged.class, "table.branches_changed", 1),
  TABLE_PLACED(TablePlaced.class, "table.placed", 2),
  TABLE_SCHEMA_CHANGED(TableSchemaChanged.class, "table.schema_changed", 3),
  TABLE_BRANCH_SCHEMA_CHANGED(TableBranchSchemaChanged.class, "table.branch_schema_changed", 6),
  CHANGES_STAGED(ChangesStaged.class, "changes.staged", 1),
  CHANGES_UNSTAGED(ChangesUnstaged.class, "changes.unstaged", 1),
  CHANGES_DISCARDED(ChangesDiscarded.class, "changes.discarded", 1),
  COMMIT_ROLLED_BACK(CommitRolledBack.class, "commit.rolled_back", 1),
  MERGE_STARTED(MergeStarted.class, "merge.started", 3),
  MERGE_CONFLICTS_RESOLVED(MergeConflictsResolved.class, "merge.conflicts_resolved", 1),
  MERGE_ABORTED(MergeAborted.class, "merge.aborted", 1),
  BRANCH_HEAD_MOVED(BranchHeadMoved.class, "branch.head_moved", 2),
  MERGE_ROLLED_BACK(MergeRolledBack.class, "merge.rolled_back", 1),
  STASH_CREATED(StashCreated.class, "stash.created", 2),
  STASH_APPLIED(StashApplied.class, "stash.applied", 1),
  STASH_DROPPED(StashDropped.class, "stash.dropped", 1),
  REBASE_STARTED(RebaseStarted.class, "rebase.started", 1),
  REBASE_STEP_SKIPPED(RebaseStepSkipped.class, "rebase.step_skipped", 1),
  REBASE_FINISHED(RebaseFinished.class, "rebase.finished", 1),
  REBASE_ABORTED(RebaseAborted.class, "rebase.aborted", 1),
  PROMOTION_POLICY_SET(PromotionPolicySet.class, "promotion.policy_set", 1),
  PROMOTION_GATE_OVERRIDDEN(PromotionGateOverridden.class, "promotion.gate_overridden", 1),
  PROMOTION_OPENED(PromotionOpened.class, "promotion.opened", 1),
  PROMOTION_EVALUATED(PromotionEvaluated.class, "promotion.evaluated", 1),
  CHECK_RUN_COMPLETED(CheckRunCompleted.class, "check_run.completed", 1),
  PROMOTION_APPROVED(PromotionApproved.class, "promotion.approved", 1),
  PROMOTION_MERGED(PromotionMerged.class, "promotion.merged", 1),
  PROMOTION_REJECTED(PromotionRejected.class, "promotion.rejected", 1),
  PROMOTION_VERIFIED(PromotionVerified.class, "promotion.verified", 1),
  PROMOTION_ROLLED_BACK(PromotionRolledBack.class, "promotion.rolled_back", 1),
  /** A server event: appended to {@link EventEnvelope#SERVER_STREAM}, never to a repository's stream. */
  WEBHOOK_DISABLED(WebhookDisabled.class, "webhook.disabled", 1);

  public static final String PREFIX = "io.strata.";

  private static final Map<Class<?>, EventType> BY_CLASS =
      Arrays.stream(values()).collect(Collectors.toMap(t -> t.javaType, Function.identity()));
  private static final Map<String, EventType> BY_TYPE =
      Arrays.stream(values()).collect(Collectors.toMap(EventType::type, Function.identity()));

  private final Class<? extends StrataEvent> javaType;
  private final String name;
  private final int version;

  EventType(Class<? extends StrataEvent> javaType, String name, int version) {
    this.javaType = javaType;
    this.name = name;
    this.version = version;
  }

  public Class<? extends StrataEvent> javaType() {
    return javaType;
  }

  public int version() {
    return version;
  }

  /** Whether events of this type are about the server, not a repository: they go to {@link EventEnvelope#SERVER_STREAM}. */
  public boolean serverEvent() {
    return this == WEBHOOK_DISABLED;
  }

  /** The CloudEvents {@code type}, e.g. {@code io.strata.branch.created.v1}. */
  public String type() {
    return PREFIX + name + ".v" + version;
  }

  /** This type under every version it was ever stored as (v1 up to the current one), for filters on stored events. */
  public List<String> storedTypes() {
    return IntStream.rangeClosed(1, version).mapToObj(v -> PREFIX + name + ".v" + v).toList();
  }

  /** Classpath resource of the JSON Schema for this type's {@code data}. */
  public String schemaResource() {
    return "schemas/" + type() + ".json";
  }

  public static EventType of(StrataEvent event) {
    return BY_CLASS.get(event.getClass());
  }

  public static Optional<EventType> ofType(String type) {
    return Optional.ofNullable(BY_TYPE.get(type));
  }

  /**
   * The type {@code type} names in a filter: its current type, any version it was stored as before ({@code
   * io.strata.merge.started.v2} once v3 is current), or its name without a version ({@code io.strata.merge.started}).
   * A filter keeps naming its events when their type gains a version.
   */
  public static Optional<EventType> named(String type) {
    String family = family(type);
    return Arrays.stream(values()).filter(t -> family.equals(PREFIX + t.name)
        && (type.equals(family) || t.storedTypes().contains(type))).findFirst();
  }

  /** {@code type} without its version ({@code io.strata.merge.started} of {@code io.strata.merge.started.v3}). */
  public static String family(String type) {
    int v = type.lastIndexOf(".v");
    return v > 0 && v + 2 < type.length() && type.substring(v + 2).chars().allMatch(Character::isDigit)
        ? type.substring(0, v) : type;
  }
}
