package io.strata.projections.runtime;

import io.smallrye.mutiny.Uni;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/** How far projections have applied each stream, and who is waiting for which version. */
final class ProjectionProgress {
  private final Map<String, StreamProgress> streams = new ConcurrentHashMap<>();

  long applied(String streamId) {
    StreamProgress p = streams.get(streamId);
    return p == null ? -1 : p.applied();
  }

  void advance(String streamId, long version) {
    streams.computeIfAbsent(streamId, id -> new StreamProgress()).advance(version);
  }

  void reset() {
    streams.values().forEach(StreamProgress::reset);
  }

  /** Completes once {@code streamId} is applied up to {@code version}; the caller adds a timeout. */
  Uni<Void> await(String streamId, long version) {
    CompletableFuture<Void> done =
        streams.computeIfAbsent(streamId, id -> new StreamProgress()).waitFor(version);
    return Uni.createFrom().completionStage(done)
        .onCancellation().invoke(() -> done.cancel(false))
        .onFailure().invoke(() -> done.cancel(false));
  }

  private static final class StreamProgress {
    private long applied = -1;
    private final TreeMap<Long, List<CompletableFuture<Void>>> waiters = new TreeMap<>();

    synchronized long applied() {
      return applied;
    }

    synchronized void reset() {
      applied = -1;
    }

    CompletableFuture<Void> waitFor(long version) {
      synchronized (this) {
        if (applied >= version) {
          return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<Void> f = new CompletableFuture<>();
        waiters.computeIfAbsent(version, v -> new ArrayList<>()).add(f);
        return f;
      }
    }

    void advance(long version) {
      List<CompletableFuture<Void>> ready = new ArrayList<>();
      synchronized (this) {
        if (version > applied) {
          applied = version;
        }
        var head = waiters.headMap(applied, true);
        head.values().forEach(ready::addAll);
        head.clear();
      }
      ready.forEach(f -> f.complete(null)); // outside the lock: completions run callbacks
    }
  }
}
