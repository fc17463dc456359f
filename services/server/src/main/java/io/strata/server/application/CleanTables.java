package io.strata.server.application;

import io.smallrye.mutiny.Uni;
import io.strata.projections.rowdata.BranchRef;
import io.strata.projections.rowdata.UnitOfWork;
import io.strata.projections.rowdata.TrackedTable;
import io.strata.projections.rowdata.WorkingState;
import io.strata.projections.rowdata.WorkingStatus;
import io.strata.server.domain.ErrorCode;
import io.strata.server.domain.StrataException;
import java.util.Map;

/**
 * The guard of every operation that writes a branch's working state as a whole (merge, revert,
 * cherry-pick, reset or rebase in another database, stash applied): the table's writers are held off
 * until the transaction ends, and working changes in it refuse the operation (409
 * {@code WorkingChangesPresent}) rather than being overwritten.
 */
final class CleanTables {
  private CleanTables() {}

  /** {@code operation}: what would write the table, for the message ("the merge", "a rebase"). */
  static Uni<Void> require(UnitOfWork c, TrackedTable table, BranchRef ref, String operation) {
    WorkingState<UnitOfWork> working = c.roles().workingState();
    return working.holdWriters(c, table, ref)
        .chain(() -> working.status(c, table, ref))
        .invoke((WorkingStatus s) -> {
          if (!s.staged().isEmpty() || !s.unstaged().isEmpty()) {
            throw new StrataException(ErrorCode.WorkingChangesPresent, "branch '" + ref.name()
                + "' has uncommitted changes in table '" + table.name() + "', which " + operation + " would write:"
                + " commit, stash or discard them first", Map.of("branch", ref.name(), "table", table.name(),
                "inserted", s.staged().inserted() + s.unstaged().inserted(),
                "updated", s.staged().updated() + s.unstaged().updated(),
                "deleted", s.staged().deleted() + s.unstaged().deleted()));
          }
        })
        .replaceWithVoid();
  }
}
