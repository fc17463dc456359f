package io.strata.server.runtime;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Vertx;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;

/**
 * Whether the metadata database answers, as gauges a scrape reads without touching it:
 * {@code strata_database_up} (1 when the last probe, {@code SELECT 1} every {@link #EVERY} within
 * {@link #TIMEOUT}, was answered) and, in embedded mode, {@code strata_embedded_postgres_up} (1 while the private
 * PostgreSQL's server process lives). The connection pools are Vert.x's own series ({@code sql_pool_*}: the metadata
 * pool is {@code __vertx.DEFAULT}, a registered storage's {@code storage-<name>}).
 */
@ApplicationScoped
public class DatabaseMetrics {
  /** The system property in which StrataMain leaves the embedded PostgreSQL's process id. */
  public static final String EMBEDDED_PID = "strata.database.embedded-pid";
  static final Duration EVERY = Duration.ofSeconds(15);
  static final Duration TIMEOUT = Duration.ofSeconds(5);

  private final Pool pool;
  private final PeriodicJob probing;
  private volatile double up = 0;

  DatabaseMetrics(Pool pool, MeterRegistry registry, Vertx vertx, StrataConfig config) {
    this.pool = pool;
    this.probing = new PeriodicJob(vertx, "probing the metadata database", this::probe);
    Gauge.builder("strata.database.up", this, m -> m.up).strongReference(true)
        .description("1 when the metadata database answered the last probe").register(registry);
    config.database().embeddedPid().filter(pid -> pid > 0).flatMap(ProcessHandle::of).ifPresent(postmaster -> Gauge.builder("strata.embedded.postgres.up", postmaster,
            p -> p.isAlive() ? 1 : 0).strongReference(true)
        .description("1 while the embedded PostgreSQL's server process lives").register(registry));
  }

  void onStart(@Observes StartupEvent e) {
    probing.start(Duration.ofMillis(1), EVERY);
  }

  void onStop(@Observes ShutdownEvent e) {
    probing.stop();
  }

  Uni<Void> probe() {
    return pool.query("SELECT 1").execute()
        .ifNoItem().after(TIMEOUT).fail()
        .onItemOrFailure().invoke((rows, failure) -> up = failure == null ? 1 : 0)
        .onFailure().recoverWithNull()
        .replaceWithVoid();
  }
}
