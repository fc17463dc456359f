package io.strata.server.api;

import io.strata.server.domain.ErrorCode;

/**
 * The HTTP status of each error (docs/api.md). A switch without a default: an error code added without its
 * status does not compile.
 */
final class ErrorStatuses {
  private ErrorStatuses() {}

  static int of(ErrorCode code) {
    return switch (code) {
      case BadRequest -> 400;
      case Unauthorized -> 401;
      case Forbidden -> 403;
      case NotFound, RepositoryNotFound, BranchNotFound, RefNotFound, CommitNotFound, TableNotFound, TagNotFound,
          StorageNotFound, RowNotFound, TokenNotFound, WebhookNotFound, WebhookDeliveryNotFound,
          StashNotFound, PromotionNotFound -> 404;
      case MethodNotAllowed -> 405;
      case NotAcceptable -> 406;
      case RepositoryAlreadyExists, BranchAlreadyExists, TagAlreadyExists, StorageAlreadyExists, StorageInUse,
          TableAlreadyExists, TokenAlreadyExists, HeadMoved, SchemaMoved, MergeConflict, SchemaConflict, MergeInProgress, NotFastForward,
          NoMergeInProgress, BranchProtected, BranchGated, BranchNotMerged, BranchHasStashes, RebaseInProgress,
          NoRebaseInProgress, StashGone, RepositoryNotEmpty, WorkingChangesPresent, ConcurrentWrite, PromotionAlreadyOpen,
          PromotionNotReady, PromotionClosed, BackupUnavailable, BackupInProgress -> 409;
      case PayloadTooLarge -> 413;
      case UnsupportedMediaType -> 415;
      case ValidationError, IdempotencyKeyReused -> 422;
      case TooManyQueries, TooManySubscribers -> 429;
      case InternalError -> 500;
      case StorageUnavailable, ProjectionLagging -> 503;
    };
  }
}
