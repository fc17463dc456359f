package io.strata.server.auth;

/**
 * What an endpoint requires of the caller's token (STRATA_AUTH=token). Named on every resource method
 * with {@link Requires}; an endpoint without one is refused (deny by default).
 */
public enum Permission {
  /** Service endpoints (health, readiness): no token needed. */
  OPEN,
  /** Any valid token; what it answers is limited to the token's repositories (the repository list). */
  ANY_TOKEN,
  /** Reads and SQL queries in the path's repository: reader, writer or admin granted that repository. */
  READ,
  /** Writes, commits, branches, tags, staging, row writes in the path's repository: writer or admin. */
  WRITE,
  /**
   * Administering the path's repository (deleting it, registering storages, tracking tables, branch
   * protection): an admin token granted that repository.
   */
  REPOSITORY_ADMIN,
  /** Server-wide administration (creating repositories, tokens, /api/v1/admin/*): an admin token for "*". */
  SERVER_ADMIN
}
