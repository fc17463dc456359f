package io.strata.server.application;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.strata.server.runtime.Failpoints;
import io.strata.server.runtime.StrataConfig;
import io.vertx.core.Vertx;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jboss.logging.Logger;

/**
 * When the recovery of {@link CrossStorageCommits} runs besides the commands that write in other
 * storages: once at start-up, then every {@code strata.recovery.sweep-interval}.
 */
@ApplicationScoped
public class RecoverySchedule {
  private static final Logger LOG = Logger.getLogger(RecoverySchedule.class);

  private final CrossStorageCommits recovery;
  private final Vertx vertx;
  private final StrataConfig config;
  private final AtomicBoolean sweeping = new AtomicBoolean();
  private volatile long sweepTimer = -1;

  @Inject
  public RecoverySchedule(CrossStorageCommits recovery, Vertx vertx, StrataConfig config) {
    this.recovery = recovery;
    this.vertx = vertx;
    this.config = config;
  }

  /**
   * At start-up, once projections have caught up (the default observer priority) and before requests:
   * every commit attempt a crash interrupted is settled.
   */
  void onStart(@Observes @Priority(3000) StartupEvent e) {
    try {
      recovery.sweepAll().await().atMost(Duration.ofSeconds(60));
    } catch (RuntimeException failure) {
      LOG.warnf("start-up recovery sweep incomplete (a storage unreachable?); it runs again at the next commit"
          + " of the repository concerned and every %s: %s", config.recovery().sweepInterval(), failure.getMessage());
    }
    sweepTimer = vertx.setPeriodic(config.recovery().sweepInterval().toMillis(), timer -> sweepPeriodically());
  }

  /** No sweep starts while the pools it needs are closing. */
  void onStop(@Observes ShutdownEvent e) {
    if (sweepTimer >= 0) {
      vertx.cancelTimer(sweepTimer);
    }
  }

  /** Whether a periodic sweep is under way. */
  public boolean sweeping() {
    return sweeping.get();
  }

  /**
   * The periodic sweep (non-blocking, on the event loop); one at a time: a slow one is not overtaken.
   * Failpoint {@code recovery.periodic} skips it (a test holding recovery off while it looks at what
   * a failure left).
   */
  private void sweepPeriodically() {
    if (!sweeping.compareAndSet(false, true)) {
      return;
    }
    Failpoints.hit("recovery.periodic").chain(recovery::sweepAll).subscribe().with(
        done -> sweeping.set(false),
        failure -> {
          sweeping.set(false);
          LOG.warnf("periodic recovery sweep failed: %s", failure.getMessage());
        });
  }
}
