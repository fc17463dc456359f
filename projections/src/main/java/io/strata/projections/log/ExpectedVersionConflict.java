package io.strata.projections.log;

/** The stream moved since the command read it: re-read and decide again, or report a conflict. */
public final class ExpectedVersionConflict extends RuntimeException {
  private final String streamId;
  private final long expectedVersion;

  public ExpectedVersionConflict(String streamId, long expectedVersion) {
    super("stream " + streamId + " is no longer at version " + expectedVersion);
    this.streamId = streamId;
    this.expectedVersion = expectedVersion;
  }

  public String streamId() {
    return streamId;
  }

  public long expectedVersion() {
    return expectedVersion;
  }
}
