package io.strata.projections.delta;

/** What Strata does not do with Delta Lake tables yet: refused by name, nothing changed. */
public final class DeltaUnsupported extends UnsupportedOperationException {
  public DeltaUnsupported(String what) {
    super(what + " is not supported for Delta Lake tables yet");
  }
}
