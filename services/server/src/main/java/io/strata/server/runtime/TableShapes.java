package io.strata.server.runtime;

import io.smallrye.mutiny.Uni;
import io.strata.projections.postgres.PgErrors;
import io.strata.projections.rowdata.TrackedTable;
import io.strata.projections.rowdata.UnitOfWork;
import io.strata.server.domain.ErrorCode;
import io.strata.server.domain.ColumnLayouts;
import io.strata.server.domain.StrataException;
import java.util.Map;

/**
 * Detects DDL on tracked tables that got past the database's DDL guard (a session that turned it off,
 * a database where Strata's role may not install it). Overlays, working
 * logs, views and change sets are laid out after the columns' names and types recorded for the table;
 * changes of those are not versioned yet, so an operation on a table whose columns changed is refused
 * with a clear error rather than failing half-way.
 */
public final class TableShapes {
  private TableShapes() {}

  /** Refuses (a 422's error) when the table's columns, read in {@code unit}, are not those it was tracked with. */
  public static Uni<Void> requireUnchanged(UnitOfWork unit, TrackedTable table) {
    return unit.roles().tracking().columns(unit, table).map(now -> {
      if (now.isEmpty()) {
        throw new StrataException(ErrorCode.ValidationError, "tracked table '" + table.name() + "' ("
            + table.schema() + "." + table.table() + ") no longer exists; untrack it", Map.of("table", table.name()));
      }
      ColumnLayouts.requireSame(table.name(), now, table.columns());
      return null;
    });
  }

  /**
   * Explains a failure that a tracked table changed or dropped by DDL would cause (an undefined table,
   * column, type or function, or a mismatched type): with the clear error of {@link #requireUnchanged}
   * if its shape did change, else the failure as it was. Reads check the shape only when they fail.
   */
  public static <T> Uni<T> explain(Throwable failure, StorageBackends backends, String storage, TrackedTable table) {
    PgErrors.Kind kind = PgErrors.kind(failure);
    boolean shapeLike = kind == PgErrors.Kind.UNDEFINED_OBJECT || kind == PgErrors.Kind.TYPE_MISMATCH;
    if (!shapeLike) {
      return Uni.createFrom().failure(failure);
    }
    return backends.withoutTransaction(table.repository(), storage, unit -> requireUnchanged(unit, table))
        .onFailure(e -> !(e instanceof StrataException)).recoverWithNull()
        .chain(() -> Uni.createFrom().failure(failure));
  }

}
