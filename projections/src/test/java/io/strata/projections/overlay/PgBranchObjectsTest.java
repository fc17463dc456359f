package io.strata.projections.overlay;

import io.strata.projections.rowdata.BranchObjectsContract;
import io.strata.projections.rowdata.RowDataBackend;
import io.strata.projections.rowdata.UnitOfWork;

class PgBranchObjectsTest extends BranchObjectsContract<UnitOfWork> {
  @Override
  protected RowDataBackend<UnitOfWork> backend() {
    return PgRowDataBackend.shared();
  }
}
