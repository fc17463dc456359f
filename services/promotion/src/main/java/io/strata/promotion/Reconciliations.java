package io.strata.promotion;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.jboss.logging.Logger;

/**
 * The repositories waiting to be reconciled, and the worker pool that does it: a repository marked many times
 * while it waits is reconciled once (the events of one command arrive together), never by two workers at once,
 * and once more after a pass that was running when it was marked. A pass that fails (the server down, a 5xx) is
 * tried again later, each time waiting longer, up to a minute.
 *
 * <p>The calls are blocking (the generated client waits for each answer): they run on these workers, threads of
 * their own, never on an event loop.
 */
final class Reconciliations implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(Reconciliations.class);
  /** Events of one command come within milliseconds: waiting this long first turns them into one pass. */
  static final long COALESCE_MS = 50;

  interface Pass {
    /** {@code minPosition}: the newest event the feed named for the repository (null: none yet). */
    void run(String repository, Long minPosition) throws Exception;
  }

  private final ScheduledExecutorService workers;
  private final Pass pass;
  private final Supplier<List<String>> everyRepository;
  private final Set<String> queued = new HashSet<>();
  private final Set<String> running = new HashSet<>();
  private final Set<String> again = new HashSet<>();
  private final java.util.Map<String, Integer> failures = new java.util.HashMap<>();
  /** The newest event position the feed named per repository: a pass's reads wait until they include it. */
  private final java.util.Map<String, Long> positions = new java.util.concurrent.ConcurrentHashMap<>();
  /** One listing of every repository at a time; while the server is out of reach, tried again less and less often. */
  private final java.util.concurrent.atomic.AtomicBoolean listing = new java.util.concurrent.atomic.AtomicBoolean();
  private int listingFailures;

  Reconciliations(int workers, Pass pass, Supplier<List<String>> everyRepository) {
    this.workers = java.util.concurrent.Executors.newScheduledThreadPool(Math.max(1, workers), r -> {
      Thread t = new Thread(r, "strata-promotion-worker");
      t.setDaemon(true);
      return t;
    });
    this.pass = pass;
    this.everyRepository = everyRepository;
  }

  /** The repository is looked at soon. */
  void mark(String repository) {
    schedule(repository, COALESCE_MS);
  }

  /** The repository had the event at {@code position}: it is looked at soon, with reads that include it. */
  void mark(String repository, long position) {
    positions.merge(repository, position, Math::max);
    mark(repository);
  }

  /**
   * Every repository is looked at (on start, on every reconnection of the feed, and every resync period); while a
   * listing is under way or waits to be tried again, asking again adds nothing.
   */
  void markAll() {
    if (listing.compareAndSet(false, true)) {
      workers.execute(this::listAll);
    }
  }

  private void listAll() {
    try {
      List<String> all = everyRepository.get();
      listingFailures = 0;
      listing.set(false);
      all.forEach(this::mark);
    } catch (RuntimeException e) {
      long waitMs = Math.min(60_000, 1000L << Math.min(listingFailures++, 6));
      LOG.warnf("listing the repositories failed (%s): trying again in %d ms", e.getMessage(), waitMs);
      try {
        workers.schedule(this::listAll, waitMs, TimeUnit.MILLISECONDS);
      } catch (java.util.concurrent.RejectedExecutionException stopping) {
        listing.set(false);
      }
    }
  }

  private synchronized void schedule(String repository, long delayMs) {
    if (running.contains(repository)) {
      again.add(repository);
      return;
    }
    if (queued.add(repository)) {
      try {
        workers.schedule(() -> run(repository), delayMs, TimeUnit.MILLISECONDS);
      } catch (java.util.concurrent.RejectedExecutionException stopping) {
        queued.remove(repository);
      }
    }
  }

  private void run(String repository) {
    synchronized (this) {
      queued.remove(repository);
      running.add(repository);
    }
    long retryMs = -1;
    try {
      pass.run(repository, positions.get(repository));
      synchronized (this) {
        failures.remove(repository);
      }
    } catch (Exception e) {
      if (workers.isShutdown()) {
        return; // stopping: the pass was cut short on purpose
      }
      int n;
      synchronized (this) {
        n = failures.merge(repository, 1, Integer::sum);
      }
      retryMs = Math.min(60_000, 500L << Math.min(n, 7));
      LOG.warnf("%s: reconciling failed (%s); trying again in %d ms", repository, e instanceof io.strata.client.ApiException a
          ? StrataApi.describe(a) : String.valueOf(e), retryMs);
    } finally {
      boolean rerun;
      synchronized (this) {
        running.remove(repository);
        rerun = again.remove(repository);
      }
      if (rerun || retryMs >= 0) {
        schedule(repository, rerun ? COALESCE_MS : retryMs);
      }
    }
  }

  /** Whether nothing waits or runs (for tests and for a clean stop). */
  synchronized boolean idle() {
    return queued.isEmpty() && running.isEmpty() && again.isEmpty();
  }

  ScheduledExecutorService scheduler() {
    return workers;
  }

  @Override
  public void close() {
    workers.shutdownNow();
  }
}
