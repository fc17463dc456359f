package io.strata.server.commands;

/**
 * Who sent a request: the authenticated token with STRATA_AUTH=token ({@code token:<name>}), else the
 * {@code X-User-*} headers (any of them may be absent).
 */
public record Actor(String id, String name, String email) {
  /** The envelope's {@code actor}: the most specific identity given. */
  public String label(String fallback) {
    if (id != null) {
      return id;
    }
    if (email != null) {
      return email;
    }
    return name != null ? name : fallback;
  }
}
