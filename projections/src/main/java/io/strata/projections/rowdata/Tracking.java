package io.strata.projections.rowdata;

import io.smallrye.mutiny.Uni;
import io.strata.events.TableColumn;
import io.strata.events.TableShape;
import java.util.List;
import java.util.Optional;
import java.util.function.BiFunction;

/**
 * Starts and stops versioning a table: from tracking on, every write to the table is captured as a
 * working change of the default branch, and every live branch reads the table apart.
 *
 * @param <X> the backend's unit of work: every call runs in the caller's
 */
public interface Tracking<X> {

  /**
   * A DDL command on a tracked table that the backend followed (let through, its shape perhaps changed)
   * and that no event records yet.
   *
   * @param table the table's name in the repository
   * @param schema the table's schema in its database
   * @param relation the table's name in its database
   * @param command the command's tag ({@code ALTER TABLE}, {@code CREATE INDEX}, …)
   * @param object what it touched, as the database names it (an index, a constraint, the table, a column)
   * @param actor the database user that ran it (the session's login)
   */
  record FollowedDdl(long id, String repository, String table, String schema, String relation, String command,
      String object, String actor, java.time.Instant at) {}

  /** The table's rows when tracking began: how many, and the sum of their hashes. */
  record Measured(long rowCount, String rowSum) {}

  /** A table's shape as tracking finds it: its columns and the key its rows are versioned by. */
  record Shape(List<TableColumn> columns, List<String> primaryKey) {}

  /** Why a table cannot be tracked: it does not exist, or it has no usable key. */
  final class Untrackable extends RuntimeException {
    private final boolean missing;

    public Untrackable(String message, boolean missing) {
      super(message, null, false, false);
      this.missing = missing;
    }

    /** True when the table does not exist (404) rather than being unsuitable (422). */
    public boolean missing() {
      return missing;
    }
  }

  /** The table is tracked already, by another repository or under another name. */
  final class AlreadyTracked extends RuntimeException {
    private final String repository;

    public AlreadyTracked(String repository) {
      super("already tracked", null, false, false);
      this.repository = repository;
    }

    public String repository() {
      return repository;
    }
  }

  /** A table to be made exists already where it is to be. */
  final class TableExists extends RuntimeException {
    public TableExists(String message) {
      super(message, null, false, false);
    }
  }

  /**
   * The shape the table at {@code schema.table} would be tracked with: its columns, and its primary key
   * or the {@code requestedKey} (non-null columns covered exactly by a unique index); fails with
   * {@link Untrackable} when it cannot be tracked.
   */
  Uni<Shape> inspect(X tx, String schema, String table, List<String> requestedKey);

  /**
   * Installs what versions the table, holding off its writers, and gives each of {@code branches}
   * (live, not the default) its objects, reading as the table; then measures the rows, so that every
   * later write is captured and none is missed.
   *
   * @param isStale whether an existing registration of the table (repository, name) is a leftover
   *     that may be replaced; else the table is {@link AlreadyTracked}
   */
  Uni<Measured> track(X tx, TrackedTable table, List<String> branches,
      BiFunction<String, String, Uni<Boolean>> isStale);

  /** Removes everything that versions the table, its branches' objects included; the rows stay. */
  Uni<Void> untrack(X tx, TrackedTable table);

  /**
   * The table's columns as they are now (empty when the table is gone): a command compares them with
   * the columns it was tracked with before it works on the table.
   */
  Uni<List<TableColumn>> columns(X tx, TrackedTable table);

  /**
   * The columns what versions table {@code schema.table} (tracked in {@code repository} as {@code name})
   * records its rows in (empty when it is not tracked here): the table's own once they are followed. A
   * column added past the DDL guard is in the table and not here.
   */
  Uni<List<TableColumn>> versionedColumns(X tx, String repository, String name, String schema, String table);

  /**
   * Follows columns the table gained (a nullable column added, or one with a constant default): what
   * versions it records them from now on, and every live branch keeps its own columns, as {@link
   * TrackedTable#refColumns} will name them. Idempotent.
   */
  Uni<Void> followColumns(X tx, TrackedTable table);

  /**
   * Adds {@code columns} (definitions a branch added: constant defaults) to the table itself, online: one
   * ALTER TABLE that waits at most {@code lockTimeout} for its lock (then fails with {@link Busy}, nothing
   * changed) and rewrites no row. The table's database follows it as it follows any column added (what
   * versions it, and the branches reading the table, in the same transaction). A column the table has
   * already is left as it is.
   */
  Uni<Void> addColumns(X tx, TrackedTable table, List<TableShape.Column> columns, java.time.Duration lockTimeout);

  /**
   * Gives the table's columns {@code columns} names the NOT NULL rule and default {@code columns} defines
   * (a branch's, merged into the default branch), online: one ALTER TABLE that waits at most {@code lockTimeout}
   * for its lock (then {@link Busy}, nothing changed) and rewrites no row (NOT NULL scans the table under the
   * lock; a null fails it with SQLSTATE 23502, nothing changed). The DDL guard follows it.
   */
  Uni<Void> redefineColumns(X tx, TrackedTable table, List<TableShape.Column> columns, java.time.Duration lockTimeout);

