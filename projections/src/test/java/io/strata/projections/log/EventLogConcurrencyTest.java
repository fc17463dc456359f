package io.strata.projections.log;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.strata.events.Author;
import io.strata.events.BranchProtectionChanged;
import io.strata.events.EventCodec;
import io.strata.events.TagCreated;
import io.strata.projections.testing.TestDatabase;
import io.strata.projections.testing.TestPostgres;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.sqlclient.Pool;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Many appenders race on one stream and on many streams while a feed reader follows the log the way
 * projectors do. Every acknowledged append must be read exactly once, in version order, and every
 * lost race must surface as a conflict.
 */
class EventLogConcurrencyTest {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static Vertx vertx;
  private static Pool pool;
  private static EventLog log;

  @BeforeAll
  static void start() {
    TestDatabase db = TestPostgres.shared().newDatabase();
    vertx = Vertx.vertx();
    pool = db.pool(vertx, 24);
    log = new EventLog(pool, new EventCodec());
  }

  @AfterAll
  static void stop() {
    pool.closeAndAwait();
    vertx.closeAndAwait();
  }

  private static NewEvent event(String tag) {
    return NewEvent.of(new BranchProtectionChanged(tag, true), Instant.now(), "tester", null);
  }

  @Test
  void concurrentAppendsAreReadBackExactlyOnceInVersionOrder() throws Exception {
    String prefix = "s" + UUID.randomUUID().toString().substring(0, 8) + "-";
    List<String> streams = new ArrayList<>();
    streams.add(prefix + "hot"); // every appender hits this one too
    for (int i = 0; i < 20; i++) {
      streams.add(prefix + i);
    }
    int appenders = 16;
    int appendsEach = 60;
    Map<UUID, String> acknowledged = new ConcurrentHashMap<>();
    AtomicInteger conflicts = new AtomicInteger();
    AtomicBoolean appending = new AtomicBoolean(true);

    // The feed reader: per-stream versions, exactly like the projector runtime.
    Map<String, Long> seen = new HashMap<>();
    List<StoredEvent> read = new ArrayList<>();
    ExecutorService pool = Executors.newFixedThreadPool(appenders + 1);
    Future<?> reader = pool.submit(() -> {
      boolean last = false;
      while (true) {
        boolean finalPass = !appending.get();
        Map<String, Long> heads = log.streamVersions().await().atMost(WAIT);
        for (var head : heads.entrySet()) {
          if (!head.getKey().startsWith(prefix)) {
            continue;
          }
          long from = seen.getOrDefault(head.getKey(), 0L);
          while (from < head.getValue()) {
            List<StoredEvent> batch = log.readStream(head.getKey(), from, 7).await().atMost(WAIT);
            for (StoredEvent e : batch) {
              assertThat(e.streamVersion()).as("gapless, in order").isEqualTo(from + 1);
              from = e.streamVersion();
              read.add(e);
            }
          }
          seen.put(head.getKey(), from);
        }
        if (last) {
          return null;
        }
        last = finalPass;
      }
    });

    CountDownLatch go = new CountDownLatch(1);
    List<Future<?>> workers = new ArrayList<>();
    for (int a = 0; a < appenders; a++) {
      workers.add(pool.submit(() -> {
        go.await();
        ThreadLocalRandom random = ThreadLocalRandom.current();
        for (int i = 0; i < appendsEach; i++) {
          String stream = random.nextInt(4) == 0 ? streams.get(0) : streams.get(random.nextInt(streams.size()));
          int size = 1 + random.nextInt(3);
          while (true) {
            long version = log.streamVersion(stream).await().atMost(WAIT);
            List<NewEvent> events = new ArrayList<>();
            for (int k = 0; k < size; k++) {
              events.add(event("e" + k));
            }
            try {
              log.append(stream, version, events, List.of()).await().atMost(WAIT);
              events.forEach(e -> acknowledged.put(e.id(), stream));
              break;
            } catch (ExpectedVersionConflict conflict) {
              conflicts.incrementAndGet();
            }
          }
        }
        return null;
      }));
    }
    go.countDown();
    for (Future<?> w : workers) {
      w.get();
    }
    appending.set(false);
    reader.get();
    pool.shutdown();

    Map<UUID, Integer> readCounts = new HashMap<>();
    read.forEach(e -> readCounts.merge(e.eventId(), 1, Integer::sum));
    assertThat(readCounts.keySet()).containsExactlyInAnyOrderElementsOf(acknowledged.keySet());
    assertThat(readCounts.values()).allMatch(n -> n == 1);
    read.forEach(e -> assertThat(e.streamId()).isEqualTo(acknowledged.get(e.eventId())));
    assertThat(conflicts.get()).as("racing appenders must have collided").isPositive();
    // stream heads equal the number of events in each stream
    Map<String, Long> counts = new HashMap<>();
    read.forEach(e -> counts.merge(e.streamId(), 1L, Long::sum));
    Map<String, Long> heads = log.streamVersions().await().atMost(WAIT);
    counts.forEach((s, n) -> assertThat(heads.get(s)).isEqualTo(n));
    // positions are unique and locate their event
    Set<Long> positions = new java.util.HashSet<>();
    read.forEach(e -> assertThat(positions.add(e.position())).isTrue());
    StoredEvent any = read.get(read.size() / 2);
    assertThat(log.locate(any.position()).await().atMost(WAIT))
        .contains(new EventLog.StreamPoint(any.streamId(), any.streamVersion()));
  }

