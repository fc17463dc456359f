package io.strata.server.domain;

import com.fasterxml.jackson.databind.JsonNode;
import io.strata.server.domain.PromotionPolicies.Problem;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Function;

/**
 * Reads the fields of a JSON (or YAML read as JSON) document, collecting a {@link Problem} with its path for each
 * field that is missing, unknown or of the wrong kind, instead of stopping at the first: {@link PromotionPolicies}
 * reads its document's rules on top of it.
 */
abstract class DocumentFields {
  final List<Problem> problems = new ArrayList<>();


  void known(JsonNode node, String at, String... fields) {
    Set<String> allowed = Set.of(fields);
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!allowed.contains(f)) {
        // a known field spelled another way (protectedBranches, Direct-Changes) is named as the hint
        String hint = allowed.stream().filter(a -> a.replace("_", "").equalsIgnoreCase(f.replaceAll("[_-]", "")))
            .findFirst().orElse(null);
        problems.add(new Problem(at + "." + f, PromotionPolicies.UNKNOWN_FIELD + " (known here: " + String.join(", ", fields) + ")",
            hint));
      }
    }
  }

  boolean object(String at, JsonNode n) {
    if (n == null || !n.isObject()) {
      problems.add(new Problem(at, "must be an object"));
      return false;
    }
    return true;
  }

  String required(JsonNode n, String at, String field, Function<String, String> check) {
    JsonNode v = n.get(field);
    if (v == null || v.isNull()) {
      problems.add(new Problem(at + "." + field, "is required"));
      return null;
    }
    if (!v.isTextual()) {
      problems.add(new Problem(at + "." + field, "must be a string"));
      return null;
    }
    return check.apply(v.asText());
  }

  String text(JsonNode n, String at, String field) {
    JsonNode v = n.get(field);
    if (v == null || v.isNull()) {
      return null;
    }
    if (!v.isTextual() || v.asText().isEmpty()) {
      problems.add(new Problem(at + "." + field, "must be a non-empty string"));
      return null;
    }
    return v.asText();
  }

  String choice(JsonNode n, String at, String field, String fallback, List<String> allowed, boolean nullable) {
    JsonNode v = n.get(field);
    if (v == null || v.isNull()) {
      return fallback;
    }
    String s = v.isTextual() ? v.asText().toLowerCase(Locale.ROOT) : null;
    if (s == null || !allowed.contains(s)) {
      problems.add(new Problem(at + "." + field, "must be " + String.join(" or ", allowed)
          + (nullable ? " (or left out)" : "")));
      return fallback;
    }
    return s;
  }

  boolean bool(JsonNode n, String at, String field, boolean fallback) {
    JsonNode v = n.get(field);
    if (v == null || v.isNull()) {
      return fallback;
    }
    if (!v.isBoolean()) {
      problems.add(new Problem(at + "." + field, "must be true or false"));
      return fallback;
    }
    return v.asBoolean();
  }

  int integer(JsonNode n, String at, String field, int fallback, int min, int max) {
    JsonNode v = n.get(field);
    if (v == null || v.isNull()) {
      return fallback;
    }
    if (!v.isIntegralNumber() || !v.canConvertToInt() || v.asInt() < min || v.asInt() > max) {
      problems.add(new Problem(at + "." + field, "must be a whole number from " + min + " to " + max));
      return fallback;
    }
    return v.asInt();
  }

  BigDecimal number(JsonNode n, String at, String field) {
    JsonNode v = n.get(field);
    if (v == null || v.isNull()) {
      return null;
    }
    BigDecimal d = v.isNumber() ? v.decimalValue() : null;
    // bounded, so that a bound prints and compares cheaply (1e999999999 would not)
    if (d == null || d.precision() > 40 || Math.abs(d.scale()) > 40) {
      problems.add(new Problem(at + "." + field, "must be a number of at most 40 digits, with at most 40 places"));
      return null;
    }
    return d;
  }

  <T> List<T> list(JsonNode n, String at, String field, int max, java.util.function.BiFunction<String, JsonNode, T> each) {
    JsonNode v = n.get(field);
    if (v == null || v.isNull()) {
      return List.of();
    }
    if (!v.isArray()) {
      problems.add(new Problem(at + "." + field, "must be a list"));
      return List.of();
    }
    if (v.size() > max) {
      problems.add(new Problem(at + "." + field, "has " + v.size() + " items: at most " + max));
      return List.of();
    }
    List<T> out = new ArrayList<>();
    for (int i = 0; i < v.size(); i++) {
      out.add(each.apply(at + "." + field + "[" + i + "]", v.get(i)));
    }
    return out;
  }

  List<String> strings(JsonNode n, String at, String field, int max, java.util.function.BiFunction<String, String, String> each) {
    List<String> out = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    List<String> read = list(n, at, field, max, (x, v) -> {
      if (v == null || !v.isTextual()) {
        problems.add(new Problem(x, "must be a string"));
        return null;
      }
      String s = each.apply(x, v.asText());
      if (s != null && !seen.add(s)) {
        problems.add(new Problem(x, "repeats '" + s + "'"));
        return null;
      }
      return s;
    });
    read.stream().filter(s -> s != null).forEach(out::add);
    return out;
  }

  <T> T fail(String at, String message) {
    problems.add(new Problem(at, message));
    return null;
  }
}
