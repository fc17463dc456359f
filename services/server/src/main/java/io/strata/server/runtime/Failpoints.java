package io.strata.server.runtime;

import io.smallrye.mutiny.Uni;
import io.strata.server.domain.ErrorCode;
import io.strata.server.domain.StrataException;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jboss.logging.Logger;

/**
 * Named fault-injection points on the recovery paths, inert unless armed: by the environment
 * ({@code STRATA_FAILPOINTS=name=action,...}) for a packaged server, or by {@link #arm} in a test.
 * Actions: {@code halt} stops the process on the spot (no shutdown hook, like kill -9), {@code error}
 * fails the step as an unreachable storage would, {@code delay:<n>s} (or {@code ms}) holds the step
 * that long without blocking a thread, as a large table would (a merge holding its transaction open).
 */
public final class Failpoints {
  private static final Logger LOG = Logger.getLogger(Failpoints.class);
  private static final Pattern DELAY = Pattern.compile("delay:(\\d{1,9})(ms|s)");
  private static final Map<String, String> ARMED = new ConcurrentHashMap<>(parse(System.getenv("STRATA_FAILPOINTS")));
  private static final Map<String, java.util.concurrent.atomic.AtomicLong> HITS = new ConcurrentHashMap<>();

  private Failpoints() {}

  static Map<String, String> parse(String spec) {
    Map<String, String> armed = new ConcurrentHashMap<>();
    if (spec != null) {
      for (String entry : spec.split(",")) {
        String[] parts = entry.strip().split("=", 2);
        if (parts.length == 2 && (parts[1].equals("halt") || parts[1].equals("error") || delay(parts[1]) != null)) {
          armed.put(parts[0], parts[1]);
        }
      }
    }
    return armed;
  }

  /** The duration of a {@code delay:<n>s} or {@code delay:<n>ms} action; null for any other. */
  private static Duration delay(String action) {
    Matcher m = DELAY.matcher(action);
    if (!m.matches()) {
      return null;
    }
    long n = Long.parseLong(m.group(1));
    return m.group(2).equals("ms") ? Duration.ofMillis(n) : Duration.ofSeconds(n);
  }

  public static void arm(String name, String action) {
    ARMED.put(name, action);
  }

  public static void disarm(String name) {
    ARMED.remove(name);
  }

  /** How many times the point was hit while armed: for a test to act while a step is held. */
  public static long timesHit(String name) {
    java.util.concurrent.atomic.AtomicLong hits = HITS.get(name);
    return hits == null ? 0 : hits.get();
  }

  /** Passes, unless the point is armed. */
  public static Uni<Void> hit(String name) {
    String action = ARMED.get(name);
    if (action == null) {
      return Uni.createFrom().voidItem();
    }
    LOG.warnf("failpoint %s: %s", name, action);
    HITS.computeIfAbsent(name, n -> new java.util.concurrent.atomic.AtomicLong()).incrementAndGet();
    if (action.equals("halt")) {
      Runtime.getRuntime().halt(137);
    }
    Duration delay = delay(action);
    if (delay != null) {
      Context context = Vertx.currentContext();
      if (context == null) {
        return Uni.createFrom().voidItem().onItem().delayIt().by(delay);
      }
      // on a timer of the caller's context, so that the step goes on where it was
      return Uni.createFrom().emitter(e -> context.owner().setTimer(delay.toMillis(), id -> e.complete(null)));
    }
    return Uni.createFrom().failure(new StrataException(ErrorCode.StorageUnavailable, "injected failure at " + name));
  }
}
