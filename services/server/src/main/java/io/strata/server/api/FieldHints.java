package io.strata.server.api;

import java.util.Collection;
import java.util.Locale;

/** Finds the known field a client most likely meant by an unknown one ("did you mean"). */
final class FieldHints {
  private FieldHints() {}

  /** The known name {@code given} spells differently (camelCase, case, a typo of 1-2 letters), or null. */
  static String closest(String given, Collection<String> known) {
    if (given == null || given.isEmpty() || given.length() > 100) {
      return null;
    }
    String snake = snakeCase(given);
    for (String k : known) {
      if (k.equals(snake) || k.equalsIgnoreCase(given)) {
        return k;
      }
    }
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (String k : known) {
      int d = distance(snake, k);
      if (d < bestDistance) {
        bestDistance = d;
        best = k;
      }
    }
    // one slip in a short name, two in a longer one, reads as a typo; more as another word
    return best != null && bestDistance <= (best.length() <= 3 ? 1 : 2) ? best : null;
  }

  /** {@code expectedHead} -> {@code expected_head}, {@code Allow-Empty} -> {@code allow_empty}. */
  static String snakeCase(String name) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (Character.isUpperCase(c) && i > 0 && out.length() > 0 && out.charAt(out.length() - 1) != '_') {
        out.append('_');
      }
      out.append(c == '-' ? '_' : c);
    }
    return out.toString().toLowerCase(Locale.ROOT);
  }

  /** Levenshtein distance. */
  private static int distance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }
}
