package io.strata.projections.rowdata;

import io.smallrye.mutiny.Uni;
import java.util.Optional;

/**
 * What a branch of a repository has of each tracked table: whatever lets it read and write the table
 * apart from every other branch, at a cost of O(rows it changed), never O(table). The default branch
 * reads and writes the table itself and has none.
 *
 * @param <X> the backend's unit of work: every call runs in the caller's, and a failure leaves it to
 *     be rolled back
 */
public interface BranchObjects<X> {

  /**
   * Gives {@code branch} its objects of {@code table}, reading as the default branch's working state
   * with {@code start} applied (the branch's start commit, as a path from that state). Whatever an
   * earlier attempt left for the branch is replaced. Writes to the table from now on no longer reach
   * the branch, and the branch's writes never reach the table.
   */
  Uni<Void> create(X tx, TrackedTable table, String branch, StatePath start);

  /** Removes {@code branch}'s objects of {@code table}; none there is not an error. */
  Uni<Void> remove(X tx, TrackedTable table, String branch);

  /**
   * Where clients read and write {@code table} on {@code branch}: the table's own name on the default
   * branch, else the branch's (for PostgreSQL, an updatable view); empty when the branch has none.
   */
  Uni<Optional<String>> location(X tx, TrackedTable table, BranchRef branch);
}
