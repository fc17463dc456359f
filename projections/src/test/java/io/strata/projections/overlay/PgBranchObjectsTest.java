package io.strata.projections.overlay;

import io.strata.projections.rowdata.BranchObjectsContract;
import io.strata.projections.rowdata.RowDataBackend;
import io.vertx.mutiny.sqlclient.SqlConnection;

class PgBranchObjectsTest extends BranchObjectsContract<SqlConnection> {
  @Override
  protected RowDataBackend<SqlConnection> backend() {
    return PgRowDataBackend.shared();
  }
}
