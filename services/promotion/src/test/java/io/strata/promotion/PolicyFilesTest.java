package io.strata.promotion;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Which files of the policy directory are policies, and of which repository. */
class PolicyFilesTest {
  @Test
  void aPolicyFileIsNamedForItsRepository() {
    assertThat(PolicyFiles.repositoryOf(Path.of("/etc/strata/pipeline.yaml"))).isEqualTo("pipeline");
    assertThat(PolicyFiles.repositoryOf(Path.of("sales.yml"))).isEqualTo("sales");
    assertThat(PolicyFiles.repositoryOf(Path.of("orders.json"))).isEqualTo("orders");
    assertThat(PolicyFiles.repositoryOf(Path.of("README.md"))).isNull();
    assertThat(PolicyFiles.repositoryOf(Path.of(".yaml"))).isNull();
  }
}
