package io.strata.projections.overlay;

import io.strata.projections.rowdata.StateReadsContract;
import io.strata.projections.rowdata.RowDataBackend;
import io.strata.projections.rowdata.UnitOfWork;

class PgStateReadsTest extends StateReadsContract<UnitOfWork> {
  @Override
  protected RowDataBackend<UnitOfWork> backend() {
    return PgRowDataBackend.shared();
  }
}
