package io.strata.server.runtime;

import io.smallrye.mutiny.Uni;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.jboss.logging.Logger;

/**
 * A maintenance job the server runs on a timer (a recovery sweep, a purge): non-blocking, one run at a
 * time (a slow run is not overtaken, the next tick is skipped), a failed run logged and tried again at
 * the next tick, and the timer cancelled at shutdown so that no run starts while the pools close.
 */
public final class PeriodicJob {
  private static final Logger LOG = Logger.getLogger(PeriodicJob.class);

  private final Vertx vertx;
  private final String what;
  private final Supplier<Uni<?>> run;
  private final AtomicBoolean running = new AtomicBoolean();
  private volatile long timer = -1;
  private volatile Duration every;

  /** @param what the job, as its failures are logged ("purging expired …") */
  public PeriodicJob(Vertx vertx, String what, Supplier<Uni<?>> run) {
    this.vertx = vertx;
    this.what = what;
    this.run = run;
  }

  /** Runs the job every {@code every}, the first time after {@code delay}. */
  public void start(Duration delay, Duration every) {
    this.every = every;
    timer = vertx.setPeriodic(Math.max(1, delay.toMillis()), every.toMillis(), id -> runNow());
  }

  /** Cancels the timer: no run starts after this (one under way ends by itself). */
  public void stop() {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
  }

  /** One run now, unless one is under way. */
  public void runNow() {
    if (!running.compareAndSet(false, true)) {
      return;
    }
    Uni<?> once;
    try {
      once = run.get();
    } catch (RuntimeException failure) {
      once = Uni.createFrom().failure(failure);
    }
    once.subscribe().with(
        done -> running.set(false),
        failure -> {
          running.set(false);
          LOG.warnf("%s failed; it runs again %s: %s", what, every == null ? "later" : "in " + every,
              failure.getMessage());
        });
  }

  /** Whether a run is under way. */
  public boolean running() {
    return running.get();
  }
}
