package io.strata.projections.overlay;

import io.strata.projections.rowdata.StateReadsContract;
import io.strata.projections.rowdata.RowDataBackend;
import io.vertx.mutiny.sqlclient.SqlConnection;

class PgStateReadsTest extends StateReadsContract<SqlConnection> {
  @Override
  protected RowDataBackend<SqlConnection> backend() {
    return PgRowDataBackend.shared();
  }
}
