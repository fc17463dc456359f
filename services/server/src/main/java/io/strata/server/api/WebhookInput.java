package io.strata.server.api;

import io.strata.events.EventType;
import io.strata.server.api.WebhookResource.FilterInput;
import io.strata.server.domain.ErrorCode;
import io.strata.server.domain.Names;
import io.strata.server.domain.StrataException;
import io.strata.server.reactors.webhooks.WebhookFilter;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the webhooks API takes, checked ({@link WebhookResource}): a URL every tool reads the same way,
 * a one-line description, a filter of known names and types, and a rotation's overlap. Each refusal
 * is a 422 naming the field.
 */
final class WebhookInput {
  static final int MAX_URL = 2048;
  static final int MAX_DESCRIPTION = 500;
  static final int MAX_FILTER_VALUES = 100;
  static final Duration DEFAULT_OVERLAP = Duration.ofHours(24);
  static final Duration MAX_OVERLAP = Duration.ofDays(7);
  private static final Pattern DURATION = Pattern.compile("([0-9]{1,9})(ms|s|m|h|d)");

  private WebhookInput() {}

  /** An absolute http(s) URL with a host, without user info or fragment, of printable ASCII. */
  static URI url(String given) {
    if (given == null || given.isEmpty()) {
      throw StrataException.invalid("url", "is required: an absolute http or https URL");
    }
    if (given.length() > MAX_URL) {
      throw StrataException.invalid("url", "must be at most " + MAX_URL + " characters");
    }
    for (int i = 0; i < given.length(); i++) {
      char c = given.charAt(i);
      if (c <= 0x20 || c >= 0x7f) {
        throw StrataException.invalid("url", "must be printable ASCII without spaces (percent-encode the rest)");
      }
    }
    URI uri;
    try {
      uri = new URI(given);
    } catch (URISyntaxException e) {
      throw StrataException.invalid("url", "is not a valid URL");
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https")) {
      throw StrataException.invalid("url", "must be an absolute http or https URL");
    }
    if (uri.getRawUserInfo() != null || (uri.getRawAuthority() != null && uri.getRawAuthority().contains("@"))) {
      throw StrataException.invalid("url", "must not carry user info (user:password@); sign with the secret instead");
    }
    if (uri.getHost() == null || uri.getHost().isEmpty()) {
      throw StrataException.invalid("url", "must name a host (a registry-based authority is not one)");
    }
    if (numericButNotDottedQuad(uri.getHost())) {
      throw StrataException.invalid("url", "host '" + uri.getHost() + "' is a numeric address in a form URL parsers"
          + " read differently (leading zeros, hex, fewer than four parts or one number): write the IPv4 address as"
          + " four decimal numbers without leading zeros (127.0.0.1), or use a host name");
    }
    if (uri.getRawFragment() != null) {
      throw StrataException.invalid("url", "must not have a fragment (#...)");
    }
    if (uri.getPort() == 0 || uri.getPort() > 65535) {
      throw StrataException.invalid("url", "has an invalid port");
    }
    return uri;
  }

  private static final Pattern NUMERIC_LABEL = Pattern.compile("(?i)[0-9]+|0x[0-9a-f]*");
  private static final String OCTET = "(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])";
  private static final Pattern DOTTED_QUAD = Pattern.compile("(?:" + OCTET + "\\.){3}" + OCTET);

  /**
   * Whether a host is an IPv4 address in a form other than four decimal numbers without leading zeros:
   * {@code 0177.0.0.1}, {@code 0x7f.1}, {@code 127.1}, {@code 2130706433}. WHATWG URL parsers (browsers,
   * curl, Node) read a host whose last label is a number as an IPv4 address, octal and hex included; Java
   * reads {@code 0177} as 177. A stored URL must mean the same address to every tool that reads it.
   */
  static boolean numericButNotDottedQuad(String host) {
    if (host.startsWith("[")) {
      return false; // IPv6: one reading
    }
    String name = host.endsWith(".") ? host.substring(0, host.length() - 1) : host;
    String last = name.substring(name.lastIndexOf('.') + 1);
    return NUMERIC_LABEL.matcher(last).matches() && !(DOTTED_QUAD.matcher(host).matches());
  }