  @Test
  void theSameExpectedVersionWinsOnce() throws Exception {
    String stream = "race-" + UUID.randomUUID();
    log.append(stream, 0, List.of(event("first")), List.of()).await().atMost(WAIT);
    int racers = 12;
    ExecutorService pool = Executors.newFixedThreadPool(racers);
    CountDownLatch go = new CountDownLatch(1);
    List<Future<Boolean>> results = new ArrayList<>();
    for (int i = 0; i < racers; i++) {
      results.add(pool.submit(() -> {
        go.await();
        try {
          log.append(stream, 1, List.of(event("second")), List.of()).await().atMost(WAIT);
          return true;
        } catch (ExpectedVersionConflict e) {
          return false;
        }
      }));
    }
    go.countDown();
    int wins = 0;
    for (Future<Boolean> r : results) {
      wins += r.get() ? 1 : 0;
    }
    pool.shutdown();
    assertThat(wins).isEqualTo(1);
    assertThat(log.readStream(stream, 0, 100).await().atMost(WAIT)).hasSize(2);
    // creating a stream that exists is a conflict too
    assertThatThrownBy(() -> log.append(stream, 0, List.of(event("x")), List.of()).await().atMost(WAIT))
        .isInstanceOf(ExpectedVersionConflict.class);
  }

  @Test
  void anIdempotencyKeyStoresOneAnswerAndRefusesASecondAppend() {
    String stream = "idem-" + UUID.randomUUID();
    String key = "key-" + UUID.randomUUID();
    IdempotencyRecord answer = new IdempotencyRecord(key, "fp", 201, "{\"ok\":true}", 0);
    AppendResult first = log.append(stream, 0,
        List.of(NewEvent.of(new TagCreated("v1", "0".repeat(64), null, new Author("a", "a@b")), Instant.now(), "t", null)),
        List.of(answer)).await().atMost(WAIT);
    assertThatThrownBy(() -> log.append(stream, 1, List.of(event("dup")), List.of(answer)).await().atMost(WAIT))
        .isInstanceOf(IdempotencyKeyTaken.class);
    assertThat(log.readStream(stream, 0, 10).await().atMost(WAIT)).hasSize(1);
    assertThat(log.streamVersion(stream).await().atMost(WAIT)).isEqualTo(1);
    IdempotencyRecord stored = log.findIdempotencyRecord(key).await().atMost(WAIT).orElseThrow();
    assertThat(stored.status()).isEqualTo(201);
    assertThat(stored.response()).isEqualTo("{\"ok\":true}");
    assertThat(stored.position()).isEqualTo(first.lastPosition());
  }
}
