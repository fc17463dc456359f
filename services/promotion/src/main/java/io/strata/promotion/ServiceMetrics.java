package io.strata.promotion;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The promotion service's meters ({@code /q/metrics}): {@code strata_promotion_steps_total{step, outcome}} (a
 * request opened, evaluated, checked, merged or verified: {@code done}, {@code taken_first} by another caller, or
 * {@code refused}), {@code strata_promotion_passes_total{outcome}} and {@code strata_promotion_pass_seconds} (one
 * repository's reconciliation: {@code done} or {@code failed}, to be tried again), {@code
 * strata_promotion_feed_connected} (1 while it follows the event feed). No label names a repository.
 */
final class ServiceMetrics {
  private static final Duration[] BUCKETS = java.util.stream.Stream.of(5, 25, 100, 250, 1000, 2500, 10000, 60000)
      .map(Duration::ofMillis).toArray(Duration[]::new);

  private final MeterRegistry registry;
  private final Timer pass;

  ServiceMetrics(MeterRegistry registry) {
    this.registry = registry;
    this.pass = Timer.builder("strata.promotion.pass").description("One repository's reconciliation")
        .serviceLevelObjectives(BUCKETS).register(registry);
    for (NextStep step : NextStep.values()) {
      if (step != NextStep.WAIT) {
        for (String outcome : java.util.List.of("done", "taken_first", "refused")) {
          steps(step.name().toLowerCase(java.util.Locale.ROOT), outcome);
        }
      }
    }
    for (String outcome : java.util.List.of("done", "taken_first", "refused")) {
      steps("open", outcome);
    }
  }

  private Counter steps(String step, String outcome) {
    return Counter.builder("strata.promotion.steps").description("Steps the service took, by kind and outcome")
        .tag("step", step).tag("outcome", outcome).register(registry);
  }

  void step(String step, String outcome) {
    steps(step, outcome).increment();
  }

  void pass(long nanos, boolean done) {
    pass.record(nanos, TimeUnit.NANOSECONDS);
    Counter.builder("strata.promotion.passes").description("Repository reconciliations, by outcome")
        .tag("outcome", done ? "done" : "failed").register(registry).increment();
  }

  void feed(java.util.function.BooleanSupplier connected) {
    io.micrometer.core.instrument.Gauge.builder("strata.promotion.feed.connected", connected,
        c -> c.getAsBoolean() ? 1 : 0).description("1 while the service follows the event feed").strongReference(true)
        .register(registry);
  }
}
