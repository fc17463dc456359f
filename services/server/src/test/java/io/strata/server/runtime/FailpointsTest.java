package io.strata.server.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The failpoint actions a packaged server takes from STRATA_FAILPOINTS, and a delay's hold. */
class FailpointsTest {
  @Test
  void theEnvironmentArmsKnownActionsOnly() {
    assertThat(Failpoints.parse("merge.applied=delay:30s, a=halt,b=error,c=delay:250ms,d=delay:5m,e=sleep,f"))
        .containsOnlyKeys("merge.applied", "a", "b", "c")
        .containsEntry("merge.applied", "delay:30s").containsEntry("c", "delay:250ms");
  }

  @Test
  void aDelayHoldsTheStepThenLetsItGoOn() {
    Failpoints.arm("test.delayed", "delay:300ms");
    try {
      long start = System.nanoTime();
      Failpoints.hit("test.delayed").await().atMost(Duration.ofSeconds(5));
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(300));
    } finally {
      Failpoints.disarm("test.delayed");
    }
    assertThat(Failpoints.hit("test.delayed").await().atMost(Duration.ofSeconds(1))).as("disarmed: passes").isNull();
  }
}
