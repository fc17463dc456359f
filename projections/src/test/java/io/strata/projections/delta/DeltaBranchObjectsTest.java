package io.strata.projections.delta;

import io.strata.projections.rowdata.RowDataBackend;
import io.strata.projections.rowdata.BranchObjectsContract;
import io.strata.projections.rowdata.UnitOfWork;

class DeltaBranchObjectsTest extends BranchObjectsContract<UnitOfWork> {
  @Override
  protected RowDataBackend<UnitOfWork> backend() {
    return DeltaRowDataBackend.shared();
  }
}
