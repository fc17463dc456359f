package io.strata.server.queries;

import io.quarkus.runtime.ShutdownEvent;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.UniEmitter;
import io.strata.events.EventEnvelope;
import io.strata.projections.log.EventLog;
import io.strata.projections.log.EventLog.FeedCursor;
import io.strata.projections.log.EventLog.FeedEvent;
import io.strata.server.runtime.StrataConfig;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.jboss.logging.Logger;

/**
 * The event feed as subscribers read it (GET /api/v1/events, JSON pages and SSE), in the log's commit
 * order ({@link EventLog#readFeed}): never a late commit skipped, each repository's events in order.
 *
 * <p>While anyone subscribes, this server reads the feed's new events once per poll interval, and at
 * once after each of its own appends commits (others' appends wait for the poll), into a buffer of the newest {@code strata.events.buffer} events, serialised once, which every subscriber
 * then reads; a subscriber further behind (resuming from an old position) reads pages from the
 * database until it reaches the buffer. The buffer is always one unbroken stretch of the feed, from
 * {@code base} (exclusive) to {@code head}: the feed never inserts an event behind its horizon, so a
 * subscriber whose cursor lies in that stretch finds everything after it there.
 *
 * <p>Subscribers pull: a subscription reads its next events only when asked (the SSE writer asks
 * after the client took the previous ones), so a client that stops reading costs one batch, not a
 * growing queue.
 */
@ApplicationScoped
public class EventFeed {
  private static final Logger LOG = Logger.getLogger(EventFeed.class);
  private static final int POLL_BATCH = 1000;

  /** Which events a reader gets: its repositories (null: all) and stored type names (null: all). */
  public record Selection(Set<String> repositories, Set<String> storedTypes) {
    boolean matches(FeedEvent e) {
      return (repositories == null || repositories.contains(e.event().streamId()))
          && (storedTypes == null || storedTypes.contains(e.event().type()));
    }
  }

  /** An event of the feed with its CloudEvents JSON, serialised once for every subscriber. */
  public record Entry(FeedEvent event, String type, String json) {
    static Entry of(FeedEvent e) {
      EventEnvelope published = e.event().toEnvelope();
      return new Entry(e, published.type(), published.toCloudEventJsonText());
    }

    public long position() {
      return event.event().position();
    }
  }

  @Inject EventLog log;
  @Inject Vertx vertx;
  @Inject StrataConfig config;

  /** {@code strata_feed_subscribers}: the event streams open on this server (from start, before the first). */
  void meter(@Observes io.quarkus.runtime.StartupEvent started, io.micrometer.core.instrument.MeterRegistry registry) {
    io.micrometer.core.instrument.Gauge.builder("strata.feed.subscribers", this, EventFeed::subscriberCount)
        .description("Event streams open on this server").register(registry);
  }

  private final Object lock = new Object();
  private final TreeMap<FeedCursor, Entry> buffer = new TreeMap<>();
  /** The buffer holds every event after base up to head; null: not following the feed now. */
  private FeedCursor base;
  private FeedCursor head;
  /** How many times the buffer advanced (or was dropped): a waiting subscriber wakes once it moved on. */
  private long advances;
  /**
   * The subscribers waiting for the buffer to advance; each wait is its own, so that one ending (a
   * heartbeat is due, the client went away) touches no other and leaves nothing behind.
   */
  private final Set<UniEmitter<? super Boolean>> waiting = new HashSet<>();
  private final Map<Long, Subscription> subscriptions = new ConcurrentHashMap<>();
  private final AtomicLong ids = new AtomicLong();
  private long timer = -1;
  private boolean polling;
  /** An append committed while a read was under way: read again when it ends, or its events wait a poll. */
  private boolean pollAgain;
  /** Reads at once after this server's appends, while anyone subscribes. */
  private final Runnable appended = this::poll;

  /** One page of the feed after {@code after}, from the database. */
  public Uni<List<Entry>> page(Selection selection, FeedCursor after, int limit) {
    return read(selection, after, limit).map(page -> page.stream().map(Entry::of).toList());
  }

