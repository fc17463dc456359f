package io.strata.projections.overlay;

import io.strata.projections.rowdata.ChangeSetsContract;
import io.strata.projections.rowdata.RowDataBackend;
import io.strata.projections.rowdata.UnitOfWork;

class PgChangeSetsTest extends ChangeSetsContract<UnitOfWork> {
  @Override
  protected RowDataBackend<UnitOfWork> backend() {
    return PgRowDataBackend.shared();
  }
}
