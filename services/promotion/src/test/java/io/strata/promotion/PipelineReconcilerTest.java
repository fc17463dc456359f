package io.strata.promotion;

import static org.assertj.core.api.Assertions.assertThat;

import io.strata.client.ApiException;
import io.strata.client.model.PolicyDto;
import io.strata.client.model.PolicyPathDto;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The rules the reconciler shares with the server, and which refusals end a pass. */
class PipelineReconcilerTest {
  private static PolicyPathDto path(String source, String target) {
    return new PolicyPathDto().source(source).target(target);
  }

  @Test
  void aPairGoesAlongTheFirstMatchingPathAsTheServerDecides() {
    PolicyPathDto pattern = path("release/*", "prod");
    PolicyPathDto exact = path("release/hotfix", "prod");
    PolicyDto policy = new PolicyDto().paths(List.of(pattern, exact, path("dev", "staging")));
    assertThat(PipelineReconciler.pathOf(policy, "release/hotfix", "prod")).isSameAs(pattern);
    assertThat(PipelineReconciler.pathOf(policy, "release/1", "prod")).isSameAs(pattern);
    assertThat(PipelineReconciler.pathOf(policy, "release/a/b", "prod")).as("* stays in one segment").isNull();
    assertThat(PipelineReconciler.pathOf(policy, "dev", "prod")).isNull();
    assertThat(PipelineReconciler.pathOf(policy, "dev", "staging")).isNotNull();
  }

  @Test
  void onlyTheServerFailingOrOutOfReachIsTriedAgain() {
    assertThat(PipelineReconciler.retryable(new ApiException(0, "connection refused"))).isTrue();
    assertThat(PipelineReconciler.retryable(new ApiException(503, "unavailable"))).isTrue();
    assertThat(PipelineReconciler.retryable(new ApiException(429, "busy"))).isTrue();
    for (int refusal : List.of(400, 403, 404, 409, 422)) {
      assertThat(PipelineReconciler.retryable(new ApiException(refusal, "refused"))).isFalse();
    }
  }
}
