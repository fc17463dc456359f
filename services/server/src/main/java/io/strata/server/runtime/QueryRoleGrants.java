package io.strata.server.runtime;

import jakarta.enterprise.context.ApplicationScoped;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What this server granted each repository's query role, per database: the signature of the tracked
 * tables it was granted (so a query re-grants only after tracking changed). Forgotten with the
 * repository, whose role is revoked with it.
 */
@ApplicationScoped
public class QueryRoleGrants {
  private final Map<String, String> granted = new ConcurrentHashMap<>();

  private static String place(String repository, String storage) {
    return repository + "\u0000" + storage;
  }

  /** Whether the role of {@code repository} in {@code storage} was granted exactly {@code signature}. */
  public boolean isCurrent(String repository, String storage, String signature) {
    return signature.equals(granted.get(place(repository, storage)));
  }

  public void granted(String repository, String storage, String signature) {
    granted.put(place(repository, storage), signature);
  }

  /** Forgets a deleted repository's grants. */
  public void forget(String repository) {
    String prefix = repository + "\u0000";
    granted.keySet().removeIf(k -> k.startsWith(prefix));
  }
}
