package io.strata.projections.overlay;

import io.strata.projections.rowdata.TrackingContract;
import io.strata.projections.rowdata.RowDataBackend;
import io.strata.projections.rowdata.UnitOfWork;

class PgTrackingTest extends TrackingContract<UnitOfWork> {
  @Override
  protected RowDataBackend<UnitOfWork> backend() {
    return PgRowDataBackend.shared();
  }
}
