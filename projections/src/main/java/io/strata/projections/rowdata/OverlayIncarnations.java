package io.strata.projections.rowdata;

import io.smallrye.mutiny.Uni;
import java.util.Optional;

/**
 * Which making of a branch's objects is there, for storages whose branch objects outlive the command's own
 * transaction (another database than the event log's): a deletion removes the objects it saw, never ones made anew
 * under the branch's name since (by another server), and a sweep finds objects no branch has. A storage whose branch
 * objects go with the command's own events needs none of it, and tells none.
 *
 * @param <X> the backend's unit of work
 */
public interface OverlayIncarnations<X> {

  /**
   * Which making of {@code branch}'s objects of {@code table} is there (empty: none): a token that differs for
   * objects made anew under the branch's name, for {@link #remove(Object, TrackedTable, String, String)}. A storage
   * whose branch objects go with the command's own events (in the append transaction) needs none, and tells none.
   */
  default Uni<Optional<String>> incarnation(X tx, TrackedTable table, String branch) {
    return Uni.createFrom().failure(new UnsupportedOperationException("branch objects here have no incarnation"));
  }

  /**
   * Removes {@code branch}'s objects of {@code table} if they are still those of {@code incarnation} ({@link
   * #incarnation}): objects made anew under the name since (a branch created again, by another server) stay. Answers
   * whether it removed them.
   */
  default Uni<Boolean> remove(X tx, TrackedTable table, String branch, String incarnation) {
    return Uni.createFrom().failure(new UnsupportedOperationException("branch objects here have no incarnation"));
  }

  /**
   * The branches with objects of {@code table} made more than {@code age} ago, by name, each with its {@link
   * #incarnation}: what a sweep for objects that no branch has (a deletion's clean-up that never ran) looks at.
   */
  default Uni<java.util.Map<String, String>> madeBefore(X tx, TrackedTable table, java.time.Duration age) {
    return Uni.createFrom().item(java.util.Map.of());
  }
}
