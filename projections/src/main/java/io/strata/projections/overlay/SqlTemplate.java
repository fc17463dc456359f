package io.strata.projections.overlay;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A statement written as a text block with named holes ({@code {overlay}}), filled in one pass: a
 * value is never scanned for holes itself, so a quoted user name that reads like one stays as it is.
 * Values are SQL already made safe (quoted identifiers, literals, generated fragments).
 */
final class SqlTemplate {
  private static final Pattern HOLE = Pattern.compile("\\{([a-z_]+)}");

  private SqlTemplate() {}

  /** {@code template} with each hole filled; {@code namesAndValues} alternates names and values. */
  static String fill(String template, String... namesAndValues) {
    if (namesAndValues.length % 2 != 0) {
      throw new IllegalArgumentException("names and values must pair up");
    }
    Map<String, String> values = new HashMap<>();
    for (int i = 0; i < namesAndValues.length; i += 2) {
      values.put(namesAndValues[i], namesAndValues[i + 1]);
    }
    Matcher m = HOLE.matcher(template);
    StringBuilder out = new StringBuilder(template.length() + 256);
    while (m.find()) {
      String value = values.get(m.group(1));
      if (value == null) {
        throw new IllegalArgumentException("no value for {" + m.group(1) + "}");
      }
      m.appendReplacement(out, Matcher.quoteReplacement(value));
    }
    m.appendTail(out);
    return out.toString();
  }

  /** {@code holes} with one more named hole. */
  static String[] with(String[] holes, String name, String value) {
    String[] more = Arrays.copyOf(holes, holes.length + 2);
    more[holes.length] = name;
    more[holes.length + 1] = value;
    return more;
  }
}
