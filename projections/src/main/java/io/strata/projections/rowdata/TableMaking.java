package io.strata.projections.rowdata;

import io.smallrye.mutiny.Uni;
import io.strata.events.TableShape;
import java.util.List;

/**
 * Tables Strata makes (docs/schema-versioning.md, "Tables made on a branch"): made in their storage, or held at a
 * place of Strata's own while a branch other than the default one alone has them, moved to their place when a merge
 * brings them into the default branch, dropped again when their making is refused. Tracking them is {@link
 * Tracking}'s.
 *
 * @param <X> the unit of work the operations run in
 */
public interface TableMaking<X> {
  /**
   * Makes table {@code schema.table} with {@code columns} (definitions the database gave: types it printed,
   * defaults it wrote) and primary key {@code key}, in the caller's transaction: a table to track. Fails with
   * {@link Tracking.Untrackable} when the database refuses it (missing if the schema does not exist), {@link
   * Tracking.AlreadyTracked} never: a table of that name there already is {@link Tracking.TableExists}. {@code
   * properties}: the table's own properties where its storage has them (a Delta table's, checked by the caller:
   * {@code DeltaTableMaking.properties}); a PostgreSQL table has none.
   */
  Uni<Void> create(X tx, String schema, String table, List<TableShape.Column> columns, List<String> key,
      java.util.Map<String, String> properties);

  /**
   * Drops the table {@link #create} made, when tracking it was refused afterwards: only while it holds no
   * rows (a client may have written to it since), else it stays.
   */
  Uni<Void> dropMade(X tx, String schema, String table);

  /**
   * Removes what a table made on a branch left at {@link #aside} (an untrack or a repository deletion that failed
   * part-way, a making refused after its table was made): what versioned it, then the table. Nothing when there is
   * none.
   */
  Uni<Void> clearAside(X tx, String repository, String name);

  /** Where a table is in its storage: schema and name. */
  record Place(String schema, String table) {}

  /**
   * Where a table made on a branch other than the default one lives until a merge brings it into the default
   * branch (Strata's own place, which no client names): empty, its rows in the branches' objects.
   */
  Place aside(String repository, String name);

  /**
   * The name PostgreSQL gives the primary key's constraint of a table named {@code table} made without naming it:
   * {@code <table>_pkey}, the table's name cut to keep it within 63 bytes (a place's names are ASCII).
   */
  static String keyConstraint(String table) {
    return table.substring(0, Math.min(table.length(), 63 - "_pkey".length())) + "_pkey";
  }

  /**
   * Moves table {@code aside}, made on a branch and held at {@link #aside}, to its place {@code schema.table} on the
   * default branch: no row copied (it holds none), what versions it made again there; waits at most {@code
   * lockTimeout} for its locks (else {@link Tracking.Busy}, nothing changed). Fails with {@link Tracking.TableExists} when another table
   * is at the place; idempotent once done. Its primary key's constraint, named for Strata's place, is renamed as
   * PostgreSQL names a table's key ({@link #keyConstraint}); the name it has there is the answer.
   */
  Uni<String> place(X tx, TrackedTable aside, String schema, String table, java.time.Duration lockTimeout);

}
