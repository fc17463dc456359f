package io.strata.projections.overlay;

import io.strata.projections.rowdata.MergesContract;
import io.strata.projections.rowdata.RowDataBackend;
import io.vertx.mutiny.sqlclient.SqlConnection;

class PgMergesTest extends MergesContract<SqlConnection> {
  @Override
  protected RowDataBackend<SqlConnection> backend() {
    return PgRowDataBackend.shared();
  }
}
