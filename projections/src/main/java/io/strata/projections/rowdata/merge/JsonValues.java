package io.strata.projections.rowdata.merge;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Iterator;
import java.util.Map;

/**
 * Equality of JSON values as the merge compares them (PostgreSQL's jsonb equality): numbers by value
 * ({@code 1} equals {@code 1.0}), objects by their keys and values whatever the keys' order, arrays
 * element by element. A Java null is no value at all (no row, no such key), distinct from JSON null.
 */
public final class JsonValues {
  private JsonValues() {}

  /** Whether {@code a} and {@code b} are the same value (both absent counts as the same). */
  public static boolean same(JsonNode a, JsonNode b) {
    if (a == null || b == null) {
      return a == b;
    }
    if (a.isNumber() && b.isNumber()) {
      return a.decimalValue().compareTo(b.decimalValue()) == 0;
    }
    if (a.isObject() && b.isObject()) {
      if (a.size() != b.size()) {
        return false;
      }
      for (Iterator<Map.Entry<String, JsonNode>> fields = a.fields(); fields.hasNext(); ) {
        Map.Entry<String, JsonNode> f = fields.next();
        if (!same(f.getValue(), b.get(f.getKey()))) {
          return false;
        }
      }
      return true;
    }
    if (a.isArray() && b.isArray()) {
      if (a.size() != b.size()) {
        return false;
      }
      for (int i = 0; i < a.size(); i++) {
        if (!same(a.get(i), b.get(i))) {
          return false;
        }
      }
      return true;
    }
    return a.getNodeType() == b.getNodeType() && a.equals(b);
  }
}
