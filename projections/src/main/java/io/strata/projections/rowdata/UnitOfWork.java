package io.strata.projections.rowdata;

/**
 * A backend's unit of work on one storage, opaque to its callers: for PostgreSQL, a connection in a
 * transaction; for another backend, whatever it commits at once. A unit carries its backend's
 * implementation of every row-data role, so the roles a caller uses on a table are always those of the
 * storage its unit was opened on (the server's registry of storages opens them); a role handed a unit
 * of another backend refuses it at once.
 */
public interface UnitOfWork {
  /** Its backend's row-data roles, each working in units of this kind. */
  RowDataRoles roles();
}
