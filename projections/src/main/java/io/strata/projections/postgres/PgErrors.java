package io.strata.projections.postgres;

import io.vertx.core.VertxException;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.ClosedConnectionException;
import java.net.ConnectException;

/**
 * The one place that reads PostgreSQL's SQLSTATEs: it sorts a failure into a {@link Kind} that the
 * layers above turn into domain errors (and those into HTTP answers), so no other class names a code.
 */
public final class PgErrors {
  /** What a database failure means to Strata. */
  public enum Kind {
    /** A concurrent transaction won (serialization failure, deadlock): nothing applied; retry. */
    CONCURRENCY,
    /**
     * A unique key of Strata's own (its log, projections, branch objects) or an object of that name exists already:
     * another writer of them won.
     */
    DUPLICATE,
    /**
     * A value or row the table does not take: data exceptions (class 22) and integrity violations (23), a unique
     * key of a table outside Strata's schemas among them (the user's own constraint, whoever writes the rows).
     */
    REJECTED_DATA,
    /** An expression of the wrong type for its column (a table whose shape changed, or the client's value). */
    TYPE_MISMATCH,
    /** A table, column, type or function that does not exist (a tracked table's shape changed, say). */
    UNDEFINED_OBJECT,
    /** The role may not do this. */
    PRIVILEGE,
    /** The statement ran into its timeout and was cancelled. */
    CANCELED,
    /** Out of a resource the database bounds: temporary files, memory, a program limit. */
    RESOURCE_LIMIT,
    /** The database cannot be reached, is shutting down or has no connection left. */
    UNAVAILABLE,
    /** Anything else the database refused (syntax, ...). */
    OTHER,
    /** Not a database error at all. */
    NONE
  }

  /** What {@code error} (or the first database error in its causes) means; NONE when it is none. */
  public static Kind kind(Throwable error) {
    String state = sqlState(error);
    if (state == null) {
      return isConnectionFailure(error) ? Kind.UNAVAILABLE : Kind.NONE;
    }
    return switch (state) {
      case SERIALIZATION_FAILURE, DEADLOCK_DETECTED -> Kind.CONCURRENCY;
      case UNIQUE_VIOLATION -> ofStrata(error) ? Kind.DUPLICATE : Kind.REJECTED_DATA;
      case "42P07", "42710" -> Kind.DUPLICATE;
      case "42804", "42846" -> Kind.TYPE_MISMATCH; // datatype mismatch; cannot coerce (a row type that changed)
      case "42P01", "42703", "42704", "42883" -> Kind.UNDEFINED_OBJECT;
      case INSUFFICIENT_PRIVILEGE -> Kind.PRIVILEGE;
      case "57014" -> Kind.CANCELED;
      case "53300" -> Kind.UNAVAILABLE; // too many connections
      default -> state.startsWith(DATA_EXCEPTION_CLASS) || state.startsWith("23") || state.equals("428C9")
          ? Kind.REJECTED_DATA
          : state.startsWith("08") || state.startsWith("57P") ? Kind.UNAVAILABLE
          : state.startsWith("53") || state.startsWith("54") ? Kind.RESOURCE_LIMIT
          : Kind.OTHER;
    };
  }
  public static final String UNIQUE_VIOLATION = "23505";
  public static final String SERIALIZATION_FAILURE = "40001";
  public static final String DEADLOCK_DETECTED = "40P01";
  /** Class 22, data exception: a value out of range, of the wrong form, or with a NUL. */
  public static final String DATA_EXCEPTION_CLASS = "22";
  public static final String INSUFFICIENT_PRIVILEGE = "42501";

  private PgErrors() {}

  /**
   * Whether the first database error in {@code error}'s causes names a relation of Strata's own schemas ({@code
   * strata}, {@code strata_meta}, a branch's {@code strata_<branch>}) or none: a unique violation there is a race of
   * Strata's writers, one elsewhere is a table of the user's refusing rows.
   */
  private static boolean ofStrata(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause()) {
      if (t instanceof PgException pg && pg.getSqlState() != null) {
        return pg.getSchema() == null || pg.getSchema().equals("strata") || pg.getSchema().startsWith("strata_");
      }
    }
    return true;
  }

  public static boolean isUniqueViolation(Throwable error) {
    return hasState(error, UNIQUE_VIOLATION);
  }

  public static boolean hasState(Throwable error, String sqlState) {
    for (Throwable t = error; t != null; t = t.getCause()) {
      if (t instanceof PgException pg && sqlState.equals(pg.getSqlState())) {
        return true;
      }
    }
    return false;
  }

  /**
   * Whether the first PostgreSQL error in the chain is of SQLSTATE class {@code stateClass} (its first
   * two characters), e.g. "22" for data exceptions: a value that does not fit its type.
   */
  public static boolean hasStateClass(Throwable error, String stateClass) {
    String state = sqlState(error);
    return state != null && state.startsWith(stateClass);
  }

  /** The SQLSTATE of the first PostgreSQL error in the chain, or null. */
  public static String sqlState(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause()) {
      if (t instanceof PgException pg) {
        return pg.getSqlState();
      }
    }
    return null;
  }

  /** The database's own message of the first PostgreSQL error in the chain (no SQL text, no stack). */
  public static String message(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause()) {
      if (t instanceof PgException pg) {
        return pg.getErrorMessage();
      }
    }
    return String.valueOf(error.getMessage());
  }

  /** The database is unreachable, shutting down or out of connections, rather than the request wrong. */
  public static boolean isUnavailable(Throwable error) {
    return kind(error) == Kind.UNAVAILABLE || isConnectionFailure(error);
  }

  private static boolean isConnectionFailure(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause()) {
      if (t instanceof ConnectException
          || t instanceof VertxException && String.valueOf(t.getMessage()).contains("closed")
          || t instanceof ClosedConnectionException) {
        return true;
      }
    }
    return false;
  }
}
