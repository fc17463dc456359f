package io.strata.projections.log;

/**
 * The answer a command gave, kept under the client's Idempotency-Key so that a retry replays it.
 * {@code fingerprint} identifies the request (method, path, body) so that a key reused for a
 * different request is refused rather than answered with someone else's result.
 */
public record IdempotencyRecord(String key, String fingerprint, int status, String response, long position) {}
