package io.strata.events;

/**
 * Every event Strata appends: to a repository's stream, or (the few server events, see {@link
 * EventType#serverEvent()}) to the server's stream {@link EventEnvelope#SERVER_STREAM}. Events are facts, named in the past tense; each
 * type has a JSON Schema under {@code schemas/} named after its CloudEvents {@code type}.
 */
public sealed interface StrataEvent
    permits RepositoryCreated,
        RepositoryDeleted,
        BranchCreated,
        BranchDeleted,
        BranchProtectionChanged,
        CommitCreated,
        TagCreated,
        TagDeleted,
        StorageAdded,
        StorageRemoved,
        TableTracked,
        TableUntracked,
        TableMadeOnBranch,
        TableBranchesChanged,
        TablePlaced,
        TableSchemaChanged,
        TableBranchSchemaChanged,
        ChangesStaged,
        ChangesUnstaged,
        ChangesDiscarded,
        CommitRolledBack,
        MergeStarted,
        MergeConflictsResolved,
        MergeAborted,
        MergeRolledBack,
        StashCreated,
        StashApplied,
        StashDropped,
        RebaseStarted,
        RebaseStepSkipped,
        RebaseFinished,
        RebaseAborted,
        BranchHeadMoved,
        PromotionPolicySet,
        PromotionGateOverridden,
        PromotionOpened,
        PromotionEvaluated,
        CheckRunCompleted,
        PromotionApproved,
        PromotionMerged,
        PromotionRejected,
        PromotionVerified,
        PromotionRolledBack,
        WebhookDisabled {

  /** The CloudEvents {@code subject}: what inside the repository (or the server) the event is about. */
  String subject();
}
