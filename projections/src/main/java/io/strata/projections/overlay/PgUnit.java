package io.strata.projections.overlay;

import io.strata.projections.rowdata.RowDataRoles;
import io.strata.projections.rowdata.UnitOfWork;
import io.vertx.mutiny.sqlclient.SqlConnection;
import java.util.Objects;

/** PostgreSQL's unit of work: a connection, in a transaction its opener begins and ends. */
public record PgUnit(SqlConnection connection) implements UnitOfWork {
  /** The PostgreSQL backend's roles: overlays beside the tables, in the table's own database. */
  public static final RowDataRoles ROLES = new RowDataRoles(new PgTracking(), new PgBranchObjects(),
      new PgWorkingState(), new PgChangeSets(), new PgStateReads(), new PgQueryAccess(), new PgMerges(),
      new PgTableMaking());

  public PgUnit {
    Objects.requireNonNull(connection, "connection");
  }

  @Override
  public RowDataRoles roles() {
    return ROLES;
  }

  /** The connection of a PostgreSQL unit; refuses a unit of another backend. */
  public static SqlConnection of(UnitOfWork unit) {
    if (unit instanceof PgUnit pg) {
      return pg.connection();
    }
    throw new IllegalArgumentException("not a PostgreSQL unit of work: "
        + (unit == null ? "null" : unit.getClass().getName()));
  }
}
