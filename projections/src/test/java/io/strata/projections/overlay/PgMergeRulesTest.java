package io.strata.projections.overlay;

import io.strata.projections.rowdata.MergeRulesContract;
import io.strata.projections.rowdata.RowDataBackend;
import io.strata.projections.rowdata.UnitOfWork;

/** PL/pgSQL's merge ({@code strata.merge_images} and the plan around it) against the merge rules. */
class PgMergeRulesTest extends MergeRulesContract<UnitOfWork> {
  @Override
  protected RowDataBackend<UnitOfWork> backend() {
    return PgRowDataBackend.shared();
  }
}
