package io.strata.server.runtime;

import io.smallrye.mutiny.Uni;
import io.strata.server.domain.ErrorCode;
import io.strata.server.domain.StrataException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jboss.logging.Logger;

/**
 * Named fault-injection points on the recovery paths, inert unless armed: by the environment
 * ({@code STRATA_FAILPOINTS=name=action,...}) for a packaged server, or by {@link #arm} in a test.
 * Actions: {@code halt} stops the process on the spot (no shutdown hook, like kill -9), {@code error}
 * fails the step as an unreachable storage would.
 */
public final class Failpoints {
  private static final Logger LOG = Logger.getLogger(Failpoints.class);
  private static final Map<String, String> ARMED = new ConcurrentHashMap<>(parse(System.getenv("STRATA_FAILPOINTS")));

  private Failpoints() {}

  static Map<String, String> parse(String spec) {
    Map<String, String> armed = new ConcurrentHashMap<>();
    if (spec != null) {
      for (String entry : spec.split(",")) {
        String[] parts = entry.strip().split("=", 2);
        if (parts.length == 2 && (parts[1].equals("halt") || parts[1].equals("error"))) {
          armed.put(parts[0], parts[1]);
        }
      }
    }
    return armed;
  }

  public static void arm(String name, String action) {
    ARMED.put(name, action);
  }

  public static void disarm(String name) {
    ARMED.remove(name);
  }

  /** Passes, unless the point is armed. */
  public static Uni<Void> hit(String name) {
    String action = ARMED.get(name);
    if (action == null) {
      return Uni.createFrom().voidItem();
    }
    LOG.warnf("failpoint %s: %s", name, action);
    if (action.equals("halt")) {
      Runtime.getRuntime().halt(137);
    }
    return Uni.createFrom().failure(new StrataException(ErrorCode.StorageUnavailable, "injected failure at " + name));
  }
}
