package io.strata.projections.overlay;

import io.strata.projections.rowdata.QueryAccessContract;
import io.strata.projections.rowdata.RowDataBackend;
import io.vertx.mutiny.sqlclient.SqlConnection;

class PgQueryAccessTest extends QueryAccessContract<SqlConnection> {
  @Override
  protected RowDataBackend<SqlConnection> backend() {
    return PgRowDataBackend.shared();
  }
}
