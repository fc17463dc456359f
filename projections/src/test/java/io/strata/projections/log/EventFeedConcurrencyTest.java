package io.strata.projections.log;

import static org.assertj.core.api.Assertions.assertThat;

import io.strata.events.BranchProtectionChanged;
import io.strata.events.EventCodec;
import io.strata.projections.log.EventLog.FeedCursor;
import io.strata.projections.log.EventLog.FeedEvent;
import io.strata.projections.testing.TestDatabase;
import io.strata.projections.testing.TestPostgres;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.sqlclient.Pool;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The feed (V13__event_feed_order.sql) under appenders whose transactions commit late: each holds
 * its transaction open a random while after inserting its events, and some write before appending
 * (their transaction id older than the stream's last appender's, which once ordered the feed). A reader following the feed by its
 * cursor, as the SSE endpoint and the relays do, must read every acknowledged event exactly once, each
 * stream's in version order; with a cursor of positions alone it would skip late commits. A
 * transaction's work before its append (a merge's data work) holds no reader back.
 */
class EventFeedConcurrencyTest {
  private static final Duration WAIT = Duration.ofSeconds(60);
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

  @Test
  void aFeedReaderSeesEveryLateCommitOnceAndEachStreamInOrder() throws Exception {
    String prefix = "f" + UUID.randomUUID().toString().substring(0, 8) + "-";
    List<String> streams = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      streams.add(prefix + i);
    }
    int appenders = 12;
    int appendsEach = 25;
    Map<UUID, String> acknowledged = new ConcurrentHashMap<>();
    AtomicBoolean appending = new AtomicBoolean(true);
    List<FeedEvent> read = new ArrayList<>();
    // the order appenders were told their events committed: a late commit is one that comes before, in the
    // feed, an event whose commit was acknowledged earlier (a reader that had read that one must not skip it)
    java.util.Queue<UUID> acknowledgedInOrder = new java.util.concurrent.ConcurrentLinkedQueue<>();
    ExecutorService threads = Executors.newFixedThreadPool(appenders + 1);
    Future<?> reader = threads.submit(() -> {
      FeedCursor cursor = FeedCursor.START;
      boolean last = false;
      while (true) {
        boolean finalPass = !appending.get();
        List<FeedEvent> page = log.readFeed(cursor, streams, null, 50).await().atMost(WAIT);
        for (FeedEvent e : page) {
          read.add(e);
          cursor = e.cursor();
        }
        if (page.isEmpty()) {
          if (last) {
            return null;
          }
          last = finalPass;
          Thread.sleep(2);
        }
      }
    });

    CountDownLatch go = new CountDownLatch(1);
    List<Future<?>> workers = new ArrayList<>();
    for (int a = 0; a < appenders; a++) {
      workers.add(threads.submit(() -> {
        go.await();
        ThreadLocalRandom random = ThreadLocalRandom.current();
        for (int i = 0; i < appendsEach; i++) {
          String stream = streams.get(random.nextInt(streams.size()));
          boolean writeFirst = random.nextInt(3) == 0;
          double holdSeconds = random.nextInt(20) / 1000.0;
          while (true) {
            long version = log.streamVersion(stream).await().atMost(WAIT);
            NewEvent event = NewEvent.of(new BranchProtectionChanged("b" + i, true), Instant.now(), "t", null);
            try {
              log.inAppendTransaction(tx -> (writeFirst
                      // a write before the append: this transaction's id is taken now
                      ? tx.query("select pg_current_xact_id()").execute().replaceWithVoid()
                          .call(() -> tx.query("select pg_sleep(" + holdSeconds + ")").execute())
                      : io.smallrye.mutiny.Uni.createFrom().voidItem())
                  .chain(() -> log.append(tx, stream, version, List.of(event), List.of()))
                  // commit late: the event's position is taken, its transaction still open
                  .call(() -> tx.query("select pg_sleep(" + holdSeconds + ")").execute()))
                  .await().atMost(WAIT);
              acknowledged.put(event.id(), stream);
              acknowledgedInOrder.add(event.id());
              break;
            } catch (ExpectedVersionConflict conflict) {
              // lost the race (or a feed key below the stream's last append's): again
            }
          }
        }
        return null;
      }));
    }
    // a user's long transaction in the same cluster (an ETL job): it has a transaction id older than
    // every append's and appends nothing; the feed must not wait for it (pg_snapshot_xmin would)
    var etl = pool.getConnectionAndAwait();
    var etlTx = etl.beginAndAwait();
    etl.query("select pg_current_xact_id()").executeAndAwait();
    go.countDown();
    for (Future<?> w : workers) {
      w.get();
    }
    appending.set(false);
    reader.get(); // read everything while the ETL transaction is still open
    etlTx.rollbackAndAwait();
    etl.closeAndAwait();
    threads.shutdown();

