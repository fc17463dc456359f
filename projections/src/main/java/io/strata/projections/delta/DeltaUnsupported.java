package io.strata.projections.delta;

/** What Strata does not do with Delta Lake tables yet: refused by name, nothing changed. */
public final class DeltaUnsupported extends UnsupportedOperationException {
  public DeltaUnsupported(String what) {
    super(what + " is not supported for Delta Lake tables yet");
  }

  private DeltaUnsupported(String message, boolean asIs) {
    super(message);
  }

  /** A refusal saying why in its own words (what a table asks of writers that Strata's commits do not do). */
  static DeltaUnsupported because(String message) {
    return new DeltaUnsupported(message, true);
  }
}
