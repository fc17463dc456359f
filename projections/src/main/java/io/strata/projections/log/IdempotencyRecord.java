package io.strata.projections.log;

/**
 * The answer a command gave, kept under the client's Idempotency-Key so that a retry replays it.
 * {@code fingerprint} identifies the request (method, path, body) so that a key reused for a
 * different request is refused rather than answered with someone else's result.
 */
public record IdempotencyRecord(String key, String fingerprint, int status, String response, long position,
    String branchIncarnation) {
  /**
   * {@code branchIncarnation}: which incarnation of the branch the request named it wrote to (null when it
   * names none); the key replays only into that one.
   */
  public IdempotencyRecord {}

  public IdempotencyRecord(String key, String fingerprint, int status, String response, long position) {
    this(key, fingerprint, status, response, position, null);
  }

  IdempotencyRecord at(long newPosition) {
    return new IdempotencyRecord(key, fingerprint, status, response, newPosition, branchIncarnation);
  }
}
