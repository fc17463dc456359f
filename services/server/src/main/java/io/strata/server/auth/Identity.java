package io.strata.server.auth;

import java.time.Instant;
import java.util.List;

/**
 * Who a valid token says the caller is: its name, role and the repositories it is granted
 * ({@code ["*"]}: all of them, present and future).
 */
public record Identity(String tokenId, String name, Role role, List<String> repositories, Instant expiresAt) {
  public static final String ALL = Grants.ALL;

  /** What the token may do. */
  public Grants grants() {
    return new Grants(role, repositories);
  }

  public boolean allRepositories() {
    return grants().allRepositories();
  }

  /** Whether the token may know that {@code repository} exists. */
  public boolean sees(String repository) {
    return grants().sees(repository);
  }

  public boolean expired(Instant now) {
    return expiresAt != null && !now.isBefore(expiresAt);
  }

  /** The actor recorded on the events this identity causes: {@code token:<name>} (names are never reused). */
  public String actorId() {
    return "token:" + name;
  }

  /** For logs: the identity, never the secret. */
  @Override
  public String toString() {
    return "token:" + name;
  }
}
