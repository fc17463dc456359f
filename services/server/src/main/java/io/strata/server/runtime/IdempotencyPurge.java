package io.strata.server.runtime;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.strata.projections.log.EventLog;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.time.Duration;
import org.jboss.logging.Logger;

/**
 * Deletes the answers of commands whose Idempotency-Key expired (STRATA_IDEMPOTENCY_TTL), at start-up
 * and every STRATA_IDEMPOTENCY_PURGE_INTERVAL, so the table holds at most about a lifetime of keys.
 * Lookups already ignore expired answers; the purge only frees their space.
 */
@ApplicationScoped
public class IdempotencyPurge {
  private static final Logger LOG = Logger.getLogger(IdempotencyPurge.class);

  private final PeriodicJob job;
  private final StrataConfig config;

  @Inject
  public IdempotencyPurge(EventLog log, Vertx vertx, StrataConfig config) {
    this.config = config;
    this.job = new PeriodicJob(vertx, "purging expired Idempotency-Key answers",
        () -> log.purgeExpiredIdempotencyRecords().invoke(deleted -> {
          if (deleted > 0) {
            LOG.infof("purged %d expired Idempotency-Key answers", deleted);
          }
        }));
  }

  void onStart(@Observes StartupEvent e) {
    job.runNow();
    Duration every = config.idempotency().purgeInterval();
    job.start(every, every);
  }

  void onStop(@Observes ShutdownEvent e) {
    job.stop();
  }

  /** One purge, unless one is still running; failures are logged and retried at the next interval. */
  void purge() {
    job.runNow();
  }
}
