package io.strata.projections.overlay;

import io.strata.projections.rowdata.TrackingContract;
import io.strata.projections.rowdata.RowDataBackend;
import io.vertx.mutiny.sqlclient.SqlConnection;

class PgTrackingTest extends TrackingContract<SqlConnection> {
  @Override
  protected RowDataBackend<SqlConnection> backend() {
    return PgRowDataBackend.shared();
  }
}
