package io.strata.server.auth;

import java.util.List;

/**
 * What a caller may do: a role over some repositories ({@code ["*"]}: all of them, present and future). A
 * token's grants, the unrestricted grants of every caller with STRATA_AUTH=none and of the server's own
 * work, or a narrower set an in-process caller is given.
 */
public record Grants(Role role, List<String> repositories) {
  public static final String ALL = "*";
  /** Everything, in every repository: the server's own work, and every caller with STRATA_AUTH=none. */
  public static final Grants UNRESTRICTED = new Grants(Role.ADMIN, List.of(ALL));
  /** Nothing: a caller nobody vouched for. */
  public static final Grants NONE = new Grants(Role.READER, List.of());

  public Grants {
    repositories = List.copyOf(repositories);
  }

  public boolean allRepositories() {
    return repositories.contains(ALL);
  }

  /** Whether the caller may know that {@code repository} exists. */
  public boolean sees(String repository) {
    return allRepositories() || repositories.contains(repository);
  }
}
