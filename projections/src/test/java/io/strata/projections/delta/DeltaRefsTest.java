package io.strata.projections.delta;

import static org.assertj.core.api.Assertions.assertThat;

import io.strata.projections.delta.DeltaRefs.Ref;
import io.strata.projections.delta.DeltaRefs.State;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * What an attempt put back lands on the ref it was taken from only: a branch deleted and made anew under its name
 * (another root) keeps its own ref; an attempt keeps the root it captured from.
 */
class DeltaRefsTest {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private final DeltaRowDataBackend backend = DeltaRowDataBackend.shared();

  @Test
  void aRefIsPutBackOnlyWhereItStillNamesTheRootItWasTakenFrom() {
    String repository = "refs-" + UUID.randomUUID().toString().substring(0, 8);
    Ref made = new Ref("file:/lake/orders/_strata/branches/dev-00000002", new State("file:/lake/orders/", 3), 7L);
    Ref old = new Ref("file:/lake/orders/_strata/branches/dev-00000001",
        new State("file:/lake/orders/_strata/branches/dev-00000001", 4), null);
    backend.pool().withTransaction(c -> DeltaRefs.put(c, repository, "orders", "dev", made)
            .chain(() -> DeltaRefs.putBack(c, repository, "orders", "dev", old))
            .chain(() -> DeltaRefs.ref(c, repository, "orders", "dev")))
        .invoke(ref -> assertThat(ref).as("another incarnation's ref stays").isEqualTo(made))
        .await().atMost(WAIT);
    Ref back = new Ref(made.root(), new State("file:/lake/orders/", 2), null);
    assertThat(backend.pool().withTransaction(c -> DeltaRefs.putBack(c, repository, "orders", "dev", back)
            .chain(() -> DeltaRefs.ref(c, repository, "orders", "dev"))).await().atMost(WAIT))
        .isEqualTo(back);
  }

  @Test
  void anAttemptKeepsTheRootItCapturedFrom() {
    String repository = "refs-" + UUID.randomUUID().toString().substring(0, 8);
    Ref ref = new Ref("file:/lake/orders/_strata/branches/dev-00000003", new State("file:/lake/orders/", 3), 5L);
    var kept = backend.pool().withTransaction(c -> DeltaRefs.keep(c, "attempt-1", repository, "orders", "dev", ref)
        .chain(() -> DeltaRefs.kept(c, "attempt-1", repository, "orders", "dev"))).await().atMost(WAIT);
    assertThat(kept).contains(ref);
  }
}
