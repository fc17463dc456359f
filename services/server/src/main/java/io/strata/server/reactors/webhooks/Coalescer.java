package io.strata.server.reactors.webhooks;

import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Runs one batch operation at a time on the requests made meanwhile: a request made while a batch
 * is under way joins the next one, which starts as soon as that batch ends (a group commit). Many
 * endpoints busy at once share one round trip to the database instead of making one each. A request
 * never waits for company when nothing is under way, beyond the task it is made in: asked on a Vert.x
 * context, the batch starts once that task is done (a wake of ten endpoints, or answers of several
 * receivers read in one turn of the event loop, make one batch, not one alone and one of the rest).
 *
 * @param <T> a request
 * @param <R> its answer
 */
final class Coalescer<T, R> {
  private record Waiting<T, R>(T request, Promise<R> answer) {}

  /** The operation: answers every request of a batch, in the requests' order. */
  private final Function<List<T>, Uni<List<R>>> operation;
  private List<Waiting<T, R>> waiting = new ArrayList<>();
  private boolean running;

  Coalescer(Function<List<T>, Uni<List<R>>> operation) {
    this.operation = operation;
  }

  Uni<R> submit(T request) {
    return Uni.createFrom().completionStage(ask(request).toCompletionStage());
  }

  /** {@link #submit}, as a Vert.x future (completed on the thread that ends the batch). */
  Future<R> ask(T request) {
    Promise<R> answer = Promise.promise();
    boolean start;
    synchronized (this) {
      waiting.add(new Waiting<>(request, answer));
      start = !running;
      running = true;
    }
    if (start) {
      Context context = Vertx.currentContext();
      if (context == null) {
        next();
      } else {
        context.runOnContext(v -> next());
      }
    }
    return answer.future();
  }

  /** Runs the batch of everything waiting, then the next, until nothing waits. */
  private void next() {
    List<Waiting<T, R>> batch;
    synchronized (this) {
      if (waiting.isEmpty()) {
        running = false;
        return;
      }
      batch = waiting;
      waiting = new ArrayList<>();
    }
    Uni<List<R>> answers;
    try {
      answers = operation.apply(batch.stream().map(Waiting::request).toList());
    } catch (RuntimeException e) {
      answers = Uni.createFrom().failure(e);
    }
    answers.subscribe().with(
        results -> {
          for (int i = 0; i < batch.size(); i++) {
            batch.get(i).answer().complete(results.get(i));
          }
          next();
        },
        failure -> {
          batch.forEach(w -> w.answer().fail(failure));
          next();
        });
  }
}
