package io.strata.server.application;

import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One repository's turn to decide and append, taken by one holder at a time, in the order asked, never
 * blocking a thread: a batch of commands holds it from its decision to its commit, a command with
 * data work only to copy the state it works from and, once its work is done, to decide and append. The
 * repository's cached state is read and evolved only by the holder.
 */
final class AppendSlot {
  private static final int WAITING = 0;
  private static final int GRANTED = 1;
  private static final int DELIVERED = 2;
  private static final int LEFT = 3;

  private final ArrayDeque<Runnable> waiting = new ArrayDeque<>();
  private boolean held;

  /**
   * Completes once the caller holds the slot, on the caller's Vertx context; {@link #release} it exactly once. A
   * caller that leaves while it waits (its subscription cancelled: a client that hung up on a read waiting behind a
   * long merge) leaves the line, and a turn handed to it as it left is passed on: it holds nothing, and must not
   * release.
   */
  Uni<Void> acquire() {
    return Uni.createFrom().emitter(e -> {
      Context context = Vertx.currentContext();
      // WAITING -> GRANTED (the turn is the caller's) -> DELIVERED; or -> LEFT (cancelled before delivery)
      AtomicInteger turn = new AtomicInteger(WAITING);
      Runnable deliver = () -> {
        if (turn.compareAndSet(GRANTED, DELIVERED)) {
          e.complete(null);
        } else {
          release(); // granted to a caller that left meanwhile: passed on
        }
      };
      Runnable grant = () -> {
        if (!turn.compareAndSet(WAITING, GRANTED)) {
          release(); // left the line as the turn came to it
        } else if (context != null) {
          context.runOnContext(v -> deliver.run());
        } else {
          deliver.run();
        }
      };
      e.onTermination(() -> {
        int was = turn.getAndUpdate(t -> t == DELIVERED ? t : LEFT);
        if (was == WAITING) {
          synchronized (this) {
            waiting.remove(grant);
          }
        }
        // GRANTED: deliver() finds LEFT and passes the turn on; DELIVERED: the caller holds it and releases it
      });
      boolean now;
      synchronized (this) {
        now = !held;
        if (now) {
          held = true;
        } else {
          waiting.add(grant);
        }
      }
      if (now) {
        grant.run();
      }
    });
  }

  /**
   * {@code work} run holding the slot, released once it ends, fails or its caller leaves; a caller that leaves while
   * waiting for the slot never held it and releases nothing.
   */
  <T> Uni<T> holding(java.util.function.Supplier<Uni<T>> work) {
    boolean[] held = {false};
    return acquire().invoke(() -> held[0] = true).chain(work::get).eventually(() -> {
      if (held[0]) {
        held[0] = false;
        release();
      }
    });
  }

  /** Passes the slot to the next in line, or frees it. */
  void release() {
    Runnable next;
    synchronized (this) {
      next = waiting.poll();
      if (next == null) {
        held = false;
      }
    }
    if (next != null) {
      next.run();
    }
  }
}
