package io.strata.projections.delta;

/**
 * A version of a Delta table that Strata recorded (a commit's state, a branch's last commit) and the table's log no
 * longer has: cleaned up after a checkpoint by the table's log retention, or the table removed and made anew at its
 * path outside Strata (its log starts again). What reads that state cannot be answered; nothing was changed.
 */
public final class DeltaStateGone extends RuntimeException {
  DeltaStateGone(String root, long version, Throwable kernel) {
    super("version " + version + " of the Delta table at " + root + " is no longer in its log: it was cleaned up"
        + " (the table's log retention) or the table was removed or made anew at its path outside Strata; a state"
        + " that reads it cannot be rebuilt (a table made anew: untrack it and track it again)", kernel);
  }

  private DeltaStateGone(String message) {
    super(message);
  }

  /** The table at {@code root} has another {@code metaData.id} than the one Strata tracked: made anew at its path. */
  static DeltaStateGone madeAnew(String root, String tracked, String found) {
    return new DeltaStateGone("the Delta table at " + root + " is not the table Strata tracked there: it was removed"
        + " and made anew at its path outside Strata (table id " + found + ", tracked " + tracked + "), so the"
        + " versions Strata recorded read another table; untrack it and track it again");
  }

  /**
   * Whether {@code e} is Kernel's refusal to load a version its log does not have: after its latest version (the log
   * started again) or before its earliest (cleaned up). Kernel says so in words only ({@code DeltaErrors}); {@code
   * DeltaTablesApiTest} pins them.
   */
  static boolean isMissingVersion(RuntimeException e) {
    return e instanceof io.delta.kernel.exceptions.KernelException && e.getMessage() != null
        && e.getMessage().contains("Cannot load table version");
  }
}
