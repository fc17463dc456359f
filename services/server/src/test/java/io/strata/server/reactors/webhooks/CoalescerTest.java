package io.strata.server.reactors.webhooks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.smallrye.mutiny.Uni;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** One batch at a time; what is asked meanwhile goes together in the next; each request gets its answer. */
class CoalescerTest {
  private static final Duration WAIT = Duration.ofSeconds(5);

  /** An operation that answers a batch only when the test says so, remembering every batch it got. */
  private static final class Held {
    final List<List<Integer>> batches = new CopyOnWriteArrayList<>();
    final List<CompletableFuture<List<String>>> answers = new CopyOnWriteArrayList<>();

    Uni<List<String>> apply(List<Integer> batch) {
      batches.add(batch);
      CompletableFuture<List<String>> answer = new CompletableFuture<>();
      answers.add(answer);
      return Uni.createFrom().completionStage(answer);
    }

    void answer(int batch) {
      answers.get(batch).complete(batches.get(batch).stream().map(i -> "answer " + i).toList());
    }
  }

  @Test
  void requestsMadeWhileABatchRunsGoTogetherInTheNextAndEachGetsItsOwnAnswer() {
    Held op = new Held();
    Coalescer<Integer, String> coalescer = new Coalescer<>(op::apply);
    List<CompletableFuture<String>> got = new ArrayList<>();
    got.add(coalescer.submit(0).subscribeAsCompletionStage());
    assertThat(op.batches).as("alone, a request does not wait for company").containsExactly(List.of(0));
    for (int i = 1; i <= 3; i++) {
      got.add(coalescer.submit(i).subscribeAsCompletionStage());
    }
    assertThat(op.batches).as("one batch at a time").hasSize(1);
    op.answer(0);
    assertThat(got.get(0).join()).isEqualTo("answer 0");
    assertThat(op.batches).as("those that waited, together, in order").containsExactly(List.of(0), List.of(1, 2, 3));
    assertThat(got.get(2)).isNotDone();
    op.answer(1);
    for (int i = 1; i <= 3; i++) {
      assertThat(got.get(i).join()).isEqualTo("answer " + i);
    }
    // idle again: the next request starts a batch of its own at once
    got.add(coalescer.submit(4).subscribeAsCompletionStage());
    assertThat(op.batches).hasSize(3).last().isEqualTo(List.of(4));
  }

  @Test
  void aFailedBatchFailsItsRequestsOnlyAndTheNextRuns() {
    Held op = new Held();
    Coalescer<Integer, String> coalescer = new Coalescer<>(op::apply);
    var first = coalescer.submit(1).subscribeAsCompletionStage();
    var second = coalescer.submit(2).subscribeAsCompletionStage();
    op.answers.get(0).completeExceptionally(new IllegalStateException("the database is away"));
    assertThatThrownBy(first::join).hasRootCauseMessage("the database is away");
    assertThat(op.batches).containsExactly(List.of(1), List.of(2));
    op.answer(1);
    assertThat(second.join()).isEqualTo("answer 2");

    Coalescer<Integer, String> throwing = new Coalescer<>(batch -> {
      throw new IllegalArgumentException("refused at once");
    });
    assertThat(throwing.submit(1).onFailure().recoverWithItem(Throwable::getMessage).await().atMost(WAIT))
        .isEqualTo("refused at once");
  }

  @Test
  void onAVertxContextRequestsMadeInOneTaskGoTogetherInOneBatch() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      Held op = new Held();
      Coalescer<Integer, String> coalescer = new Coalescer<>(op::apply);
      CompletableFuture<List<CompletableFuture<String>>> asked = new CompletableFuture<>();
      vertx.runOnContext(v -> {
        List<CompletableFuture<String>> got = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
          got.add(coalescer.ask(i).toCompletionStage().toCompletableFuture());
        }
        assertThat(op.batches).as("the batch waits for the task that asked to end").isEmpty();
        asked.complete(got);
      });
      List<CompletableFuture<String>> got = asked.get(5, TimeUnit.SECONDS);
      for (int i = 0; i < 100 && op.batches.isEmpty(); i++) {
        Thread.sleep(20);
      }
      assertThat(op.batches).as("a wake of several endpoints: one batch").containsExactly(List.of(0, 1, 2));
      op.answer(0);
      for (int i = 0; i < 3; i++) {
        assertThat(got.get(i).get(5, TimeUnit.SECONDS)).isEqualTo("answer " + i);
      }
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
    }
  }
}
