package io.strata.server.commands;

/**
 * The request around a command: who sent it, its Idempotency-Key, the operation the key is scoped to
 * (method and path: the same key on another endpoint or repository is another key), the fingerprint
 * of the request (so a reused key with a different request is refused), a correlation id, and whether
 * the client asked not to wait for projections ({@code ?async=true}).
 */
public record CommandContext(Actor actor, String idempotencyKey, String idempotencyScope, String fingerprint,
    String correlationId, boolean async) {}
