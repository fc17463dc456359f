package io.strata.projections.delta;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.math.BigDecimal;
import java.util.Collection;
import java.util.List;

/**
 * Which data files may hold some of a set of keys, from the statistics Delta writers keep per file (the key
 * column's minimum and maximum): a merge reads only those, not the whole table. A file without statistics for the
 * column, or a key of several columns, may hold anything.
 */
final class KeyRanges {
  private static final ObjectMapper JSON = new ObjectMapper();

  private KeyRanges() {
  }

  /** Whether {@code file} may hold one of {@code keys} (each a one-value key of column {@code column}). */
  static boolean mayHold(DeltaFile file, List<String> key, Collection<List<Object>> keys) {
    if (key.size() != 1 || file.stats() == null) {
      return true;
    }
    String column = key.get(0);
    JsonNode stats;
    try {
      stats = JSON.readTree(file.stats());
    } catch (java.io.IOException unreadable) {
      return true;
    }
    JsonNode min = stats.path("minValues").get(column);
    JsonNode max = stats.path("maxValues").get(column);
    if (min == null || max == null || min.isNull() || max.isNull()) {
      return true;
    }
    for (List<Object> k : keys) {
      Object value = k.get(0);
      if (value == null || within(value, min, max)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Strings in code point order, which is the UTF-8 byte order Delta's statistics follow (Java's compareTo orders
   * UTF-16 units: a character from U+E000 sorts above a supplementary one there, below it here).
   */
  static int byCodePoint(String a, String b) {
    int i = 0;
    int j = 0;
    while (i < a.length() && j < b.length()) {
      int x = a.codePointAt(i);
      int y = b.codePointAt(j);
      if (x != y) {
        return Integer.compare(x, y);
      }
      i += Character.charCount(x);
      j += Character.charCount(y);
    }
    return Integer.compare(a.length() - i, b.length() - j);
  }

  private static boolean within(Object value, JsonNode min, JsonNode max) {
    if (value instanceof Number n && min.isNumber() && max.isNumber()) {
      BigDecimal v = new BigDecimal(n.toString());
      return v.compareTo(min.decimalValue()) >= 0 && v.compareTo(max.decimalValue()) <= 0;
    }
    if (value instanceof String s && min.isTextual() && max.isTextual()) {
      // Delta may truncate string statistics: a truncated maximum is a prefix, so compare by prefix there
      String hi = max.asText();
      return byCodePoint(s, min.asText()) >= 0 && (byCodePoint(s, hi) <= 0 || s.startsWith(hi));
    }
    return true;
  }
}
