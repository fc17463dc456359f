package io.strata.server.domain;

import java.util.regex.Pattern;

/**
 * What a name may be. Branch and tag names follow git's check-ref-format rules (so {@code feature/x}
 * is fine) and, on top, refuse every control or invisible formatting character (bidi overrides,
 * zero-width spaces): names reach SQL identifiers, logs and terminals.
 */
public final class Names {
  public static final int MAX_REF_NAME = 200;
  private static final Pattern REPOSITORY = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,99}");
  private static final Pattern HEX = Pattern.compile("[0-9a-f]+");

  private Names() {}

  public static String repository(String name) {
    if (name == null || name.isEmpty()) {
      throw StrataException.invalid("name", "a repository name is required");
    }
    if (!REPOSITORY.matcher(name).matches() || name.endsWith(".") || name.contains("..")) {
      throw StrataException.invalid("name",
          "repository names are 1-100 characters of A-Z a-z 0-9 . _ -, starting with a letter or digit");
    }
    return name;
  }

  /**
   * For commands on an existing repository: a name that cannot be a repository names none (404), and
   * never reaches the command processor (nor creates a queue for it).
   */
  public static String existingRepository(String name) {
    try {
      return repository(name);
    } catch (StrataException invalid) {
      throw StrataException.repositoryNotFound(name);
    }
  }

  public static String branch(String name) {
    return refName("branch", name);
  }

  public static String tag(String name) {
    return refName("tag", name);
  }

  /** Returns why {@code name} is not a valid ref name, or null when it is. */
  public static String refNameProblem(String name) {
    if (name == null || name.isEmpty()) {
      return "must not be empty";
    }
    if (name.length() > MAX_REF_NAME) {
      return "must be at most " + MAX_REF_NAME + " characters";
    }
    if (name.equals("@")) {
      return "must not be '@'";
    }
    if (name.startsWith("-")) {
      return "must not start with '-'";
    }
    if (name.startsWith("/") || name.endsWith("/") || name.contains("//")) {
      return "must not start or end with '/' or contain '//'";
    }
    if (name.endsWith(".") || name.contains("..")) {
      return "must not end with '.' or contain '..'";
    }
    if (name.contains("@{")) {
      return "must not contain '@{'";
    }
    for (String part : name.split("/")) {
      if (part.startsWith(".")) {
        return "no path component may start with '.'";
      }
      if (part.endsWith(".lock")) {
        return "no path component may end with '.lock'";
      }
    }
    for (int i = 0; i < name.length(); ) {
      int cp = name.codePointAt(i);
      if (cp < 0x20 || cp == 0x7f || " ~^:?*[\\".indexOf(cp) >= 0) {
        return "must not contain spaces, control characters or any of ~ ^ : ? * [ \\";
      }
      int type = Character.getType(cp);
      if (Character.isISOControl(cp) || Character.isWhitespace(cp) || Character.isSpaceChar(cp)
          || type == Character.FORMAT || type == Character.UNASSIGNED || type == Character.PRIVATE_USE
          || type == Character.SURROGATE) {
        return "must not contain invisible, formatting or unassigned characters";
      }
      i += Character.charCount(cp);
    }
    return null;
  }

  private static String refName(String kind, String name) {
    String problem = refNameProblem(name);
    if (problem != null) {
      throw StrataException.invalid("name", "invalid " + kind + " name: " + problem);
    }
    return name;
  }

  /** Free text (messages, descriptions): bounded, and no control characters but newline and tab. */
  public static String text(String field, String value, int max, boolean required) {
    if (value == null || (required && value.isBlank())) {
      if (required) {
        throw StrataException.invalid(field, "is required");
      }
      return value;
    }
    if (value.length() > max) {
      throw StrataException.invalid(field, "must be at most " + max + " characters");
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if ((c < 0x20 && c != '\n' && c != '\t' && c != '\r') || c == 0x7f) {
        throw StrataException.invalid(field, "must not contain control characters");
      }
    }
    return value;
  }

  /** A person's name or email: one line, no control characters. */
  public static String person(String field, String value, int max) {
    if (value == null || value.isBlank()) {
      throw StrataException.invalid(field, "is required");
    }
    if (value.length() > max) {
      throw StrataException.invalid(field, "must be at most " + max + " characters");
    }
    for (int i = 0; i < value.length(); ) {
      int cp = value.codePointAt(i);
      if (Character.isISOControl(cp) || Character.getType(cp) == Character.FORMAT || cp == '<' || cp == '>') {
        throw StrataException.invalid(field, "must not contain control characters or '<' '>'");
      }
      i += Character.charCount(cp);
    }
    return value.strip();
  }

  /** An {@code expected_head}: null, or a commit id or prefix (7 to 64 lower-case hex digits); else a 422. */
  public static String expectedHead(String value) {
    if (value != null && (value.length() < 7 || value.length() > 64 || !isHex(value))) {
      throw StrataException.invalid("expected_head", "must be a commit id (7 to 64 lower-case hex digits)");
    }
    return value;
  }

  public static boolean isHex(String s) {
    return HEX.matcher(s).matches();
  }
}
