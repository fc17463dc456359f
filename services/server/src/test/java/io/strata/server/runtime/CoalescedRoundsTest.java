package io.strata.server.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.smallrye.mutiny.Uni;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Rounds asked for by many callers: one running and one queued per key, each caller served by a round begun after it asked. */
class CoalescedRoundsTest {
  private final List<CompletableFuture<Void>> started = new ArrayList<>();
  private final AtomicInteger begun = new AtomicInteger();
  private final CoalescedRounds rounds = new CoalescedRounds(key -> {
    begun.incrementAndGet();
    CompletableFuture<Void> f = new CompletableFuture<>();
    synchronized (started) {
      started.add(f);
    }
    return Uni.createFrom().completionStage(f);
  });

  private CompletableFuture<Void> ask(String key) {
    return rounds.await(key).subscribeAsCompletionStage();
  }

  @Test
  void callersWhileARoundRunsShareOneQueuedRoundThatStartsAfterIt() {
    CompletableFuture<Void> first = ask("r");
    assertThat(begun.get()).isEqualTo(1);
    List<CompletableFuture<Void>> later = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      later.add(ask("r"));
    }
    assertThat(begun.get()).as("the rest wait for one queued round").isEqualTo(1);
    started.get(0).complete(null);
    assertThat(first).isDone();
    assertThat(later).as("served by a round that began after they asked, not the one running then")
        .noneMatch(CompletableFuture::isDone);
    assertThat(begun.get()).isEqualTo(2);
    CompletableFuture<Void> third = ask("r"); // asked while the second runs: a third round
    started.get(1).complete(null);
    assertThat(later).allMatch(CompletableFuture::isDone);
    assertThat(third).isNotDone();
    started.get(2).complete(null);
    assertThat(third).isDone();
    assertThat(begun.get()).isEqualTo(3);
    ask("r");
    assertThat(begun.get()).as("idle again: a new caller starts a round at once").isEqualTo(4);
  }

  @Test
  void keysRunApartAndAFailureReachesItsCallersOnly() {
    CompletableFuture<Void> a = ask("a");
    CompletableFuture<Void> b = ask("b");
    assertThat(begun.get()).isEqualTo(2);
    started.get(0).completeExceptionally(new IllegalStateException("storage unreachable"));
    assertThatThrownBy(() -> a.get()).hasMessageContaining("storage unreachable");
    assertThat(b).isNotDone();
    started.get(1).complete(null);
    assertThat(b).succeedsWithin(Duration.ofSeconds(1));
    CompletableFuture<Void> again = ask("a");
    assertThat(begun.get()).as("a failed round leaves the key free").isEqualTo(3);
    started.get(2).complete(null);
    assertThat(again).succeedsWithin(Duration.ofSeconds(1));
  }
}
