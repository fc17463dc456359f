package io.strata.projections.overlay;

import io.strata.projections.rowdata.MergeRulesContract;
import io.strata.projections.rowdata.RowDataBackend;
import io.vertx.mutiny.sqlclient.SqlConnection;

/** PL/pgSQL's merge ({@code strata.merge_images} and the plan around it) against the merge rules. */
class PgMergeRulesTest extends MergeRulesContract<SqlConnection> {
  @Override
  protected RowDataBackend<SqlConnection> backend() {
    return PgRowDataBackend.shared();
  }
}
