package io.strata.events;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Column types as PostgreSQL formats them ({@code format_type}), and as Delta Lake's schemas name them ({@code long},
 * {@code decimal(12,2)}): which change of type keeps every value as it reads, and when two spellings name the same
 * type. Pure.
 */
public final class ColumnTypes {
  private ColumnTypes() {}

  private static final Pattern VARCHAR = Pattern.compile("character varying(?:\\((\\d+)\\))?");
  private static final Pattern NUMERIC = Pattern.compile("numeric(?:\\((\\d+),(\\d+)\\))?");
  private static final List<String> INTEGERS = List.of("smallint", "integer", "bigint");
  private static final List<String> DELTA_INTEGERS = List.of("byte", "short", "integer", "long");
  private static final Pattern DECIMAL = Pattern.compile("decimal\\((\\d+),(\\d+)\\)");
  /** A schema-qualified name's schema, as {@code format_type} writes it outside the search path. */
  private static final Pattern QUALIFIER = Pattern.compile("^(?:\"(?:[^\"]|\"\")+\"|[a-z_][a-z0-9_$]*)\\.");

  /**
   * Whether every value of type {@code from} reads as it is (its JSON image, and its text, unchanged) in type
   * {@code to}, whatever it is: a wider integer or an unconstrained numeric; a longer varchar, or text; a numeric of
   * the same scale and as many digits or more before the point. The same type is not a widening. Stricter than the
   * schema diff's lint ({@code ShapeDiff.widens}), which asks only that every value fit, not that it read the same.
   */
  public static boolean widens(String from, String to) {
    if (from == null || to == null || from.equals(to)) {
      return false;
    }
    if (DELTA_INTEGERS.contains(from) && DELTA_INTEGERS.contains(to)
        && !(INTEGERS.contains(from) && INTEGERS.contains(to))) {
      return DELTA_INTEGERS.indexOf(to) > DELTA_INTEGERS.indexOf(from); // a Delta table's (type widening)
    }
    Matcher dFrom = DECIMAL.matcher(from);
    Matcher dTo = DECIMAL.matcher(to);
    if (dFrom.matches() && dTo.matches()) {
      return dTo.group(2).equals(dFrom.group(2)) && Integer.parseInt(dTo.group(1)) > Integer.parseInt(dFrom.group(1));
    }
    if (INTEGERS.contains(from)) {
      return INTEGERS.contains(to) && INTEGERS.indexOf(to) >= INTEGERS.indexOf(from) || to.equals("numeric");
    }
    Matcher v = VARCHAR.matcher(from);
    if (v.matches() || from.equals("text")) {
      Matcher w = VARCHAR.matcher(to);
      return to.equals("text") || w.matches() && (w.group(1) == null
          || v.matches() && v.group(1) != null && Integer.parseInt(w.group(1)) >= Integer.parseInt(v.group(1)));
    }
    Matcher n = NUMERIC.matcher(from);
    Matcher m = NUMERIC.matcher(to);
    if (n.matches() && m.matches()) {
      return m.group(1) == null || n.group(1) != null && m.group(2).equals(n.group(2))
          && Integer.parseInt(m.group(1)) - Integer.parseInt(m.group(2))
              >= Integer.parseInt(n.group(1)) - Integer.parseInt(n.group(2));
    }
    return false;
  }

  private static final java.util.Map<String, String[]> INTEGER_RANGES = java.util.Map.of(
      "smallint", new String[] {"-32768", "32767"},
      "integer", new String[] {"-2147483648", "2147483647"},
      "bigint", new String[] {"-9223372036854775808", "9223372036854775807"});

  /**
   * SQL that reads {@code expression} (of type {@code from}) in type {@code to}, which {@code from} widens: a branch
   * that kept a narrower type when its table took a wider one reads the table's rows so. Every row the branch reads
   * holds a value of {@code to}; others of the table may not, and a condition on the branch's view is evaluated on
   * them too before they are left out: where the cast would fail (an integer or a numeric out of range), they read
   * NULL instead of failing. A varchar's explicit cast cuts and never fails.
   */
  public static String narrowed(String expression, String from, String to) {
    String[] range = INTEGER_RANGES.get(to);
    if (range != null) {
      return "(case when " + expression + " between " + range[0] + " and " + range[1] + " then " + expression + "::"
          + to + " end)";
    }
    Matcher m = NUMERIC.matcher(to);
    if (m.matches() && m.group(1) != null) {
      int digits = Integer.parseInt(m.group(1)) - Integer.parseInt(m.group(2));
      return "(case when abs(" + expression + ") < 1e" + digits + " then " + expression + "::" + to + " end)";
    }
    return expression + "::" + to;
  }

  /**
   * {@code columns} with the types {@code types} gives those it names (by name), each column keeping its own spelling
   * where both name the same type ({@link #same}).
   */
  public static List<TableColumn> typed(List<TableColumn> columns, List<TableShape.Column> types) {
    return columns.stream().map(c -> types.stream().filter(r -> r.name().equals(c.name())).findFirst()
        .map(r -> new TableColumn(c.name(), same(r.type(), c.type()) ? c.type() : r.type(), c.nullable())).orElse(c))
        .toList();
  }

  /**
   * Whether {@code a} and {@code b} name the same type: equal, or equal once a schema qualification is left out (a
   * type of the table's schema is written qualified when it is read with the search path pinned, as a table's shape
   * is, and bare in its columns).
   */
  public static boolean same(String a, String b) {
    if (a == null || b == null) {
      return a == b;
    }
    return a.equals(b) || QUALIFIER.matcher(a).replaceFirst("").equals(QUALIFIER.matcher(b).replaceFirst(""));
  }
}
