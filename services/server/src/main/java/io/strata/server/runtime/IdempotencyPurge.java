package io.strata.server.runtime;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.strata.projections.log.EventLog;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jboss.logging.Logger;

/**
 * Deletes the answers of commands whose Idempotency-Key expired (STRATA_IDEMPOTENCY_TTL), at start-up
 * and every STRATA_IDEMPOTENCY_PURGE_INTERVAL, so the table holds at most about a lifetime of keys.
 * Lookups already ignore expired answers; the purge only frees their space.
 */
@ApplicationScoped
public class IdempotencyPurge {
  private static final Logger LOG = Logger.getLogger(IdempotencyPurge.class);

  private final EventLog log;
  private final Vertx vertx;
  private final StrataConfig config;
  private final AtomicBoolean running = new AtomicBoolean();
  private volatile long timer = -1;

  @Inject
  public IdempotencyPurge(EventLog log, Vertx vertx, StrataConfig config) {
    this.log = log;
    this.vertx = vertx;
    this.config = config;
  }

  void onStart(@Observes StartupEvent e) {
    purge();
    timer = vertx.setPeriodic(config.idempotency().purgeInterval().toMillis(), id -> purge());
  }

  void onStop(@Observes ShutdownEvent e) {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
  }

  /** One purge, unless one is still running; failures are logged and retried at the next interval. */
  void purge() {
    if (!running.compareAndSet(false, true)) {
      return;
    }
    log.purgeExpiredIdempotencyRecords().subscribe().with(
        deleted -> {
          running.set(false);
          if (deleted > 0) {
            LOG.infof("purged %d expired Idempotency-Key answers", deleted);
          }
        },
        failure -> {
          running.set(false);
          LOG.warnf("purging expired Idempotency-Key answers failed; it runs again in %s: %s",
              config.idempotency().purgeInterval(), failure.getMessage());
        });
  }
}
