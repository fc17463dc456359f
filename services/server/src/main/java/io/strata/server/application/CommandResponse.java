package io.strata.server.application;

/**
 * The HTTP answer of a command, already serialised: what idempotent retries replay byte for byte.
 *
 * @param version the stream version after the command (0 when nothing was appended)
 * @param replayed true when the answer comes from an earlier request with the same Idempotency-Key
 * @param lagging true when projections had not caught up when the answer was sent
 */
public record CommandResponse(int status, String body, long position, long version, boolean replayed, boolean lagging) {
  public CommandResponse withLagging() {
    return new CommandResponse(status, body, position, version, replayed, true);
  }
}
