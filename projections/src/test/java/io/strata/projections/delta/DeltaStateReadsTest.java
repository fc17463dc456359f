package io.strata.projections.delta;

import io.strata.projections.rowdata.RowDataBackend;
import io.strata.projections.rowdata.StateReadsContract;
import io.strata.projections.rowdata.UnitOfWork;

class DeltaStateReadsTest extends StateReadsContract<UnitOfWork> {
  @Override
  protected RowDataBackend<UnitOfWork> backend() {
    return DeltaRowDataBackend.shared();
  }
}
