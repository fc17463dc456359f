package io.strata.server.api;

import io.strata.server.domain.ErrorCode;
import io.strata.server.domain.StrataException;
import java.util.Locale;
import java.util.Map;

/**
 * Parses query parameters ourselves: JAX-RS turns a failed conversion of a query parameter into a
 * 404, and we owe the client a 400 that says which parameter is wrong.
 */
public final class Params {
  public static final int DEFAULT_LIMIT = 100;
  public static final int MAX_LIMIT = 1000;

  private Params() {}

  public record Page(int limit, int offset) {}

  public static Page page(String limit, String offset) {
    int l = integer("limit", limit, DEFAULT_LIMIT);
    int o = integer("offset", offset, 0);
    if (l < 1 || l > MAX_LIMIT) {
      throw new StrataException(ErrorCode.ValidationError, "limit must be between 1 and " + MAX_LIMIT,
          Map.of("field", "limit"));
    }
    if (o < 0) {
      throw new StrataException(ErrorCode.ValidationError, "offset must be 0 or more", Map.of("field", "offset"));
    }
    return new Page(l, o);
  }

  public static int integer(String name, String value, int fallback) {
    if (value == null || value.isEmpty()) {
      return fallback;
    }
    try {
      return Integer.parseInt(value.trim());
    } catch (NumberFormatException e) {
      throw new StrataException(ErrorCode.BadRequest, "query parameter '" + name + "' must be an integer",
          Map.of("field", name));
    }
  }

  public static boolean bool(String name, String value) {
    if (value == null) {
      return false;
    }
    switch (value.trim().toLowerCase(Locale.ROOT)) {
      case "", "true", "1", "yes":
        return true;
      case "false", "0", "no":
        return false;
      default:
        throw new StrataException(ErrorCode.BadRequest, "query parameter '" + name + "' must be true or false",
            Map.of("field", name));
    }
  }
}
