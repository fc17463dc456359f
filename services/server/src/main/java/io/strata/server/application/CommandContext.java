package io.strata.server.application;

/**
 * The request around a command: who sent it, its Idempotency-Key, the operation and caller the key is
 * scoped to (method, path and the caller's token or user id: the same key on another endpoint or
 * repository, or from another caller, is another key), the fingerprint of the request (so a reused key
 * with a different request is refused), a correlation id, whether the client asked not to wait for
 * projections ({@code ?async=true}), and the branch the request names in its path (null: none), whose
 * incarnation scopes the key too (a branch deleted and created again is a new scope).
 */
public record CommandContext(Actor actor, String idempotencyKey, String idempotencyScope, String fingerprint,
    String correlationId, boolean async, String branch) {
  public CommandContext(Actor actor, String idempotencyKey, String idempotencyScope, String fingerprint,
      String correlationId, boolean async) {
    this(actor, idempotencyKey, idempotencyScope, fingerprint, correlationId, async, null);
  }
}
