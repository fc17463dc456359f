package io.strata.server.domain;

import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Which schemas' tables a repository may track. Never PostgreSQL's own ({@code pg_*},
 * {@code information_schema}) nor Strata's ({@code strata}, {@code strata_*}: the event log and tokens
 * in {@code strata_meta}, the registry and change sets in {@code strata}, the branch views in
 * {@code strata_<branch>}), in any storage: writing those through the API would rewrite the log or
 * another repository's history. In the server's own database ({@code local}) an operator may further
 * name the only schemas open to tracking (STRATA_LOCAL_SCHEMAS).
 */
public final class TrackableSchemas {
  private TrackableSchemas() {}

  /**
   * Refuses (422, nothing recorded) a schema that may not be tracked; in the server's own database
   * ({@code serverDatabase}: {@code local}, or a storage that reaches it) only {@code localSchemas} may.
   */
  public static void require(boolean serverDatabase, String schema, Optional<List<String>> localSchemas) {
    String folded = schema.toLowerCase(Locale.ROOT);
    if (folded.startsWith("pg_") || folded.equals("information_schema")) {
      throw refused("schema " + schema + " belongs to PostgreSQL: its tables cannot be tracked");
    }
    if (folded.equals("strata") || folded.startsWith("strata_")) {
      throw refused("schema " + schema + " belongs to Strata (the schemas strata and strata_* hold the"
          + " event log, change sets and branch views): its tables cannot be tracked");
    }
    if (serverDatabase && localSchemas.isPresent() && !localSchemas.get().contains(schema)) {
      throw refused("schema " + schema + " of the server's own database is not open to tracking;"
          + " the operator allows " + String.join(", ", localSchemas.get()) + " (STRATA_LOCAL_SCHEMAS)");
    }
  }

  private static StrataException refused(String message) {
    return StrataException.invalid("location", message);
  }
}
