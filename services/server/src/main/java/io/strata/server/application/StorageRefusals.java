package io.strata.server.application;

/**
 * Failures a storage raises that refuse a request rather than report a fault (the API answers them 422, naming why):
 * what Strata does not do with Delta tables yet, a value a Delta column does not take, a Delta state its log no longer
 * has. A command failing so is no server error, and is not logged as one.
 */
final class StorageRefusals {
  private StorageRefusals() {}

  static boolean is(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof io.strata.projections.delta.DeltaUnsupported
          || t instanceof io.strata.projections.delta.ClientValues.Refused
          || t instanceof io.strata.projections.delta.DeltaStateGone) {
        return true;
      }
    }
    return false;
  }

  /** Whether {@code failure} is a Delta state Strata recorded that its table's log no longer has. */
  static boolean lostHistory(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof io.strata.projections.delta.DeltaStateGone) {
        return true;
      }
    }
    return false;
  }
}
