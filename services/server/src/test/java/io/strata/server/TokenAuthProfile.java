package io.strata.server;

import io.quarkus.test.junit.QuarkusTestProfile;
import java.util.Map;

/** The server with STRATA_AUTH=token and a known bootstrap admin token (tests share one start of it). */
public class TokenAuthProfile implements QuarkusTestProfile {
  public static final String ADMIN_TOKEN = "strata_test-admin-token-0123456789abcdef";
  /** Short, so that a revocation made "by another server" (straight in the table) is seen within a test. */
  public static final int CACHE_TTL_SECONDS = 2;

  @Override
  public Map<String, String> getConfigOverrides() {
    return Map.of("strata.auth", "token", "strata.admin-token", ADMIN_TOKEN,
        "strata.token-cache-ttl", CACHE_TTL_SECONDS + "s");
  }
}
