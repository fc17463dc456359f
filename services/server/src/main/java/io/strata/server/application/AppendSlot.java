package io.strata.server.application;

import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.util.ArrayDeque;

/**
 * One repository's turn to decide and append, taken by one holder at a time, in the order asked, never
 * blocking a thread: a batch of commands holds it from its decision to its commit, a command with
 * data work only to copy the state it works from and, once its work is done, to decide and append. The
 * repository's cached state is read and evolved only by the holder.
 */
final class AppendSlot {
  private final ArrayDeque<Runnable> waiting = new ArrayDeque<>();
  private boolean held;

  /**
   * Completes once the caller holds the slot, on the caller's Vert.x context; {@link #release} it exactly
   * once. Not to be cancelled while waiting (the queue's pipelines never are): the slot would stay held.
   */
  Uni<Void> acquire() {
    return Uni.createFrom().emitter(e -> {
      Context context = Vertx.currentContext();
      Runnable grant = () -> {
        if (context != null) {
          context.runOnContext(v -> e.complete(null));
        } else {
          e.complete(null);
        }
      };
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
        e.complete(null);
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
