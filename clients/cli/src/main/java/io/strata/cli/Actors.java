package io.strata.cli;

import java.util.Map;

/** Who acts, for a server without tokens ({@code X-User-Id}): STRATA_USER, else the login name. */
final class Actors {
  private Actors() {}

  static String user(Map<String, String> env) {
    String user = env.getOrDefault("STRATA_USER", env.get("USER"));
    return user == null || user.isBlank() ? null : user.strip();
  }
}
