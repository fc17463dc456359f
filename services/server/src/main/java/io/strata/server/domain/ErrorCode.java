package io.strata.server.domain;

/** Every error a client can see, with its HTTP status (docs/api.md; /openapi.json lists them per operation). */
public enum ErrorCode {
  BadRequest(400),
  /** No token, or one that is unknown, expired or revoked (STRATA_AUTH=token). */
  Unauthorized(401),
  /** A valid token whose role or grants do not cover the request. */
  Forbidden(403),
  NotFound(404),
  RepositoryNotFound(404),
  BranchNotFound(404),
  RefNotFound(404),
  CommitNotFound(404),
  TableNotFound(404),
  TagNotFound(404),
  StorageNotFound(404),
  RowNotFound(404),
  TokenNotFound(404),
  WebhookNotFound(404),
  WebhookDeliveryNotFound(404),
  StashNotFound(404),
  MethodNotAllowed(405),
  NotAcceptable(406),
  RepositoryAlreadyExists(409),
  BranchAlreadyExists(409),
  TagAlreadyExists(409),
  StorageAlreadyExists(409),
  StorageInUse(409),
  TableAlreadyExists(409),
  TokenAlreadyExists(409),
  HeadMoved(409),
  MergeConflict(409),
  MergeInProgress(409),
  /** fast_forward "only", and the target's head is not an ancestor of the source. */
  NotFastForward(409),
  /** merge/continue, merge/abort or a resolution on a branch without a merge in progress. */
  NoMergeInProgress(409),
  BranchProtected(409),
  BranchNotMerged(409),
  BranchHasStashes(409),
  RebaseInProgress(409),
  NoRebaseInProgress(409),
  StashGone(409),
  RepositoryNotEmpty(409),
  WorkingChangesPresent(409),
  /** A write lost a race with a concurrent one on the same rows (deadlock, serialization failure): retry it. */
  ConcurrentWrite(409),
  PayloadTooLarge(413),
  UnsupportedMediaType(415),
  /** Every query connection is in use (strata.query.max-connections): retry shortly. */
  TooManyQueries(429),
  /** As many event streams are open on this server as strata.events.max-subscribers allows: retry later. */
  TooManySubscribers(429),
  ValidationError(422),
  IdempotencyKeyReused(422),
  InternalError(500),
  StorageUnavailable(503),
  ProjectionLagging(503);

  private final int status;

  ErrorCode(int status) {
    this.status = status;
  }

  public int status() {
    return status;
  }
}
