package io.strata.projections.log;

/** Another request stored an answer under the same Idempotency-Key first; nothing was appended. */
public final class IdempotencyKeyTaken extends RuntimeException {
  public IdempotencyKeyTaken(String key) {
    super("idempotency key already used: " + key);
  }
}
