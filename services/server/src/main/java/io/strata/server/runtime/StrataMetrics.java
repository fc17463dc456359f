package io.strata.server.runtime;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.strata.events.CommitCreated;
import io.strata.events.CommitStats;
import io.strata.events.EventType;
import io.strata.events.MergeStarted;
import io.strata.events.StrataEvent;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Strata's own meters, beside the HTTP ones Quarkus keeps per route template ({@code /q/metrics}, Prometheus'
 * format). Every label takes few values — a command's kind, an outcome, an event type — never a repository, branch
 * or user name, so a server with many repositories keeps few series.
 *
 * <ul>
 *   <li>{@code strata_commands_total{command, outcome}}: commands decided, {@code accepted} or {@code refused};</li>
 *   <li>{@code strata_events_appended_total{type}}: events appended to the log, by type;</li>
 *   <li>{@code strata_commits_total{kind}}, {@code strata_rows_committed_total{change}} and
 *       {@code strata_merge_conflicts_total}: commits by kind, the rows they changed, conflicts merges stopped on;</li>
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
  private final Counter mergeConflicts;
  private final Map<String, Counter> rowsCommitted = new HashMap<>();
  private final Map<String, Counter> commits = new HashMap<>();

  public StrataMetrics(MeterRegistry registry) {
    this.registry = registry;
    this.append = Timer.builder("strata.event.append").description("An append's transaction, from start to commit")
        .serviceLevelObjectives(MeterFilters.BUCKETS).register(registry);
    this.groupSize = DistributionSummary.builder("strata.event.append.commands")
        .description("Commands appended together in one transaction (group commit)").register(registry);
    // at zero from the start: a series that appears only at its first event reads as missing, not as none
    for (String outcome : List.of("delivered", "retried", "failed", "gone")) {
      webhookAttempts(outcome);
    }
    webhookLatency();
    this.mergeConflicts = Counter.builder("strata.merge.conflicts")
        .description("Conflicts merges (and reverts, cherry-picks) stopped on, to be resolved").register(registry);
    for (String kind : List.of("commit", "merge", "applied")) {
      commits.put(kind, Counter.builder("strata.commits").description("Commits created, by kind: merge, applied (a"
          + " revert or cherry-pick), commit").tag("kind", kind).register(registry));
    }
    for (String change : List.of("inserted", "updated", "deleted")) {
      rowsCommitted.put(change, Counter.builder("strata.rows.committed")
          .description("Rows committed, by change (summed over tables)").tag("change", change).register(registry));
    }
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

  /** An append committed {@code commands} commands' {@code events} in {@code nanos}. */
  public void appended(long nanos, int commands, List<StrataEvent> events) {
    append.record(nanos, TimeUnit.NANOSECONDS);
    groupSize.record(commands);
    for (StrataEvent event : events) {
      Counter.builder("strata.events.appended").description("Events appended to the log, by type")
          .tag("type", EventType.of(event).type()).register(registry).increment();
      if (event instanceof CommitCreated commit) {
        committed(commit);
      } else if (event instanceof MergeStarted stopped && stopped.conflicts() > 0) {
        mergeConflicts.increment(stopped.conflicts());
      }
    }
  }

  /** A commit by kind (a merge's, a revert's or cherry-pick's, any other) and the rows it changed. */
  private void committed(CommitCreated commit) {
    commits.get(commit.merge() != null ? "merge" : commit.applied() != null ? "applied" : "commit").increment();
    CommitStats stats = commit.stats() == null ? CommitStats.EMPTY : commit.stats();
    rowsCommitted.get("inserted").increment(stats.inserted());
    rowsCommitted.get("updated").increment(stats.updated());
    rowsCommitted.get("deleted").increment(stats.deleted());
  }
}
