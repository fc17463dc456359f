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

  /**
   * Whether a file of key range {@code [min, max]} ({@link #range}; null: unknown) may hold one of {@code keys}
   * (one-column keys), decided per file at O(log keys) (a merge of 100 000 keys into a table of thousands of files
   * looks each file up once, rather than comparing every key with every file): the keys sorted once, each file's range
   * searched for the first key at or above its minimum. A file without statistics for the column, or a null key, may
   * hold anything.
   */
  static java.util.function.Predicate<JsonNode[]> inRange(Collection<List<Object>> keys) {
    List<BigDecimal> numbers = new java.util.ArrayList<>();
    List<String> strings = new java.util.ArrayList<>();
    for (List<Object> k : keys) {
      Object value = k.get(0);
      if (value instanceof Number n) {
        numbers.add(new BigDecimal(n.toString()));
      } else if (value instanceof String text) {
        strings.add(text);
      } else {
        return range -> true; // a null, or a type statistics are not compared for: any file may hold it
      }
    }
    numbers.sort(null);
    strings.sort(KeyRanges::byCodePoint);
    return range -> {
      if (range == null) {
        return true;
      }
      JsonNode min = range[0];
      JsonNode max = range[1];
      if (min.isNumber() && max.isNumber()) {
        if (!strings.isEmpty()) {
          return true;
        }
        int at = firstAtLeast(numbers, min.decimalValue(), BigDecimal::compareTo);
        return at < numbers.size() && numbers.get(at).compareTo(max.decimalValue()) <= 0;
      }
      if (min.isTextual() && max.isTextual()) {
        if (!numbers.isEmpty()) {
          return true;
        }
        int at = firstAtLeast(strings, min.asText(), KeyRanges::byCodePoint);
        if (at >= strings.size()) {
          return false;
        }
        // a truncated maximum is a prefix: keys extending it follow it directly in code point order
        String first = strings.get(at);
        String hi = max.asText();
        return byCodePoint(first, hi) <= 0 || first.startsWith(hi);
      }
      return true;
    };
  }

  private static <T> int firstAtLeast(List<T> sorted, T bound, java.util.Comparator<T> order) {
    int lo = 0;
    int hi = sorted.size();
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (order.compare(sorted.get(mid), bound) < 0) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  /** A file's minimum and maximum of {@code column} from its statistics ({@code stats}); null when it has none. */
  static JsonNode[] range(String stats, String column) {
    if (stats == null) {
      return null;
    }
    JsonNode parsed;
    try {
      parsed = JSON.readTree(stats);
    } catch (java.io.IOException unreadable) {
      return null;
    }
    JsonNode min = parsed.path("minValues").get(column);
    JsonNode max = parsed.path("maxValues").get(column);
    return min == null || max == null || min.isNull() || max.isNull() ? null : new JsonNode[] {min, max};
  }

  /**
   * The names {@code snapshot}'s file statistics give {@code key}'s columns: with column mapping, their physical names
   * (the statistics are of the files' columns); else their own.
   */
  static List<String> statsNames(io.delta.kernel.Snapshot snapshot, List<String> key) {
    if (!MappedColumns.mapped(snapshot)) {
      return key;
    }
    return key.stream().map(column -> {
      var metadata = snapshot.getSchema().get(column).getMetadata();
      return metadata.contains(MappedColumns.PHYSICAL_NAME) ? metadata.getString(MappedColumns.PHYSICAL_NAME) : column;
    }).toList();
  }

  /** Whether {@code file} may hold one of {@code keys} by its statistics ({@link #inRange}); any for a wider key. */
  static boolean mayHold(DeltaFile file, List<String> key, Collection<List<Object>> keys) {
    return key.size() != 1 || inRange(keys).test(range(file.stats(), key.get(0)));
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
}