  private Uni<List<FeedEvent>> read(Selection s, FeedCursor after, int limit) {
    return log.readFeed(after,
        s.repositories() == null ? null : List.copyOf(s.repositories()),
        s.storedTypes() == null ? null : List.copyOf(s.storedTypes()), limit);
  }

  /** The cursor just after the event at {@code position} (empty: no such event). */
  public Uni<java.util.Optional<FeedCursor>> cursorAt(long position) {
    return log.feedCursorAt(position);
  }

  /** The cursor after the last event now: a subscriber that asks for no past events starts there. */
  public Uni<FeedCursor> end() {
    return log.feedEnd();
  }

  /** A subscriber reading the feed after {@code after}; {@link Subscription#close()} it when it goes. */
  public Subscription subscribe(Selection selection, FeedCursor after) {
    Subscription s = new Subscription(ids.incrementAndGet(), selection, after);
    subscriptions.put(s.id, s);
    synchronized (lock) {
      if (timer < 0) {
        timer = vertx.setPeriodic(config.events().pollInterval().toMillis(), id -> poll());
        log.onAppended(appended);
        poll();
      }
    }
    return s;
  }

  /** How many subscriptions are open on this server. */
  public int subscriberCount() {
    return subscriptions.size();
  }

  /** The subscriptions open on this server, with how far each has been served. */
  public List<SubscriptionState> subscriptions() {
    return subscriptions.values().stream()
        .map(s -> new SubscriptionState(s.id, s.cursor.position(), s.served.get())).toList();
  }

  public record SubscriptionState(long id, long position, long served) {}

  private void poll() {
    FeedCursor from;
    synchronized (lock) {
      if (timer < 0) {
        return; // nobody subscribes (an append listener called late)
      }
      if (polling) {
        pollAgain = true;
        return;
      }
      polling = true;
      pollAgain = false;
      from = head;
    }
    Uni<FeedCursor> start = from != null ? Uni.createFrom().item(from) : log.feedEnd();
    start.chain(cursor -> log.readFeed(cursor, null, null, POLL_BATCH).map(events -> {
      List<Entry> entries = events.stream().map(Entry::of).toList();
      List<UniEmitter<? super Boolean>> wake = List.of();
      synchronized (lock) {
        if (base == null) {
          base = cursor;
          head = cursor;
        }
        for (Entry e : entries) {
          buffer.put(e.event().cursor(), e);
          head = e.event().cursor();
        }
        while (buffer.size() > config.events().buffer()) {
          base = buffer.pollFirstEntry().getKey();
        }
        if (!entries.isEmpty()) {
          wake = advance();
        }
      }
      wake.forEach(w -> w.complete(true));
      return entries.size();
    })).subscribe().with(
        read -> {
          boolean again;
          synchronized (lock) {
            polling = false;
            again = pollAgain || read == POLL_BATCH; // more waiting: no reason to sleep
          }
          if (again) {
            poll();
          }
        },
        failure -> {
          synchronized (lock) {
            polling = false;
          }
          LOG.warnf("reading the event feed failed; subscribers wait for the next poll: %s", failure.getMessage());
        });
  }

  /** The waiters to wake now that the buffer moved on (under the lock; wake them outside it). */
  private List<UniEmitter<? super Boolean>> advance() {
    advances++;
    List<UniEmitter<? super Boolean>> woken = List.copyOf(waiting);
    waiting.clear();
    return woken;
  }

  /**
   * Completes once the buffer has advanced after {@code seen} (at once if it already has). Cancelling
   * it (a heartbeat's timeout, a client gone) forgets the wait: the buffer may not move for hours.
   */
  private Uni<Boolean> advancedAfter(long seen) {
    return Uni.createFrom().emitter(waiter -> {
      boolean already;
      synchronized (lock) {
        already = advances != seen;
        if (!already) {
          waiting.add(waiter);
        }
      }
      if (already) {
        waiter.complete(true);
      } else {
        waiter.onTermination(() -> {
          synchronized (lock) {
            waiting.remove(waiter);
          }
        });
      }
    });
  }

