package io.strata.projections.delta;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.strata.projections.rowdata.RowDataBackend;
import io.strata.projections.rowdata.TrackedTable;
import io.strata.projections.rowdata.Tracking;
import io.strata.projections.rowdata.TrackingContract;
import io.strata.projections.rowdata.UnitOfWork;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DeltaTrackingTest extends TrackingContract<UnitOfWork> {
  @Override
  protected RowDataBackend<UnitOfWork> backend() {
    return DeltaRowDataBackend.shared();
  }

  /** Delta declares no key: the one a client gives is held to the rows, which it must identify, none of it null. */
  @Test
  void aDeclaredKeyThatDoesNotIdentifyTheRowsIsRefused() {
    TrackedTable t = backend().newUntrackedTable("repo_keys", "items", Map.of(1, "same", 2, "same", 3, "c"));
    assertThatThrownBy(() -> backend().inUnitOfWork(t, x -> backend().tracking().inspect(x, t.schema(), t.table(),
        List.of("v"))))
        .isInstanceOfSatisfying(Tracking.Untrackable.class, e -> assertThat(e.getMessage()).contains("identify"));
    TrackedTable withNull = backend().newUntrackedTable("repo_keys", "nulls", new java.util.HashMap<>(Map.of(1, "a")));
    backend().upsert(withNull, RowDataBackend.DEFAULT_BRANCH, 2, null);
    assertThatThrownBy(() -> backend().inUnitOfWork(withNull, x -> backend().tracking().inspect(x, withNull.schema(),
        withNull.table(), List.of("v"))))
        .isInstanceOfSatisfying(Tracking.Untrackable.class, e -> assertThat(e.getMessage()).contains("no value"));
    assertThatThrownBy(() -> backend().inUnitOfWork(t, x -> backend().tracking().inspect(x, t.schema(), t.table(),
        null)))
        .isInstanceOfSatisfying(Tracking.Untrackable.class, e -> assertThat(e.getMessage()).contains("primary_key"));
  }
}
