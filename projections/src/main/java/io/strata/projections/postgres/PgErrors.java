package io.strata.projections.postgres;

import io.vertx.core.VertxException;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.ClosedConnectionException;
import java.net.ConnectException;

/** Recognises PostgreSQL errors by SQLSTATE. */
public final class PgErrors {
  public static final String UNIQUE_VIOLATION = "23505";
  public static final String SERIALIZATION_FAILURE = "40001";
  public static final String DEADLOCK_DETECTED = "40P01";
  /** Class 22, data exception: a value out of range, of the wrong form, or with a NUL. */
  public static final String DATA_EXCEPTION_CLASS = "22";
  public static final String INSUFFICIENT_PRIVILEGE = "42501";

  private PgErrors() {}

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

  /** Connection-level failures: the database is unreachable rather than the request wrong. */
  public static boolean isUnavailable(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause()) {
      if (t instanceof ConnectException
          || t instanceof VertxException && String.valueOf(t.getMessage()).contains("closed")
          || t instanceof ClosedConnectionException) {
        return true;
      }
      if (t instanceof PgException pg && pg.getSqlState() != null && pg.getSqlState().startsWith("08")) {
        return true;
      }
    }
    return false;
  }
}
