package io.strata.server.application;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.strata.server.runtime.StrataConfig;
import java.lang.reflect.Proxy;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The server does not start with a grace for deleted branches' Delta tables shorter than a command may take. */
class DeltaIntentRecoveryGraceTest {
  @Test
  void aGraceShorterThanFiveMinutesStopsTheStart() {
    assertThatThrownBy(() -> recovery(Duration.ofMinutes(1)).checkGrace(null))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("STRATA_DELTA_RELEASED_TABLE_GRACE (PT1M)");
    assertThatThrownBy(() -> recovery(Duration.ZERO).checkGrace(null)).isInstanceOf(IllegalArgumentException.class);
    assertThatCode(() -> recovery(Duration.ofMinutes(5)).checkGrace(null)).doesNotThrowAnyException();
    assertThatCode(() -> recovery(Duration.ofDays(2)).checkGrace(null)).doesNotThrowAnyException();
  }

  /** The recovery with a configuration that answers {@code grace} and nothing else. */
  private static DeltaIntentRecovery recovery(Duration grace) {
    StrataConfig.Delta delta = stub(StrataConfig.Delta.class, "releasedTableGrace", grace);
    return new DeltaIntentRecovery(null, null, stub(StrataConfig.class, "delta", delta));
  }

  private static <T> T stub(Class<T> type, String method, Object answer) {
    return type.cast(Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (proxy, m, args) -> {
      if (m.getName().equals(method)) {
        return answer;
      }
      throw new UnsupportedOperationException(m.getName());
    }));
  }
}
