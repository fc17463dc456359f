package io.strata.projections.postgres;

import java.util.regex.Pattern;

/** Identifiers that reach SQL: validated against a strict pattern, then always quoted. */
public final class Sql {
  private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_$]{0,62}");

  private Sql() {}

  public static boolean isIdentifier(String name) {
    return name != null && IDENTIFIER.matcher(name).matches();
  }

  /** A double-quoted identifier; refuses anything that is not a plain identifier. */
  public static String quote(String identifier) {
    if (!isIdentifier(identifier)) {
      throw new IllegalArgumentException("not an identifier: " + identifier);
    }
    return '"' + identifier + '"';
  }

  public static String qualified(String schema, String table) {
    return quote(schema) + "." + quote(table);
  }
}
