package io.strata.server.domain;

/**
 * Every error a client can see (docs/api.md; /openapi.json lists them per operation). Which HTTP status
 * answers each is the API's to say ({@code api.ErrorStatuses}): nothing below the API knows HTTP.
 */
public enum ErrorCode {
  BadRequest,
  /** No token, or one that is unknown, expired or revoked (STRATA_AUTH=token). */
  Unauthorized,
  /** A valid token whose role or grants do not cover the request. */
  Forbidden,
  NotFound,
  RepositoryNotFound,
  BranchNotFound,
  RefNotFound,
  CommitNotFound,
  TableNotFound,
  TagNotFound,
  StorageNotFound,
  RowNotFound,
  TokenNotFound,
  WebhookNotFound,
  WebhookDeliveryNotFound,
  StashNotFound,
  MethodNotAllowed,
  NotAcceptable,
  RepositoryAlreadyExists,
  BranchAlreadyExists,
  TagAlreadyExists,
  StorageAlreadyExists,
  StorageInUse,
  TableAlreadyExists,
  TokenAlreadyExists,
  HeadMoved,
  /**
   * A table's drift recorded against a shape that is no longer the one recorded (expected_hash), or a
   * branch's column altered from a definition it no longer has.
   */
  SchemaMoved,
  MergeConflict,
  /** A merge's sides changed a column two ways since their merge base, and no schema_strategy settles it. */
  SchemaConflict,
  MergeInProgress,
  /** fast_forward "only", and the target's head is not an ancestor of the source. */
  NotFastForward,
  /** merge/continue, merge/abort or a resolution on a branch without a merge in progress. */
  NoMergeInProgress,
  BranchProtected,
  /** A change to a branch the promotion policy protects, outside a promotion (and without an admin's override). */
  BranchGated,
  PromotionNotFound,
  /** An open promotion request of the same source into the same target exists already. */
  PromotionAlreadyOpen,
  /** A promotion request that cannot do what was asked yet: checks or approvals missing, evaluated at another pair. */
  PromotionNotReady,
  /** A promotion request merged or rejected already. */
  PromotionClosed,
  BranchNotMerged,
  BranchHasStashes,
  RebaseInProgress,
  NoRebaseInProgress,
  StashGone,
  RepositoryNotEmpty,
  WorkingChangesPresent,
  /** A backup through Strata of a metadata database that is not the embedded one (PostgreSQL's tools back it up). */
  BackupUnavailable,
  /** Another backup is being taken on this server. */
  BackupInProgress,
  /** A write lost a race with a concurrent one on the same rows (deadlock, serialization failure): retry it. */
  ConcurrentWrite,
  PayloadTooLarge,
  UnsupportedMediaType,
  /** Every query connection is in use (strata.query.max-connections): retry shortly. */
  TooManyQueries,
  /** As many event streams are open on this server as strata.events.max-subscribers allows: retry later. */
  TooManySubscribers,
  ValidationError,
  IdempotencyKeyReused,
  InternalError,
  StorageUnavailable,
  ProjectionLagging;
}