    Map<UUID, Integer> counts = new HashMap<>();
    read.forEach(e -> counts.merge(e.event().eventId(), 1, Integer::sum));
    assertThat(counts.keySet()).as("every acknowledged event read")
        .containsExactlyInAnyOrderElementsOf(acknowledged.keySet());
    assertThat(counts.values()).as("exactly once").allMatch(n -> n == 1);
    Map<String, Long> versions = new HashMap<>();
    for (FeedEvent e : read) {
      long previous = versions.getOrDefault(e.event().streamId(), 0L);
      assertThat(e.event().streamVersion()).as("stream order").isEqualTo(previous + 1);
      versions.put(e.event().streamId(), e.event().streamVersion());
    }
    Map<UUID, Integer> feedIndex = new HashMap<>();
    for (int i = 0; i < read.size(); i++) {
      feedIndex.put(read.get(i).event().eventId(), i);
    }
    int late = 0;
    int furthest = -1;
    for (UUID id : acknowledgedInOrder) {
      int at = feedIndex.get(id);
      if (at < furthest) {
        late++; // acknowledged after an event the feed puts after it: committed late, read, not skipped
      }
      furthest = Math.max(furthest, at);
    }
    assertThat(late).as("late commits happened (and were read, not skipped)").isPositive();
  }

  @Test
  void anOpenAppendHoldsTheFeedBackUntilItCommitsAndThenComesFirst() {
    String early = "h" + UUID.randomUUID();
    String late = "h" + UUID.randomUUID();
    FeedCursor start = FeedCursor.START;
    var conn = pool.getConnectionAndAwait();
    try {
      var tx = conn.beginAndAwait();
      log.append(conn, early, 0, List.of(NewEvent.of(new BranchProtectionChanged("x", true), Instant.now(), "t", null)),
          List.of()).await().atMost(WAIT);
      log.append(late, 0, List.of(NewEvent.of(new BranchProtectionChanged("y", true), Instant.now(), "t", null)),
          List.of()).await().atMost(WAIT);
      assertThat(log.readFeed(start, List.of(early, late), null, 10).await().atMost(WAIT))
          .as("the later commit waits behind the open append's bound").isEmpty();
      tx.commitAndAwait();
    } finally {
      conn.closeAndAwait();
    }
    assertThat(log.readFeed(start, List.of(early, late), null, 10).await().atMost(WAIT))
        .extracting(e -> e.event().streamId()).containsExactly(early, late);
  }

  @Test
  void workBeforeAnAppendHoldsNoReaderBackButTheAppendDoesUntilItCommits() throws Exception {
    String slow = "w" + UUID.randomUUID();
    String quick = "w" + UUID.randomUUID();
    String later = "w" + UUID.randomUUID();
    List<String> streams = List.of(slow, quick, later);
    FeedCursor start = log.feedEnd().await().atMost(WAIT);
    CompletableFuture<Void> worked = new CompletableFuture<>();
    CompletableFuture<Void> mayAppend = new CompletableFuture<>();
    CompletableFuture<Void> appended = new CompletableFuture<>();
    CompletableFuture<Void> mayCommit = new CompletableFuture<>();
    // a command's transaction: data work first (a merge writing rows, which takes its transaction id,
    // older than quick's), then its append, then the commit, each step when the test says so
    CompletableFuture<Void> committed = log.inAppendTransaction(tx -> tx
            .query("create temporary table merged_rows on commit drop as select g from generate_series(1, 1000) g")
            .execute()
            .invoke(() -> worked.complete(null))
            .chain(() -> Uni.createFrom().completionStage(mayAppend))
            .chain(() -> log.append(tx, slow, 0, List.of(event("s")), List.of()))
            .invoke(() -> appended.complete(null))
            .chain(() -> Uni.createFrom().completionStage(mayCommit)))
        .replaceWithVoid().subscribeAsCompletionStage();
    try {
      worked.get(60, TimeUnit.SECONDS);
      log.append(quick, 0, List.of(event("q")), List.of()).await().atMost(WAIT);
      assertThat(log.readFeed(start, streams, null, 10).await().atMost(WAIT))
          .as("an append committed during another transaction's data work is read at once")
          .extracting(e -> e.event().streamId()).containsExactly(quick);

      mayAppend.complete(null);
      appended.get(60, TimeUnit.SECONDS);
      log.append(later, 0, List.of(event("l")), List.of()).await().atMost(WAIT);
      assertThat(log.readFeed(start, streams, null, 10).await().atMost(WAIT))
          .as("once it appended, a commit after it waits behind it").extracting(e -> e.event().streamId())
          .containsExactly(quick);
    } finally {
      mayAppend.complete(null); // a failed assertion leaves no transaction open behind the next test
      mayCommit.complete(null);
    }
    committed.get(60, TimeUnit.SECONDS);
    assertThat(log.readFeed(start, streams, null, 10).await().atMost(WAIT))
        .extracting(e -> e.event().streamId()).containsExactly(quick, slow, later);
  }

  @Test
  void anAppendWhoseTransactionIdIsOlderThanItsKeyIsReadWithoutAnyOtherWrite() {
    String stream = "o" + UUID.randomUUID();
    FeedCursor start = log.feedEnd().await().atMost(WAIT);
    var conn = pool.getConnectionAndAwait();
    try {
      var tx = conn.beginAndAwait();
      // the command takes its transaction id (its data work), another transaction with a newer id
      // completes, then the command appends: its key is above its own id
      conn.query("select pg_current_xact_id()").executeAndAwait();
      pool.query("select pg_current_xact_id()").executeAndAwait();
      log.append(conn, stream, 0, List.of(event("o")), List.of()).await().atMost(WAIT);
      tx.commitAndAwait();
    } finally {
      conn.closeAndAwait();
    }
    // nothing else writes: the reader alone must get past the horizon the append left
    assertThat(log.readFeed(start, List.of(stream), null, 10).await().atMost(WAIT))
        .extracting(e -> e.event().streamId()).containsExactly(stream);
    assertThat(log.feedEnd().await().atMost(WAIT)).isGreaterThan(start);
  }

  private static NewEvent event(String branch) {
    return NewEvent.of(new BranchProtectionChanged(branch, true), Instant.now(), "t", null);
  }

  @Test
  void aCursorAtAPositionResumesJustAfterItsEvent() {
    String stream = "c" + UUID.randomUUID();
    List<NewEvent> events = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      events.add(NewEvent.of(new BranchProtectionChanged("b" + i, true), Instant.now(), "t", null));
    }
    AppendResult appended = log.append(stream, 0, events, List.of()).await().atMost(WAIT);
    long third = appended.positions().get(2);
    FeedCursor cursor = log.feedCursorAt(third).await().atMost(WAIT).orElseThrow();
    List<FeedEvent> rest = log.readFeed(cursor, List.of(stream), null, 10).await().atMost(WAIT);
    assertThat(rest).extracting(e -> e.event().position()).containsExactlyElementsOf(appended.positions().subList(3, 5));
    assertThat(log.feedCursorAt(Long.MAX_VALUE).await().atMost(WAIT)).isEmpty();
    assertThat(log.readFeed(FeedCursor.START, List.of(stream), List.of("io.strata.nothing.v1"), 10)
        .await().atMost(WAIT)).isEmpty();
  }
}
