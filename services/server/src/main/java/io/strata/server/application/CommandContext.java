package io.strata.server.application;

/**
 * The request around a command: who sent it, its Idempotency-Key, the operation and caller the key is
 * scoped to (method, path and the caller's token or user id: the same key on another endpoint or
 * repository, or from another caller, is another key), the fingerprint of the request (so a reused key
 * with a different request is refused), a correlation id, whether the client asked not to wait for
 * projections ({@code ?async=true}), the branch the request names in its path (null: none), whose
 * incarnation scopes the key too (a branch deleted and created again is a new scope), the reason an
 * admin gave to override the promotion gate ({@code Strata-Gate-Override}; null: none), and the promotion request
 * whose merge the command is part of (null: none), which the gate lets through when it is ready.
 */
public record CommandContext(Actor actor, String idempotencyKey, String idempotencyScope, String fingerprint,
    String correlationId, boolean async, String branch, String gateOverride, Integer promotion) {
  public CommandContext(Actor actor, String idempotencyKey, String idempotencyScope, String fingerprint,
      String correlationId, boolean async, String branch, String gateOverride) {
    this(actor, idempotencyKey, idempotencyScope, fingerprint, correlationId, async, branch, gateOverride, null);
  }

  public CommandContext(Actor actor, String idempotencyKey, String idempotencyScope, String fingerprint,
      String correlationId, boolean async, String branch) {
    this(actor, idempotencyKey, idempotencyScope, fingerprint, correlationId, async, branch, null);
  }

  public CommandContext(Actor actor, String idempotencyKey, String idempotencyScope, String fingerprint,
      String correlationId, boolean async) {
    this(actor, idempotencyKey, idempotencyScope, fingerprint, correlationId, async, null, null, null);
  }

  /**
   * The context of a command this one's work issues on its own (a step of a rebase, a merge's schema change):
   * the same actor, correlation id, gate override and promotion, no Idempotency-Key, answered when projected
   * unless {@code async}.
   */
  public CommandContext issued(boolean async) {
    return new CommandContext(actor, null, null, null, correlationId, async, null, gateOverride, promotion);
  }

  /** This context for the commands of promotion {@code number}'s merge. */
  public CommandContext forPromotion(int number) {
    return new CommandContext(actor, null, null, null, correlationId, false, null, gateOverride, number);
  }
}
