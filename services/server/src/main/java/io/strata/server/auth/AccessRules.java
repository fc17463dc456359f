package io.strata.server.auth;

/** Whether an identity may use an endpoint of a given permission on a given repository. */
public final class AccessRules {
  private AccessRules() {}

  public enum Decision {
    ALLOW,
    /** 403: the token may see the repository (or there is none in the path) but not do this. */
    FORBIDDEN,
    /** 404 RepositoryNotFound: the token may not even know whether the repository exists. */
    HIDDEN
  }

  /**
   * @param permission the endpoint's rule; null (no rule) is refused, so a new endpoint without one
   *     is closed until someone decides who may use it
   * @param repository the {@code {repo}} path parameter, or null when the path has none
   */
  public static Decision decide(Permission permission, Identity who, String repository) {
    return decide(permission, who.grants(), repository);
  }

  /** As {@link #decide(Permission, Identity, String)}, for any caller's grants (a token's, or an in-process caller's). */
  public static Decision decide(Permission permission, Grants who, String repository) {
    if (permission == null) {
      return Decision.FORBIDDEN;
    }
    return switch (permission) {
      case OPEN, ANY_TOKEN -> Decision.ALLOW;
      case SERVER_ADMIN -> who.role() == Role.ADMIN && who.allRepositories() ? Decision.ALLOW : Decision.FORBIDDEN;
      case READ -> inRepository(who, repository, Role.READER);
      case WRITE -> inRepository(who, repository, Role.WRITER);
      case REPOSITORY_ADMIN -> inRepository(who, repository, Role.ADMIN);
    };
  }

  private static Decision inRepository(Grants who, String repository, Role needed) {
    if (repository == null) {
      return Decision.FORBIDDEN; // a repository rule on a path without one: a mistake, closed
    }
    if (!who.sees(repository)) {
      return Decision.HIDDEN;
    }
    return who.role().includes(needed) ? Decision.ALLOW : Decision.FORBIDDEN;
  }
}
