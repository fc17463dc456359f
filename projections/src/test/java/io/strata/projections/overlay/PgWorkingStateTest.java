package io.strata.projections.overlay;

import io.strata.projections.rowdata.RowDataBackend;
import io.strata.projections.rowdata.WorkingStateContract;
import io.strata.projections.rowdata.UnitOfWork;

class PgWorkingStateTest extends WorkingStateContract<UnitOfWork> {
  @Override
  protected RowDataBackend<UnitOfWork> backend() {
    return PgRowDataBackend.shared();
  }
}
