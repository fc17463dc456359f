package io.strata.server.runtime;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.concurrent.TimeUnit;

/**
 * Strata's own meters, beside the HTTP ones Quarkus keeps per route template ({@code /q/metrics}, Prometheus'
 * format). Every label takes few values — a command's kind, an outcome, an event type — never a repository, branch
 * or user name, so a server with many repositories keeps few series.
 *
 * <ul>
 *   <li>{@code strata_commands_total{command, outcome}}: commands decided, {@code accepted} or {@code refused};</li>
 *   <li>{@code strata_events_appended_total{type}}: events appended to the log, by type;</li>
 *   <li>{@code strata_event_append_seconds}: an append's transaction, from its start to its commit;</li>
 *   <li>{@code strata_event_append_commands}: commands appended together in one transaction (group commit);</li>
 *   <li>{@code strata_webhook_attempts_total{outcome}} and {@code strata_webhook_attempt_seconds}: delivery attempts;</li>
 *   <li>{@code strata_reactor_*{reactor}} (ReactorMetrics): each reactor's lag, failures and lease.</li>
 * </ul>
 */
@ApplicationScoped
public class StrataMetrics {
  private final MeterRegistry registry;
  private final Timer append;
  private final DistributionSummary groupSize;

  public StrataMetrics(MeterRegistry registry) {
    this.registry = registry;
    this.append = Timer.builder("strata.event.append").description("An append's transaction, from start to commit")
        .serviceLevelObjectives(MeterFilters.BUCKETS).register(registry);
    this.groupSize = DistributionSummary.builder("strata.event.append.commands")
        .description("Commands appended together in one transaction (group commit)").register(registry);
    // at zero from the start: a series that appears only at its first event reads as missing, not as none
    for (String outcome : java.util.List.of("delivered", "retried", "failed", "gone")) {
      webhookAttempts(outcome);
    }
    webhookLatency();
  }

  private Counter webhookAttempts(String outcome) {
    return Counter.builder("strata.webhook.attempts").description("Webhook delivery attempts, by outcome")
        .tag("outcome", outcome).register(registry);
  }

  private Timer webhookLatency() {
    return Timer.builder("strata.webhook.attempt").description("A webhook delivery attempt, from connecting to the answer")
        .serviceLevelObjectives(MeterFilters.BUCKETS).register(registry);
  }

  /** A webhook delivery attempt ended: {@code delivered}, {@code retried}, {@code failed} (its last) or {@code gone}. */
  public void webhookAttempt(String outcome, long latencyMs) {
    webhookAttempts(outcome).increment();
    webhookLatency().record(latencyMs, TimeUnit.MILLISECONDS);
  }

  /** A command was decided: its events will be appended, or it was refused. */
  public void decided(Object command, boolean accepted) {
    Counter.builder("strata.commands").description("Commands decided, by kind and outcome")
        .tag("command", command == null ? "unknown" : command.getClass().getSimpleName())
        .tag("outcome", accepted ? "accepted" : "refused").register(registry).increment();
  }

  /** An append committed {@code commands} commands' events ({@code types}) in {@code nanos}. */
  public void appended(long nanos, int commands, java.util.List<String> types) {
    append.record(nanos, TimeUnit.NANOSECONDS);
    groupSize.record(commands);
    for (String type : types) {
      Counter.builder("strata.events.appended").description("Events appended to the log, by type").tag("type", type)
          .register(registry).increment();
    }
  }
}
