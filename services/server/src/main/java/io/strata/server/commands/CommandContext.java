package io.strata.server.commands;

/**
 * The request around a command: who sent it, its Idempotency-Key and the fingerprint of the request
 * (so a reused key with a different request is refused), a correlation id, and whether the client
 * asked not to wait for projections ({@code ?async=true}).
 */
public record CommandContext(
    Actor actor, String idempotencyKey, String fingerprint, String correlationId, boolean async) {}
