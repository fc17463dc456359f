package io.strata.projections.overlay;

import io.strata.projections.postgres.Sql;

/**
 * Filters of a statement's rows by the keys of another set of rows (a trigger's transition table, a
 * batch): how captures and working-state writes find the keys a log or an overlay already holds.
 */
final class KeyFilters {
  private KeyFilters() {}

  /**
   * A filter on the rows {@code alias} of {@code transition} (a trigger's transition table, or a
   * batch): true unless {@code relation} (alias {@code x}) holds a row of the same key meeting {@code
   * condition}. With a
   * one-column key, one index scan takes the statement's keys together ({@code = any}, which walks the
   * index in key order, each leaf page once) and the rows are checked against a hash of what it found:
   * half the cost of a probe per row. The hash holds at most the statement's keys. A composite key (no
   * index scan for {@code = any} of row values) takes one probe per row.
   */
  static String notAmong(OverlaySql s, String alias, String transition, String relation, String condition) {
    if (s.key().size() > 1) {
      return "(select true from " + relation + " x where " + s.keyMatch("x", alias) + " and " + condition + ") is null";
    }
    String k = Sql.quote(s.key().get(0));
    return alias + "." + k + " not in (select x." + k + " from " + relation + " x where "
        + among(s, "x", "s", transition) + " and " + condition + ")";
  }

  /** Whether the row {@code alias} has the key of a row of {@code transition}: one-column keys only. */
  static String among(OverlaySql s, String alias, String inner, String transition) {
    String k = Sql.quote(s.key().get(0));
    return alias + "." + k + " = any(array(select " + inner + "." + k + " from " + transition + " " + inner + "))";
  }
}
