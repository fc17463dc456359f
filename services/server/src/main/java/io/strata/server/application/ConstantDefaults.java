package io.strata.server.application;

import io.strata.events.TableShape;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A table column's default as a constant Strata may write itself: a literal — a quoted string, a number, a boolean —
 * of a built-in type, as PostgreSQL prints it ({@code 'eu'::text}, {@code 0}, {@code '0.00'::numeric(12,2)}). Never a
 * function call, a sequence or a cast to a type of the database's own (a domain's check or a type's input function
 * would run with Strata's rights): those give nothing, and the caller leaves the value null.
 */
final class ConstantDefaults {
  private ConstantDefaults() {}

  private static final Pattern BUILT_IN = Pattern.compile("(?:text|character varying(?:\\(\\d+\\))?"
      + "|character(?:\\(\\d+\\))?|smallint|integer|bigint|numeric(?:\\(\\d+,\\d+\\))?|real|double precision|boolean"
      + "|date|uuid|jsonb|json|interval|time without time zone|time with time zone|timestamp without time zone"
      + "|timestamp with time zone)(?:\\[\\])?");
  private static final Pattern QUOTED = Pattern.compile("'(?:[^'\\\\]|'')*'::(.+)");
  private static final Pattern NUMBER = Pattern.compile("\\(?-?\\d+(?:\\.\\d+)?\\)?(?:::(.+))?");

  /** {@code column}'s default where it is such a constant. */
  static Optional<String> of(TableShape.Column column) {
    String d = column.defaultValue();
    if (d == null || column.generated() != null || column.identity() != null) {
      return Optional.empty();
    }
    if (d.equals("true") || d.equals("false")) {
      return Optional.of(d);
    }
    for (Pattern p : new Pattern[] {QUOTED, NUMBER}) {
      Matcher m = p.matcher(d);
      if (m.matches() && (m.group(1) == null || BUILT_IN.matcher(m.group(1)).matches())) {
        return Optional.of(d);
      }
    }
    return Optional.empty();
  }
}
