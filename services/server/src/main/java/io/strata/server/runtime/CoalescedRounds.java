package io.strata.server.runtime;

import io.smallrye.mutiny.Uni;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * Rounds of work per key that any number of callers may ask for, run at most one at a time per key with
 * at most one more queued: a caller waits for a round that starts after it asked (it sees what was done
 * before it asked), and callers that ask while one is queued share that one. Many readers asking at once
 * cost two rounds, not one each. The lock guards two fields and is never held across work.
 */
public final class CoalescedRounds {
  private final Function<String, Uni<Void>> round;
  private final Map<String, Slot> slots = new HashMap<>();

  private static final class Slot {
    CompletableFuture<Void> running;
    CompletableFuture<Void> queued;
  }

  public CoalescedRounds(Function<String, Uni<Void>> round) {
    this.round = round;
  }

  /** Completes when a round for {@code key} that started after this call has ended (failed as it failed). */
  public Uni<Void> await(String key) {
    return Uni.createFrom().deferred(() -> {
      CompletableFuture<Void> mine;
      boolean start = false;
      synchronized (slots) {
        Slot s = slots.computeIfAbsent(key, k -> new Slot());
        if (s.running == null) {
          s.running = mine = new CompletableFuture<>();
          start = true;
        } else {
          if (s.queued == null) {
            s.queued = new CompletableFuture<>();
          }
          mine = s.queued;
        }
      }
      if (start) {
        run(key, mine);
      }
      return Uni.createFrom().completionStage(mine);
    });
  }

  private void run(String key, CompletableFuture<Void> done) {
    Uni<Void> work;
    try {
      work = round.apply(key);
    } catch (RuntimeException e) {
      work = Uni.createFrom().failure(e);
    }
    work.subscribe().with(v -> finish(key, done, null), e -> finish(key, done, e));
  }

  private void finish(String key, CompletableFuture<Void> done, Throwable failure) {
    CompletableFuture<Void> next;
    synchronized (slots) {
      Slot s = slots.get(key);
      next = s.queued;
      s.queued = null;
      s.running = next;
      if (next == null) {
        slots.remove(key);
      }
    }
    if (failure == null) {
      done.complete(null);
    } else {
      done.completeExceptionally(failure);
    }
    if (next != null) {
      run(key, next);
    }
  }
}