  /**
   * Adds CHECK constraints {@code checks} (a branch's, merged into the default branch) to the table itself, each
   * added NOT VALID (waiting at most {@code lockTimeout} for its lock: {@link Busy}), then the table's rows looked
   * at under that lock (a row that fails: {@link BranchObjects.CheckFailed}, naming its key; the caller's
   * transaction rolls it all back) and the constraint validated. The lock is held to the caller's commit, so
   * writers wait for the scan. The DDL guard follows it.
   */
  Uni<Void> addChecks(X tx, TrackedTable table, List<TableShape.Constraint> checks, java.time.Duration lockTimeout);

  /**
   * Makes unique rules {@code uniques} (a branch's, of kind {@code unique}, {@code UNIQUE (a, b)}, merged into the
   * default branch) the table's own constraints without holding its writers: each a {@code CREATE UNIQUE INDEX
   * CONCURRENTLY} under the rule's name, then {@code ADD CONSTRAINT … UNIQUE USING INDEX}, on {@code conn} outside any
   * transaction, waits at most {@code lockTimeout} ({@link Busy}). A constraint of the name the table has already,
   * defined alike, is kept (a retried merge). Rows of the table that share the values, or a name another object has:
   * {@link IndexRefused}, the index not left behind. The DDL guard follows each.
   */
  Uni<Void> promoteUniques(X conn, TrackedTable table, List<TableShape.Constraint> uniques, java.time.Duration lockTimeout);

  /**
   * Before {@link #promoteUniques} (and in a dry run of the merge), in {@code tx}, read only: two rows of the table that
   * share the values of a rule of {@code uniques} the table does not hold yet refuse it ({@link IndexRefused} naming
   * their keys), before the merge changes anything. The build looks again (rows written meanwhile); looking longer
   * than a check's scan of a branch may passes, leaving it to the build.
   */
  Uni<Void> requireUnshared(X tx, TrackedTable table, List<TableShape.Constraint> uniques);

  /**
   * Builds indexes {@code indexes} (a branch's, rules of kind {@link TableShape#INDEX}, merged into the default
   * branch) on the table itself without holding its writers: each {@code CREATE INDEX CONCURRENTLY} under its own
   * name, on {@code conn} outside any transaction, its waits for locks and older transactions at most {@code
   * lockTimeout} each ({@link Busy}; also while another session builds an index of the name). An index of the name
   * the table has already, built as given, is kept (a build interrupted before and retried); one left invalid by an
   * interrupted or timed-out build (PostgreSQL keeps it, enforcing nothing) is dropped and built again. A name
   * another object has, a row of the table the index cannot hold (an entry too large), or a table whose kind is not
   * indexed CONCURRENTLY (a partitioned one): {@link IndexRefused}. Answers the names of those it built. The DDL
   * guard follows each build.
   */
  Uni<List<String>> buildIndexes(X conn, TrackedTable table, List<TableShape.Constraint> indexes,
      java.time.Duration lockTimeout);

  /** An index a branch brings the table cannot be built as given (its name is another object's): nothing changed. */
  final class IndexRefused extends RuntimeException {
    public IndexRefused(String message) {
      super(message, null, false, false);
    }
  }

  /** The table's lock could not be had in time: nothing changed. */
  final class Busy extends RuntimeException {
    public Busy(String message) {
      super(message, null, false, false);
    }
  }

  /**
   * The table's full shape as it is now, normalised (see {@link TableShape}), or empty when the table is
   * gone. {@code tx} must be a transaction: the backend may set what it needs for the reading in it.
   */
  Uni<Optional<TableShape>> shape(X tx, String schema, String table);

  /**
   * Whether the table's tracked key still identifies its rows: NOT NULL columns under a valid unique index
   * over exactly those columns (what the DDL guard requires of every DDL it lets through). False when the
   * table is gone.
   */
  Uni<Boolean> keyHolds(X tx, TrackedTable table);

  /**
   * The statements that make {@code changes} (from {@link ShapeDiff}) to the table, in the order a
   * migration must run them: constraints and indexes dropped, columns dropped, changed and added,
   * constraints added (foreign keys last), indexes created.
   */
  List<String> migration(TrackedTable table, List<ShapeChange> changes);

  /** The statements that make {@code table} (at its schema and name) in {@code shape}, as a migration must. */
  List<String> creation(TrackedTable table, TableShape shape);

  /** The statement that drops {@code table}, as a migration must. */
  List<String> removal(TrackedTable table);

  /**
   * The statements of {@link #migration} as a script to run in one transaction outside Strata, past
   * the backend's DDL guard, which would refuse its steps one by one (a revert of drift: until the last
   * step the columns are neither the recorded nor the drifted ones). Empty when there is nothing to do.
   */
  default List<String> migrationPastGuard(TrackedTable table, List<ShapeChange> changes) {
    return migration(table, changes);
  }

  /**
   * The DDL commands on the repository's tracked tables (every repository's, when {@code repository} is
   * null) that the backend followed since they were last forgotten, oldest first (at most 1 000). A
   * backend that cannot watch DDL answers none.
   */
  Uni<List<FollowedDdl>> followedDdl(X tx, String repository);

  /** Forgets followed commands once an event records what they did (or that they changed nothing). */
  Uni<Void> forgetFollowedDdl(X tx, List<Long> ids);

  /**
   * Whether the backend watches DDL on tracked tables as it happens (follows or refuses it); when not,
   * a change is found only afterwards, as drift.
   */
  Uni<Boolean> guardsDdl(X tx);
}
