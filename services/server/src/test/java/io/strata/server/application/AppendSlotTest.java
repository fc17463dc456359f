package io.strata.server.application;

import static org.assertj.core.api.Assertions.assertThat;

import io.smallrye.mutiny.subscription.Cancellable;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A repository's turn, taken by one holder at a time in the order asked, also when a caller leaves while it waits
 * (a client that hung up on a read waiting behind a long merge): it neither frees the holder's turn nor keeps the
 * turn for itself once it comes.
 */
class AppendSlotTest {
  @Test
  void aWaiterThatLeavesNeitherFreesTheHoldersTurnNorKeepsItsOwn() {
    AppendSlot slot = new AppendSlot();
    slot.acquire().await().indefinitely(); // the holder (a merge)
    AtomicBoolean leftGotIt = new AtomicBoolean();
    Cancellable left = slot.acquire().subscribe().with(x -> leftGotIt.set(true));
    AtomicBoolean next = new AtomicBoolean();
    slot.acquire().subscribe().with(x -> next.set(true));
    left.cancel();
    assertThat(next).as("the holder still holds it").isFalse();
    slot.release();
    assertThat(leftGotIt).isFalse();
    assertThat(next).as("the turn passes over the waiter that left").isTrue();
    slot.release();
    assertThat(slot.acquire().await().indefinitely()).isNull(); // and is free after
  }

  @Test
  void workThatLeavesWhileWaitingReleasesNothing() {
    AppendSlot slot = new AppendSlot();
    slot.acquire().await().indefinitely(); // the holder
    AtomicBoolean ran = new AtomicBoolean();
    Cancellable read = slot.holding(() -> {
      ran.set(true);
      return io.smallrye.mutiny.Uni.createFrom().item(1);
    }).subscribe().with(x -> { });
    read.cancel(); // a state read whose client hung up behind the holder
    AtomicBoolean next = new AtomicBoolean();
    slot.acquire().subscribe().with(x -> next.set(true));
    assertThat(next).as("the holder's turn was not given away").isFalse();
    slot.release();
    assertThat(ran).isFalse();
    assertThat(next).isTrue();
  }

  @Test
  void manyWaitersLeavingAndStayingKeepOneHolderAtATime() {
    AppendSlot slot = new AppendSlot();
    AtomicInteger holders = new AtomicInteger();
    AtomicInteger most = new AtomicInteger();
    AtomicInteger served = new AtomicInteger();
    slot.acquire().await().indefinitely();
    java.util.List<Cancellable> waiting = new java.util.ArrayList<>();
    for (int i = 0; i < 100; i++) {
      waiting.add(slot.acquire().subscribe().with(x -> {
        most.accumulateAndGet(holders.incrementAndGet(), Math::max);
        served.incrementAndGet();
        holders.decrementAndGet();
        slot.release();
      }));
    }
    for (int i = 0; i < 100; i += 3) {
      waiting.get(i).cancel();
    }
    slot.release();
    assertThat(most.get()).isEqualTo(1);
    assertThat(served.get()).isEqualTo(100 - 34);
    assertThat(slot.acquire().await().indefinitely()).isNull();
  }
}
