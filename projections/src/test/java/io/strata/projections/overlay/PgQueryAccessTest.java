package io.strata.projections.overlay;

import io.strata.projections.rowdata.QueryAccessContract;
import io.strata.projections.rowdata.RowDataBackend;
import io.strata.projections.rowdata.UnitOfWork;

class PgQueryAccessTest extends QueryAccessContract<UnitOfWork> {
  @Override
  protected RowDataBackend<UnitOfWork> backend() {
    return PgRowDataBackend.shared();
  }
}
