package io.strata.server.application;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.strata.server.runtime.Failpoints;
import io.strata.server.runtime.PeriodicJob;
import io.strata.server.runtime.StrataConfig;
import io.vertx.core.Vertx;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.time.Duration;
import org.jboss.logging.Logger;

/**
 * When the recovery of {@link CrossStorageCommits} runs besides the commands that write in other
 * storages: once at start-up, then every {@code strata.recovery.sweep-interval}, with the sweep of overlays no branch
 * has ({@link LeftOverlaySweep}).
 */
@ApplicationScoped
public class RecoverySchedule {
  private static final Logger LOG = Logger.getLogger(RecoverySchedule.class);

  private final CrossStorageCommits recovery;
  private final DeltaIntentRecovery deltaIntents;
  private final LeftOverlaySweep leftOverlays;
  private final StrataConfig config;
  /**
   * The periodic sweep. Failpoint {@code recovery.periodic} holds it (a test looking at what a failure
   * left before recovery runs).
   */
  private final PeriodicJob periodic;

  @Inject
  public RecoverySchedule(CrossStorageCommits recovery, DeltaIntentRecovery deltaIntents,
      LeftOverlaySweep leftOverlays, Vertx vertx, StrataConfig config) {
    this.recovery = recovery;
    this.deltaIntents = deltaIntents;
    this.leftOverlays = leftOverlays;
    this.config = config;
    this.periodic = new PeriodicJob(vertx, "periodic recovery sweep",
        () -> Failpoints.hit("recovery.periodic").chain(deltaIntents::recoverAll).chain(recovery::sweepAll)
            // then the overlays in other databases no branch has (a deletion's clean-up that never ran)
            .chain(leftOverlays::sweepAll));
  }

  /**
   * At start-up, once projections have caught up (the default observer priority) and before requests:
   * what interrupted units wrote to Delta tables is put back, and every commit attempt a crash interrupted is settled.
   */
  void onStart(@Observes @Priority(3000) StartupEvent e) {
    // first what units of a process that died wrote to Delta tables, then the commit attempts it interrupted: each
    // pass with a budget of its own, so that a Delta storage out of reach holds up no settling of the attempts
    startUpPass("Delta writes of interrupted units", deltaIntents::recoverAll);
    startUpPass("commit attempts", recovery::sweepAll);
    periodic.start(config.recovery().sweepInterval(), config.recovery().sweepInterval());
  }

  private void startUpPass(String what, java.util.function.Supplier<io.smallrye.mutiny.Uni<Void>> pass) {
    try {
      pass.get().await().atMost(START_UP_BUDGET);
    } catch (RuntimeException failure) {
      LOG.warnf("start-up recovery of %s incomplete (a storage unreachable?); it runs again at the next commit"
          + " of the repository concerned and every %s: %s", what, config.recovery().sweepInterval(),
          failure.getMessage());
    }
  }

  /** How long start-up waits for each recovery pass before serving (the periodic sweep finishes what is left). */
  private static final Duration START_UP_BUDGET = Duration.ofSeconds(60);

  /** No sweep starts while the pools it needs are closing. */
  void onStop(@Observes ShutdownEvent e) {
    periodic.stop();
  }

  /** Whether a periodic sweep is under way. */
  public boolean sweeping() {
    return periodic.running();
  }
}
