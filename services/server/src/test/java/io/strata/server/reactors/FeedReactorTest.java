package io.strata.server.reactors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.mutiny.Uni;
import io.strata.events.BranchProtectionChanged;
import io.strata.projections.log.EventLog;
import io.strata.projections.log.EventLog.FeedEvent;
import io.strata.projections.log.NewEvent;
import io.strata.server.TestDatabaseResource;
import io.vertx.core.Vertx;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The loop every relay runs on: at least once (a failing batch is retried from the checkpoint, in
 * order), one lease holder at a time, and a released lease taken over from the checkpoint left.
 */
@QuarkusTest
@WithTestResource(value = TestDatabaseResource.class, scope = TestResourceScope.GLOBAL)
class FeedReactorTest {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final FeedReactor.Settings FAST =
      new FeedReactor.Settings(Duration.ofSeconds(2), Duration.ofMillis(50), 100, Duration.ofSeconds(1),
          Duration.ofMillis(400));

  @Inject EventLog log;
  @Inject ReactorCheckpoints checkpoints;
  @Inject Vertx vertx;

  @Test
  void aFailingBatchIsRetriedFromTheCheckpointAndNothingIsSkipped() {
    String stream = "fr-" + UUID.randomUUID();
    append(stream, 0, 30);
    List<Long> handled = Collections.synchronizedList(new ArrayList<>());
    AtomicInteger calls = new AtomicInteger();
    FeedReactor reactor = new FeedReactor("test-" + UUID.randomUUID(), vertx, log, checkpoints, FAST, batch -> {
      if (calls.incrementAndGet() % 3 == 1) {
        return Uni.createFrom().failure(new IllegalStateException("receiver down"));
      }
      ours(batch, stream).forEach(handled::add);
      return Uni.createFrom().voidItem();
    });
    reactor.start();
    try {
      await().atMost(WAIT).until(() -> handled.stream().distinct().count() == 30);
      append(stream, 30, 10);
      await().atMost(WAIT).until(() -> handled.stream().distinct().count() == 40);
      List<Long> firsts = handled.stream().distinct().toList();
      assertThat(firsts).as("in stream order, none skipped").isSorted().hasSize(40);
      assertThat(reactor.state().lastError()).isEqualTo("receiver down");
    } finally {
      reactor.stop().await().atMost(WAIT);
    }
  }

  @Test
  void oneHolderAtATimeAndAReleasedLeaseIsTakenOverFromTheCheckpoint() {
    String stream = "fr-" + UUID.randomUUID();
    String name = "test-" + UUID.randomUUID();
    append(stream, 0, 20);
    List<Long> byFirst = Collections.synchronizedList(new ArrayList<>());
    List<Long> bySecond = Collections.synchronizedList(new ArrayList<>());
    FeedReactor first = new FeedReactor(name, vertx, log, checkpoints, FAST, batch -> {
      ours(batch, stream).forEach(byFirst::add);
      return Uni.createFrom().voidItem();
    });
    FeedReactor second = new FeedReactor(name, vertx, log, checkpoints.asOwner("server-" + UUID.randomUUID()), FAST,
        batch -> {
          ours(batch, stream).forEach(bySecond::add);
          return Uni.createFrom().voidItem();
        });
    first.start();
    try {
      await().atMost(WAIT).until(() -> byFirst.size() == 20);
      second.start();
      append(stream, 20, 10);
      await().atMost(WAIT).until(() -> byFirst.size() == 30);
      assertThat(bySecond).as("the standby reads nothing while the lease is held").isEmpty();
      assertThat(second.state().owner()).isFalse();

      first.stop().await().atMost(WAIT);
      append(stream, 30, 10);
      await().atMost(WAIT).until(() -> bySecond.size() == 10);
      List<Long> all = new ArrayList<>(byFirst);
      all.addAll(bySecond);
      assertThat(all).as("handed over at the checkpoint: no gap, no repeat").isSorted().doesNotHaveDuplicates()
          .hasSize(40);
      assertThat(second.state().owner()).isTrue();
    } finally {
      first.stop().await().atMost(WAIT);
      second.stop().await().atMost(WAIT);
    }
  }

  @Test
  void anIdleReactorReadsAtOnceWhatThisServerAppendsAndABusyFeedIsReadInBatches() throws Exception {
    String stream = "fr-" + UUID.randomUUID();
    List<Long> handled = Collections.synchronizedList(new ArrayList<>());
    List<Integer> batches = Collections.synchronizedList(new ArrayList<>());
    // an idle wait far longer than the test: only the append's wake can make the reactor read
    FeedReactor.Settings slowPoll = new FeedReactor.Settings(Duration.ofSeconds(60), Duration.ofSeconds(45), 100,
        Duration.ofSeconds(10), Duration.ofSeconds(1));
    FeedReactor reactor = new FeedReactor("test-" + UUID.randomUUID(), vertx, log, checkpoints, slowPoll, batch -> {
      List<Long> mine = ours(batch, stream);
      if (!mine.isEmpty()) {
        batches.add(mine.size());
      }
      handled.addAll(mine);
      return Uni.createFrom().voidItem();
    });
    reactor.start();
    try {
      await().atMost(WAIT).until(() -> reactor.state().owner());
      Thread.sleep(200); // the first round found the feed read to its end: now in its idle wait
      long appended = System.nanoTime();
      append(stream, 0, 1);
      await().atMost(Duration.ofSeconds(5)).until(() -> handled.size() == 1);
      assertThat(Duration.ofNanos(System.nanoTime() - appended)).as("woken, not polled").isLessThan(Duration.ofSeconds(5));

      // appends one after the other, faster than a round: rounds take what came meanwhile together
      for (int i = 0; i < 60; i++) {
        append(stream, 1 + i, 1);
      }
      await().atMost(WAIT).until(() -> handled.size() == 61);
      assertThat(handled).isSorted().doesNotHaveDuplicates();
      // read at once after each batch, they came one or two at a time (49 batches here); lingering, fewer
      assertThat(batches.size()).as("batches of %s", batches).isLessThan(45);
    } finally {
      reactor.stop().await().atMost(WAIT);
    }
  }

  private static List<Long> ours(List<FeedEvent> batch, String stream) {
    return batch.stream().filter(e -> e.event().streamId().equals(stream)).map(e -> e.event().streamVersion()).toList();
  }

  private void append(String stream, long version, int count) {
    List<NewEvent> events = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      events.add(NewEvent.of(new BranchProtectionChanged("b" + i, true), Instant.now(), "t", null));
    }
    log.append(stream, version, events, List.of()).await().atMost(WAIT);
  }
}
