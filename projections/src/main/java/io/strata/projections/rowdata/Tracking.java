package io.strata.projections.rowdata;

import io.smallrye.mutiny.Uni;
import java.util.List;
import java.util.function.BiFunction;

/**
 * Starts and stops versioning a table: from tracking on, every write to the table is captured as a
 * working change of the default branch, and every live branch reads the table apart.
 *
 * @param <X> the backend's unit of work: every call runs in the caller's
 */
public interface Tracking<X> {

  /** The table's rows when tracking began: how many, and the sum of their hashes. */
  record Measured(long rowCount, String rowSum) {}

  /** The table is tracked already, by another repository or under another name. */
  final class AlreadyTracked extends RuntimeException {
    private final String repository;

    public AlreadyTracked(String repository) {
      super("already tracked", null, false, false);
      this.repository = repository;
    }

    public String repository() {
      return repository;
    }
  }

  /**
   * Installs what versions the table, holding off its writers, and gives each of {@code branches}
   * (live, not the default) its objects, reading as the table; then measures the rows, so that every
   * later write is captured and none is missed.
   *
   * @param isStale whether an existing registration of the table (repository, name) is a leftover
   *     that may be replaced; else the table is {@link AlreadyTracked}
   */
  Uni<Measured> track(X tx, TrackedTable table, List<String> branches,
      BiFunction<String, String, Uni<Boolean>> isStale);

  /** Removes everything that versions the table, its branches' objects included; the rows stay. */
  Uni<Void> untrack(X tx, TrackedTable table);
}
