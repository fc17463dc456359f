package io.strata.projections.delta;

import io.strata.projections.rowdata.RowDataBackend;
import io.strata.projections.rowdata.WorkingStateContract;
import io.strata.projections.rowdata.UnitOfWork;

class DeltaWorkingStateTest extends WorkingStateContract<UnitOfWork> {
  @Override
  protected RowDataBackend<UnitOfWork> backend() {
    return DeltaRowDataBackend.shared();
  }
}
