package io.strata.projections.delta;

import io.strata.projections.rowdata.RowDataBackend;
import io.strata.projections.rowdata.ChangeSetsContract;
import io.strata.projections.rowdata.UnitOfWork;

class DeltaChangeSetsTest extends ChangeSetsContract<UnitOfWork> {
  @Override
  protected RowDataBackend<UnitOfWork> backend() {
    return DeltaRowDataBackend.shared();
  }
}