  /** How many subscribers wait for new events now (each at most once). */
  public int waitingCount() {
    synchronized (lock) {
      return waiting.size();
    }
  }

  private void unsubscribe(Subscription s) {
    if (subscriptions.remove(s.id) == null) {
      return;
    }
    List<UniEmitter<? super Boolean>> wake = List.of();
    synchronized (lock) {
      if (subscriptions.isEmpty() && timer >= 0) {
        // nobody follows the feed: stop reading it and drop the buffer (it would stop being unbroken)
        vertx.cancelTimer(timer);
        timer = -1;
        log.removeAppendListener(appended);
        buffer.clear();
        base = null;
        head = null;
        wake = advance();
      }
    }
    wake.forEach(w -> w.complete(true));
  }

  void onStop(@Observes ShutdownEvent e) {
    List.copyOf(subscriptions.values()).forEach(Subscription::close);
  }

  /** One subscriber's place in the feed. */
  public final class Subscription implements AutoCloseable {
    private final long id;
    private final Selection selection;
    private volatile FeedCursor cursor;
    private final AtomicLong served = new AtomicLong();

    private Subscription(long id, Selection selection, FeedCursor after) {
      this.id = id;
      this.selection = selection;
      this.cursor = after;
    }

    /** Whether the subscription is still open: closed by its subscriber, or by the server's stop. */
    public boolean open() {
      return subscriptions.containsKey(id);
    }

    /**
     * Up to {@code limit} next events, waiting up to {@code wait} for some to come; an empty list when
     * none came (time for a heartbeat), and at once once the subscription is closed.
     */
    public Uni<List<Entry>> next(int limit, Duration wait) {
      if (!open()) {
        return Uni.createFrom().item(List.of());
      }
      boolean behind;
      long seen;
      List<Entry> found = new ArrayList<>();
      synchronized (lock) {
        seen = advances;
        // behind the buffer (or no buffer yet): from the database
        behind = base == null || cursor.compareTo(base) < 0;
        if (!behind) {
          FeedCursor scanned = cursor;
          for (var e : buffer.tailMap(cursor, false).entrySet()) {
            scanned = e.getKey();
            if (selection.matches(e.getValue().event())) {
              found.add(e.getValue());
              if (found.size() == limit) {
                break;
              }
            }
          }
          cursor = scanned; // past what the selection skips, too
        }
      }
      if (!found.isEmpty()) {
        served.addAndGet(found.size());
        return Uni.createFrom().item(found);
      }
      if (behind) {
        return fromDatabase(limit, wait);
      }
      // a wait that ends without events is a heartbeat's turn; it must not end the wait of anyone else
      return advancedAfter(seen)
          .ifNoItem().after(wait).recoverWithItem(false)
          .chain(woken -> woken && subscriptions.containsKey(id)
              ? next(limit, wait)
              : Uni.createFrom().item(List.<Entry>of()));
    }

    private Uni<List<Entry>> fromDatabase(int limit, Duration wait) {
      FeedCursor before = cursor;
      FeedCursor reached;
      synchronized (lock) {
        reached = base;
      }
      return read(selection, before, limit).chain(events -> {
        if (!events.isEmpty()) {
          cursor = events.get(events.size() - 1).cursor();
          served.addAndGet(events.size());
          return Uni.createFrom().item(events.stream().map(Entry::of).toList());
        }
        // nothing of ours up to the horizon, which is past the buffer's base (the horizon only moves
        // on): continue from the buffer, or wait for it to start
        if (reached != null && reached.compareTo(before) > 0) {
          cursor = reached;
          return next(limit, wait);
        }
        return Uni.createFrom().item(List.<Entry>of()).onItem().delayIt().by(config.events().pollInterval())
            .chain(none -> subscriptions.containsKey(id) ? next(limit, wait) : Uni.createFrom().item(none));
      });
    }

    @Override
    public void close() {
      unsubscribe(this);
    }
  }
}
