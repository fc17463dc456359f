package io.strata.projections.overlay;

import io.smallrye.mutiny.Uni;
import io.strata.projections.rowdata.TrackedTable;
import io.strata.projections.rowdata.UnitOfWork;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import java.util.Optional;

/**
 * Which making of a branch's overlay is registered ({@link io.strata.projections.rowdata.OverlayIncarnations}), and
 * removal of one making only: what {@link PgBranchObjects} answers for a deletion's clean-up in another database and
 * for the sweep of overlays no branch has.
 */
final class PgOverlayIncarnations {

  /** Removes a branch's objects of a table, whichever making they are ({@link PgBranchObjects#remove}). */
  interface Removal {
    Uni<Void> remove(UnitOfWork unit, TrackedTable table, String branch);
  }

  /**
   * Which making of an overlay it is: its fork epoch (new at every creation) and its registration time (for an epoch
   * counted again after the table was tracked anew).
   */
  private static final String INCARNATION_OF = "o.fork_epoch || '@' || (extract(epoch from o.created_at) * 1000000)::bigint";

  /** The incarnation of a branch's overlay ($1 = tid, $2 = bid), if it has one. */
  private static final String INCARNATION = "select " + INCARNATION_OF
      + " from strata.branch_overlays o where o.tid = $1 and o.bid = $2";

  /** The branches with an overlay of a table ($1 = tid) registered more than $2 seconds ago, with its incarnation. */
  private static final String MADE_BEFORE = "select o.branch, " + INCARNATION_OF
      + " from strata.branch_overlays o where o.tid = $1 and o.created_at < now() - make_interval(secs => $2)";

  private final Removal removal;

  PgOverlayIncarnations(Removal removal) {
    this.removal = removal;
  }

  /** The incarnation of {@code branch}'s overlay of {@code table}, if it has one. */
  Uni<Optional<String>> of(UnitOfWork unit, TrackedTable table, String branch) {
    return PgUnit.of(unit).preparedQuery(INCARNATION)
        .execute(Tuple.of(table.id(), table.branchId(branch)))
        .map(rows -> rows.size() == 0 ? Optional.<String>empty() : Optional.of(rows.iterator().next().getString(0)));
  }

  Uni<Boolean> remove(UnitOfWork unit, TrackedTable table, String branch, String incarnation) {
    SqlConnection tx = PgUnit.of(unit);
    // looked at before the table's lock (taken by no removal that has nothing to remove), then under it, which every
    // making and removal of its branches' objects takes: objects made anew under the name were made before it
    // (another incarnation: they stay) or wait for this transaction's end
    return of(unit, table, branch)
        .chain(seen -> !seen.filter(incarnation::equals).isPresent() ? Uni.createFrom().item(false)
            : tx.query(PgBranchObjects.STRATA_OWN_DDL + OverlaySql.of(table).lockAgainstWriters()).execute()
                .chain(() -> of(unit, table, branch))
                .chain(there -> !there.filter(incarnation::equals).isPresent() ? Uni.createFrom().item(false)
                    : removal.remove(unit, table, branch).replaceWith(true)));
  }

  Uni<java.util.Map<String, String>> madeBefore(UnitOfWork unit, TrackedTable table, java.time.Duration age) {
    return PgUnit.of(unit).preparedQuery(MADE_BEFORE)
        .execute(Tuple.of(table.id(), (double) age.toSeconds()))
        .map(rows -> {
          java.util.Map<String, String> made = new java.util.TreeMap<>();
          rows.forEach(r -> made.put(r.getString(0), r.getString(1)));
          return made;
        });
  }
}