  /** Optional free text of one line: bounded, without control or invisible formatting characters. */
  static String description(String given) {
    if (given == null) {
      return null;
    }
    if (given.length() > MAX_DESCRIPTION) {
      throw StrataException.invalid("description", "must be at most " + MAX_DESCRIPTION + " characters");
    }
    for (int i = 0; i < given.length(); ) {
      int cp = given.codePointAt(i);
      if (Character.isISOControl(cp) || Character.getType(cp) == Character.FORMAT) {
        throw StrataException.invalid("description", "must not contain control characters or invisible formatting"
            + " (bidirectional overrides, zero-width characters)");
      }
      i += Character.charCount(cp);
    }
    return given;
  }

  static WebhookFilter filter(FilterInput given) {
    if (given == null) {
      return WebhookFilter.ALL;
    }
    List<String> repositories = values("filter.repositories", given.repositories(), r -> {
      try {
        return Names.repository(r);
      } catch (StrataException e) {
        throw StrataException.invalid("filter.repositories", "not a repository name: " + e.getMessage());
      }
    });
    List<String> types = values("filter.types", given.types(), t -> {
      if (EventType.named(t).isEmpty()) {
        throw new StrataException(ErrorCode.ValidationError, "filter.types: unknown event type '" + clip(t)
            + "'; the types are " + Arrays.stream(EventType.values()).map(EventType::type).toList(),
            Map.of("field", "filter.types", "value", clip(t)));
      }
      return t;
    });
    List<String> branches = values("filter.branches", given.branches(), b -> {
      String problem = b.isEmpty() ? "is empty" : Names.refNameProblem(b);
      if (problem != null) {
        throw StrataException.invalid("filter.branches", "not a branch name: " + problem);
      }
      return b;
    });
    return new WebhookFilter(repositories, types, branches);
  }

  private static List<String> values(String field, List<String> given,
      UnaryOperator<String> check) {
    if (given == null) {
      return null;
    }
    if (given.isEmpty()) {
      throw StrataException.invalid(field, "an empty list matches nothing; leave the field out to match any");
    }
    if (given.size() > MAX_FILTER_VALUES) {
      throw StrataException.invalid(field, "at most " + MAX_FILTER_VALUES + " values");
    }
    List<String> out = new ArrayList<>();
    for (String v : new LinkedHashSet<>(given)) {
      if (v == null) {
        throw StrataException.invalid(field, "null is no value");
      }
      out.add(check.apply(v));
    }
    return out;
  }

  /** {@code 30m}, {@code 24h}, {@code 90s}, {@code 0s} or ISO-8601 ({@code PT1H}); 0 to 7 days. */
  static Duration overlap(String given) {
    if (given == null) {
      return DEFAULT_OVERLAP;
    }
    Duration d;
    Matcher m = DURATION.matcher(given);
    try {
      if (m.matches()) {
        long n = Long.parseLong(m.group(1));
        d = switch (m.group(2)) {
          case "ms" -> Duration.ofMillis(n);
          case "s" -> Duration.ofSeconds(n);
          case "m" -> Duration.ofMinutes(n);
          case "h" -> Duration.ofHours(n);
          default -> Duration.ofDays(n);
        };
      } else {
        d = Duration.parse(given);
      }
    } catch (DateTimeParseException | ArithmeticException e) {
      throw StrataException.invalid("overlap", "a duration such as 30m, 24h or PT1H");
    }
    if (d.isNegative() || d.compareTo(MAX_OVERLAP) > 0) {
      throw StrataException.invalid("overlap", "must be between 0s and 7d");
    }
    return d;
  }

  private static String clip(String s) {
    String printable = s.codePoints().limit(100)
        .map(c -> Character.isISOControl(c) || Character.getType(c) == Character.FORMAT ? '?' : c)
        .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append).toString();
    return s.length() > 100 ? printable + "…" : printable;
  }
}
