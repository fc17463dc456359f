package io.strata.cli;

/** The exit statuses, as {@code strata --help} lists them. */
final class ExitCodes {
  static final int OK = 0;
  static final int CONFLICT = 1;
  static final int USAGE = 2;
  static final int NOT_FOUND_OR_REFUSED = 3;
  static final int NOT_ALLOWED = 4;
  static final int UNAVAILABLE = 5;
  static final int LOCAL = 6;

  private ExitCodes() {}

  /** The status of an HTTP error answer. */
  static int of(int httpStatus) {
    if (httpStatus == 409) {
      return CONFLICT;
    }
    if (httpStatus == 401 || httpStatus == 403) {
      return NOT_ALLOWED;
    }
    if (httpStatus == 0 || httpStatus == 429 || httpStatus >= 500) {
      return UNAVAILABLE;
    }
    return NOT_FOUND_OR_REFUSED;
  }
}
