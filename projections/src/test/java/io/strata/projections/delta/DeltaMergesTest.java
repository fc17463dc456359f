package io.strata.projections.delta;

import io.strata.projections.rowdata.RowDataBackend;
import io.strata.projections.rowdata.MergesContract;
import io.strata.projections.rowdata.UnitOfWork;

class DeltaMergesTest extends MergesContract<UnitOfWork> {
  @Override
  protected RowDataBackend<UnitOfWork> backend() {
    return DeltaRowDataBackend.shared();
  }
}
