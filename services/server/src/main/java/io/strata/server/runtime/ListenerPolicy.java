package io.strata.server.runtime;

import java.util.Locale;

/**
 * Where the HTTP listener may bind, given STRATA_AUTH and STRATA_HOST as the operator set them (null:
 * unset). Without authentication the API lets anyone do anything, so it listens on loopback only,
 * unless the operator says both that the API is open ({@code STRATA_AUTH=none}) and where to listen
 * ({@code STRATA_HOST}). Checked by StrataMain before Quarkus starts.
 */
public final class ListenerPolicy {
  private ListenerPolicy() {}

  /** The start-up decision: a line to log (null: nothing to say), or a refusal to start. */
  public record Verdict(boolean start, String message) {}

  public static Verdict check(String auth, String host) {
    String mode = auth == null ? null : auth.trim().toLowerCase(Locale.ROOT);
    if (mode != null && !mode.equals("none") && !mode.equals("token")) {
      return new Verdict(false, "STRATA_AUTH must be 'none' or 'token', not '" + auth.trim() + "'");
    }
    if ("token".equals(mode) || host == null || host.isBlank() || isLoopback(host)) {
      return new Verdict(true, null);
    }
    if (mode == null) {
      return new Verdict(false, "STRATA_HOST=" + host.trim() + " would open the API beyond this machine without"
          + " authentication. Set STRATA_AUTH=token (bearer tokens), or STRATA_AUTH=none to run an open API"
          + " on purpose, or leave STRATA_HOST unset (127.0.0.1).");
    }
    return new Verdict(true, "WARNING: STRATA_AUTH=none on " + host.trim() + ": the API is OPEN; anyone who"
        + " reaches this address can read, change and delete every repository");
  }

  public static boolean isLoopback(String host) {
    String h = host.trim().toLowerCase(Locale.ROOT);
    if (h.startsWith("[") && h.endsWith("]")) {
      h = h.substring(1, h.length() - 1);
    }
    return h.equals("localhost") || h.equals("::1") || h.equals("0:0:0:0:0:0:0:1")
        || h.matches("127\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}");
  }
}
