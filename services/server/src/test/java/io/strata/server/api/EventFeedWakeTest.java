package io.strata.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.strata.server.TestDatabaseResource;
import io.strata.server.queries.EventFeed;
import io.strata.server.queries.EventFeed.Entry;
import io.strata.server.queries.EventFeed.Selection;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * A subscriber gets this server's commits as soon as they commit, not at the feed's next poll: with
 * the poll an hour apart, only the wake-up after each append can deliver them within the test.
 */
@QuarkusTest
@TestProfile(EventFeedWakeTest.HourlyPoll.class)
@WithTestResource(value = TestDatabaseResource.class, scope = TestResourceScope.GLOBAL)
class EventFeedWakeTest {
  /** The feed polled once an hour. */
  public static class HourlyPoll implements QuarkusTestProfile {
    @Override
    public Map<String, String> getConfigOverrides() {
      return Map.of("strata.events.poll-interval", "1h");
    }
  }

  @Inject EventFeed feed;

  @Test
  void aSubscriberGetsThisServersCommitsAtOnceNotAtTheNextPoll() {
    String repo = Api.createRepository(Api.uniqueName("wake"));
    try (EventFeed.Subscription s = feed.subscribe(new Selection(Set.of(repo), null),
        feed.end().await().atMost(Duration.ofSeconds(10)))) {
      // the first commit may be read from the database (the buffer may not be there yet); the next ones
      // are read from the buffer, which only a wake-up moves on between polls
      Api.commit(repo, "main", "primer");
      assertThat(s.next(10, Duration.ofSeconds(10)).await().atMost(Duration.ofSeconds(20))).isNotEmpty();
      for (int i = 0; i < 3; i++) {
        String commit = Api.commit(repo, "main", "commit " + i);
        List<Entry> got = new ArrayList<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (got.stream().noneMatch(e -> e.json().contains(commit)) && System.nanoTime() < deadline) {
          got.addAll(s.next(10, Duration.ofSeconds(10)).await().atMost(Duration.ofSeconds(20)));
        }
        assertThat(got).as("commit %s delivered without waiting for the hourly poll", i)
            .anyMatch(e -> e.json().contains(commit));
      }
    }
  }
}
