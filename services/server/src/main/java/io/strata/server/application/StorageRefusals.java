package io.strata.server.application;

import io.strata.projections.delta.ClientValues;
import io.strata.projections.delta.DeltaStateGone;
import io.strata.projections.delta.DeltaUnsupported;
import java.util.function.Predicate;

/**
 * Failures a storage raises that refuse a request rather than report a fault (the API answers them 422, naming why):
 * what Strata does not do with Delta tables yet, a value a Delta column does not take, a Delta state its log no longer
 * has. A command failing so is no server error, and is not logged as one.
 */
final class StorageRefusals {
  private StorageRefusals() {}

  static boolean is(Throwable failure) {
    return causedBy(failure, t -> t instanceof DeltaUnsupported || t instanceof ClientValues.Refused
        || t instanceof DeltaStateGone);
  }

  /** Whether {@code failure} is a Delta state Strata recorded that its table's log no longer has. */
  static boolean lostHistory(Throwable failure) {
    return causedBy(failure, DeltaStateGone.class::isInstance);
  }

  /** Whether {@code failure} is a Delta storage's S3 server failing (the request answered 503, to be retried). */
  static boolean unavailable(Throwable failure) {
    return io.strata.projections.delta.S3Failures.of(failure) != null;
  }

  private static boolean causedBy(Throwable failure, Predicate<Throwable> kind) {
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (kind.test(t)) {
        return true;
      }
    }
    return false;
  }
}
