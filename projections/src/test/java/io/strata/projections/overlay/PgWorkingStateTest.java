package io.strata.projections.overlay;

import io.strata.projections.rowdata.RowDataBackend;
import io.strata.projections.rowdata.WorkingStateContract;
import io.vertx.mutiny.sqlclient.SqlConnection;

class PgWorkingStateTest extends WorkingStateContract<SqlConnection> {
  @Override
  protected RowDataBackend<SqlConnection> backend() {
    return PgRowDataBackend.shared();
  }
}
