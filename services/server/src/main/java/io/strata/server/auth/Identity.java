package io.strata.server.auth;

import io.strata.server.commands.Actor;
import java.time.Instant;
import java.util.List;

/**
 * Who a valid token says the caller is: its name, role and the repositories it is granted
 * ({@code ["*"]}: all of them, present and future).
 */
public record Identity(String tokenId, String name, Role role, List<String> repositories, Instant expiresAt) {
  public static final String ALL = "*";

  public boolean allRepositories() {
    return repositories.contains(ALL);
  }

  /** Whether the token may know that {@code repository} exists. */
  public boolean sees(String repository) {
    return allRepositories() || repositories.contains(repository);
  }

  public boolean expired(Instant now) {
    return expiresAt != null && !now.isBefore(expiresAt);
  }

  /** The actor recorded on the events this identity causes: {@code token:<name>} (names are never reused). */
  public Actor actor() {
    return new Actor("token:" + name, name, null);
  }

  /** For logs: the identity, never the secret. */
  @Override
  public String toString() {
    return "token:" + name;
  }
}
