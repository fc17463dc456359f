package io.strata.server.reactors.webhooks;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.strata.server.reactors.webhooks.Attempts.Destination;
import io.strata.server.reactors.webhooks.SenderStore.Delivered;
import io.strata.server.reactors.webhooks.SenderStore.Head;
import io.strata.server.reactors.webhooks.SenderStore.Outcome;
import io.vertx.core.Future;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.jboss.logging.Logger;

/**
 * Runs of attempts on one endpoint: its due deliveries sent one after the other while the receiver
 * takes them, then recorded together, with the runs of other endpoints ending meanwhile
 * ({@link Coalescer}: one statement for all of them).
 */
final class Runs {
  private static final Logger LOG = Logger.getLogger(WebhookSender.class);

  /**
   * A run: the deliveries the receiver took, in order, and the attempt that failed, which ends the
   * run (the deliveries behind it wait for its retry).
   */
  static final class Run {
    final long started = System.nanoTime();
    final List<Delivered> delivered = new ArrayList<>();
    Head failed;
    Outcome failure;

    int attempts() {
      return delivered.size() + (failed == null ? 0 : 1);
    }
  }

  private final Attempts attempts;
  private final SenderStore store;
  private final Duration timeout;
  private final Duration disableAfter;
  /** The runs of held endpoints, recorded together when several end at once. */
  private final Coalescer<SenderStore.Run, Boolean> records;

  Runs(Attempts attempts, SenderStore store, Duration timeout, Duration disableAfter) {
    this.attempts = attempts;
    this.store = store;
    this.timeout = timeout;
    this.disableAfter = disableAfter;
    this.records = new Coalescer<>(this::recordTogether);
  }

  /**
   * Sends {@code heads} one after the other until one fails, one is not due, the run has taken the
   * timeout, or {@code mayBegin} says no further attempt may begin (the sender stopped, or the lease
   * would not outlast another attempt).
   */
  Future<Run> send(Destination target, List<Head> heads, BooleanSupplier mayBegin) {
    return send(target, heads, 0, new Run(), mayBegin);
  }

  private Future<Run> send(Destination target, List<Head> heads, int i, Run run, BooleanSupplier mayBegin) {
    if (i >= heads.size() || !heads.get(i).due() || !mayBegin.getAsBoolean()
        || System.nanoTime() - run.started > timeout.toNanos()) {
      return Future.succeededFuture(run);
    }
    Head head = heads.get(i);
    return attempts.attempt(target, head).compose(outcome -> {
      if (outcome.success()) {
        run.delivered.add(new Delivered(head.id(), outcome));
        return send(target, heads, i + 1, run, mayBegin);
      }
      run.failed = head;
      run.failure = outcome;
      return Future.succeededFuture(run);
    });
  }

  /**
   * Records a run: its deliveries together with other endpoints' runs ending meanwhile, then its
   * failed attempt, if any, on its own (it may disable the endpoint). Until the run is recorded its
   * deliveries stay pending, so a crash sends them again: at least once. Answers whether the
   * endpoint was disabled.
   */
  Future<Boolean> record(Destination target, Run run) {
    Future<Void> delivered = run.delivered.isEmpty() ? Future.succeededFuture()
        : records.ask(new SenderStore.Run(target.id(), run.delivered)).compose(recorded -> recorded
            ? Future.succeededFuture()
            // its deliveries stay pending and are sent again (at least once); the drain ends here
            : Future.failedFuture(new IllegalStateException("recording the run failed")));
    if (run.failed == null) {
      return delivered.map(false);
    }
    return delivered.compose(v -> Future.fromCompletionStage(
            store.recordFailure(target.id(), run.failed.id(), run.failure, disableAfter).subscribeAsCompletionStage()))
        .map(disabled -> {
          disabled.ifPresent(reason -> LOG.warnf(
              "webhooks: endpoint %s (%s) disabled (event io.strata.webhook.disabled.v1): %s", target.id(),
              target.url(), reason));
          return disabled.isPresent();
        });
  }

  /**
   * Records runs of several endpoints in one statement; if that fails, each on its own, so that one
   * endpoint's trouble (deleted at that very moment, say) costs the others nothing. Answers, per run,
   * whether it was recorded.
   */
  private Uni<List<Boolean>> recordTogether(List<SenderStore.Run> runs) {
    Uni<List<Boolean>> together = store.delivered(runs).map(v -> Collections.nCopies(runs.size(), true));
    if (runs.size() == 1) {
      return together.onFailure().recoverWithItem(List.of(false));
    }
    return together.onFailure().recoverWithUni(() -> Multi.createFrom().iterable(runs)
        .onItem().transformToUniAndConcatenate(run -> store.delivered(List.of(run)).replaceWith(true)
            .onFailure().recoverWithItem(false))
        .collect().asList());
  }
}
