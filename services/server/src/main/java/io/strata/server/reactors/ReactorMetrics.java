package io.strata.server.reactors;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import io.strata.server.runtime.PeriodicJob;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Each reactor's standing as gauges, sampled every {@link #EVERY} from what {@code GET /api/v1/admin/reactors}
 * answers (a scrape reads the last sample, never the database): {@code strata_reactor_lag_events{reactor}} (events
 * committed after its checkpoint, counted up to a million), {@code strata_reactor_lag_seconds{reactor}} (how long
 * its checkpoint has stood while events wait: 0 when caught up), {@code strata_reactor_failures{reactor}} (batches
 * failed in a row here) and {@code strata_reactor_lease{reactor}} (1 on the server holding its lease). A reactor is
 * a label value of its own name (kafka, webhooks): few series.
 */
@ApplicationScoped
public class ReactorMetrics {
  static final Duration EVERY = Duration.ofSeconds(15);

  private final Reactors reactors;
  private final MeterRegistry registry;
  private final PeriodicJob sampling;
  private final Map<String, Sample> samples = new ConcurrentHashMap<>();

  /** The last sample of one reactor. */
  private static final class Sample {
    volatile double lagEvents;
    volatile double lagSeconds;
    volatile double failures;
    volatile double lease;
  }

  ReactorMetrics(Reactors reactors, MeterRegistry registry, Vertx vertx) {
    this.reactors = reactors;
    this.registry = registry;
    this.sampling = new PeriodicJob(vertx, "sampling the reactors' metrics", this::sample);
  }

  void onStart(@Observes StartupEvent e) {
    sampling.start(Duration.ofSeconds(1), EVERY);
  }

  void onStop(@Observes ShutdownEvent e) {
    sampling.stop();
  }

  /** One sample of every reactor. */
  Uni<Void> sample() {
    return reactors.report().invoke(all -> all.forEach(r -> {
      Sample s = samples.computeIfAbsent(r.name(), this::register);
      r.status().ifPresent(status -> {
        s.lagEvents = status.lag();
        s.lagSeconds = status.lag() == 0 || status.updatedAt() == null ? 0
            : Math.max(0, Duration.between(status.updatedAt(), Instant.now()).toMillis() / 1000.0);
      });
      s.failures = r.here().map(h -> (double) h.failuresInARow()).orElse(0.0);
      s.lease = r.here().map(h -> h.owner() ? 1.0 : 0.0).orElse(0.0);
    })).replaceWithVoid();
  }

  private Sample register(String reactor) {
    Sample s = new Sample();
    Gauge.builder("strata.reactor.lag.events", s, x -> x.lagEvents).tag("reactor", reactor)
        .description("Events committed after the reactor's checkpoint").register(registry);
    Gauge.builder("strata.reactor.lag.seconds", s, x -> x.lagSeconds).tag("reactor", reactor)
        .description("How long the reactor's checkpoint has stood while events wait").register(registry);
    Gauge.builder("strata.reactor.failures", s, x -> x.failures).tag("reactor", reactor)
        .description("Batches the reactor failed in a row on this server").register(registry);
    Gauge.builder("strata.reactor.lease", s, x -> x.lease).tag("reactor", reactor)
        .description("1 on the server holding the reactor's lease").register(registry);
    return s;
  }
}
