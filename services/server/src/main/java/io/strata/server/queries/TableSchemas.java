package io.strata.server.queries;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.strata.events.TableShape;
import io.strata.projections.rowdata.ShapeChange;
import io.strata.projections.rowdata.ShapeDiff;
import io.strata.projections.rowdata.TrackedTable;
import io.strata.projections.rowdata.Tracking;
import io.strata.projections.rowdata.UnitOfWork;
import io.strata.projections.tables.TableRow;
import io.strata.server.domain.ColumnLayouts;
import io.strata.server.runtime.StorageBackends;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.Comparator;
import java.util.List;

/**
 * A tracked table's shape as Strata recorded it against the table as it is now in its storage: the
 * DDL made since (drift), each change with the statements that made it and the statements that
 * revert all of it. Read in a rolled-back transaction of the table's storage.
 */
@ApplicationScoped
public class TableSchemas {
  private final StorageBackends backends;

  @Inject
  public TableSchemas(StorageBackends backends) {
    this.backends = backends;
  }

  /** One change since the shape was recorded, with the statements that made it. */
  public record Change(ShapeChange change, List<String> sql) {}

  /**
   * The recorded shape and the live one ({@code null} when the table is gone), what turned the one into
   * the other (change by change, and as one migration in order: {@code forwardSql}, what a migration file
   * of the change holds), and what turns it back: change by change (their own destructive flags: a
   * revert drops what was added since) and as the statements of one migration, in order.
   */
  public record Drift(TableShape recorded, TableShape live, boolean keyHolds, List<Change> changes,
      List<String> forwardSql, List<Change> revert, List<String> revertSql) {
    public boolean inSync() {
      return live != null && changes.isEmpty();
    }
  }

  /** One tracked table's drift, in a report of the repository's. */
  public record TableDrift(TableRow table, Drift drift) {
    /**
     * Whether the shape found may be recorded as it is: the table exists, its columns are the recorded
     * ones and its key still identifies its rows.
     */
    public boolean recordable() {
      return drift.live() != null && drift.keyHolds()
          && ColumnLayouts.same(drift.live().tableColumns(), drift.recorded().tableColumns());
    }
  }

  /**
   * Every tracked table of the repository that is not as recorded (changed past the DDL guard, or gone),
   * in name order. Tables are read one after the other: a repository's report holds one connection of
   * a storage at a time.
   */
  public Uni<List<TableDrift>> drifts(String repository, List<TableRow> tracked) {
    return Multi.createFrom().iterable(tracked.stream().sorted(Comparator.comparing(TableRow::name)).toList())
        .onItem().transformToUniAndConcatenate(t -> drift(repository, t).map(d -> new TableDrift(t, d)))
        .filter(d -> !d.drift().inSync())
        .collect().asList();
  }

  public Uni<Drift> drift(String repository, TableRow table) {
    return drift(repository, table, table.toEvent().knownShape());
  }

  /**
   * The drift of the table now from {@code recorded}, a shape Strata recorded for it (the default
   * branch's, or the one at a commit: the DDL made since that commit, and what turns the table back).
   */
  public Uni<Drift> drift(String repository, TableRow table, TableShape recorded) {
    TrackedTable tracked = TrackedTable.of(repository, table);
    return backends.inRolledBackTransaction(repository, table.storage(), unit -> {
      Tracking<UnitOfWork> tracking = unit.roles().tracking();
      return tracking.shape(unit, table.schema(), table.table()).chain(found -> {
        if (found.isEmpty()) {
          return Uni.createFrom().item(new Drift(recorded, null, false, List.of(), List.of(), List.of(), List.of()));
        }
        TableShape live = found.get();
        List<ShapeChange> forth = ShapeDiff.between(recorded, live);
        List<ShapeChange> back = ShapeDiff.between(live, recorded);
        return tracking.keyHolds(unit, tracked).map(key -> new Drift(recorded, live, key,
            changes(tracking, tracked, forth), tracking.migration(tracked, forth), changes(tracking, tracked, back),
            tracking.migrationPastGuard(tracked, back)));
      });
    });
  }

  private static List<Change> changes(Tracking<UnitOfWork> tracking, TrackedTable table, List<ShapeChange> changes) {
    return changes.stream().map(c -> new Change(c, tracking.migration(table, List.of(c)))).toList();
  }
}
