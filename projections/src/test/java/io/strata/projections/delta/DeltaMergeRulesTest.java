package io.strata.projections.delta;

import io.strata.projections.rowdata.MergeRulesContract;
import io.strata.projections.rowdata.RowDataBackend;
import io.strata.projections.rowdata.UnitOfWork;

/**
 * Delta merges ({@link DeltaMerges}: plans from the changed files, the copy-on-write commit) against the merge rules:
 * the seed's truth table, every strategy, field-level conflicts and reverts, over random three-way cases.
 */
class DeltaMergeRulesTest extends MergeRulesContract<UnitOfWork> {
  @Override
  protected RowDataBackend<UnitOfWork> backend() {
    return DeltaRowDataBackend.shared();
  }
}
