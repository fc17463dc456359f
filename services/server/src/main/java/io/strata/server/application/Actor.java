package io.strata.server.application;

import io.strata.server.auth.Grants;

/**
 * Who issues a command, and what they may do. Over HTTP: the authenticated token with STRATA_AUTH=token
 * ({@code token:<name>}, the token's grants), else the {@code X-User-*} headers (any of them may be absent)
 * with every grant. In process: {@link #system} (a reactor, recovery, the promotion work), whose grants
 * the caller chooses. The application services check the grants ({@link Permits}) whoever calls them.
 */
public record Actor(String id, String name, String email, Grants grants) {
  public Actor {
    grants = grants == null ? Grants.NONE : grants;
  }

  /** An actor nobody vouched for: it may do nothing. */
  public Actor(String id, String name, String email) {
    this(id, name, email, Grants.NONE);
  }

  /** The server's own work under {@code id} (recorded as the events' actor), with {@code grants}. */
  public static Actor system(String id, Grants grants) {
    return new Actor(id, null, null, grants);
  }

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
