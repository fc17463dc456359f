package io.strata.server.reactors;

import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.junit.QuarkusTest;
import io.strata.projections.log.EventLog.FeedCursor;
import io.strata.server.TestDatabaseResource;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * A reactor's lease and checkpoint: one owner at a time, the checkpoint moved only by the owner, a
 * lapsed lease taken over by another server, which resumes from the checkpoint the first one left.
 */
@QuarkusTest
@WithTestResource(value = TestDatabaseResource.class, scope = TestResourceScope.GLOBAL)
class ReactorCheckpointsTest {
  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final String OTHER = "update strata_meta.reactors set owner = $2,"
      + " lease_until = now() + interval '1 hour' where name = $1";

  @Inject ReactorCheckpoints checkpoints;
  @Inject Pool pool;

  @Test
  void oneOwnerAtATimeAndTheCheckpointMovesOnlyForIt() {
    String reactor = "test-" + UUID.randomUUID();
    assertThat(checkpoints.claim(reactor, Duration.ofMinutes(1)).await().atMost(WAIT)).contains(FeedCursor.START);
    assertThat(checkpoints.advance(reactor, new FeedCursor(7, 42), Duration.ofHours(1)).await().atMost(WAIT)).isTrue();
    assertThat(checkpoints.status(reactor).await().atMost(WAIT).orElseThrow().leaseUntil())
        .as("advancing renews the lease").isAfter(Instant.now().plus(Duration.ofMinutes(50)));
    assertThat(checkpoints.claim(reactor, Duration.ofMinutes(1)).await().atMost(WAIT))
        .as("renewed, from its checkpoint").contains(new FeedCursor(7, 42));

    // another server holds a live lease: this one neither claims nor advances
    pool.preparedQuery(OTHER).execute(Tuple.of(reactor, "server-elsewhere")).await().atMost(WAIT);
    assertThat(checkpoints.claim(reactor, Duration.ofMinutes(1)).await().atMost(WAIT)).isEmpty();
    assertThat(checkpoints.advance(reactor, new FeedCursor(8, 50), Duration.ofMinutes(1)).await().atMost(WAIT)).isFalse();
    assertThat(checkpoints.status(reactor).await().atMost(WAIT).orElseThrow().checkpoint())
        .isEqualTo(new FeedCursor(7, 42));

    // its lease lapses (the server died): taken over, from the checkpoint it left
    pool.preparedQuery("update strata_meta.reactors set lease_until = now() - interval '1 second' where name = $1")
        .execute(Tuple.of(reactor)).await().atMost(WAIT);
    assertThat(checkpoints.claim(reactor, Duration.ofMinutes(1)).await().atMost(WAIT)).contains(new FeedCursor(7, 42));
    checkpoints.release(reactor).await().atMost(WAIT);
    var status = checkpoints.status(reactor).await().atMost(WAIT).orElseThrow();
    assertThat(status.owner()).as("released").isNull();
    long events = pool.query("select count(*) from strata_meta.events").execute().await().atMost(WAIT)
        .iterator().next().getLong(0);
    assertThat(status.lag()).as("every event after (7, 42) in the feed: all of them").isEqualTo(events);
  }
}
