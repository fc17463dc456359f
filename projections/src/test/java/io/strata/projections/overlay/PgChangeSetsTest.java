package io.strata.projections.overlay;

import io.strata.projections.rowdata.ChangeSetsContract;
import io.strata.projections.rowdata.RowDataBackend;
import io.vertx.mutiny.sqlclient.SqlConnection;

class PgChangeSetsTest extends ChangeSetsContract<SqlConnection> {
  @Override
  protected RowDataBackend<SqlConnection> backend() {
    return PgRowDataBackend.shared();
  }
}
