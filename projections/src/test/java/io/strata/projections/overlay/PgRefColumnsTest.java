package io.strata.projections.overlay;

import io.strata.projections.rowdata.RefColumnsContract;
import io.strata.projections.rowdata.RowDataBackend;
import io.strata.projections.rowdata.UnitOfWork;

class PgRefColumnsTest extends RefColumnsContract<UnitOfWork> {
  @Override
  protected RowDataBackend<UnitOfWork> backend() {
    return PgRowDataBackend.shared();
  }
}
