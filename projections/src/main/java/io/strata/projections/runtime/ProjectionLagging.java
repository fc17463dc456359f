package io.strata.projections.runtime;

/** Projections did not reach the awaited point in time. */
public final class ProjectionLagging extends RuntimeException {
  public ProjectionLagging(String message) {
    super(message);
  }
}
