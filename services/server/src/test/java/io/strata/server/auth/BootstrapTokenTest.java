package io.strata.server.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BootstrapTokenTest {
  @TempDir Path dir;

  @Test
  void generatedAtFirstStartIntoAFileOnlyTheOwnerReadsThenReused() throws Exception {
    Path dataDir = dir.resolve("data");
    BootstrapToken.Resolved first = BootstrapToken.resolve(null, dataDir);
    assertThat(first.generated()).isTrue();
    assertThat(first.file()).isEqualTo(dataDir.resolve("admin-token"));
    assertThat(first.secret()).startsWith("strata_").hasSizeGreaterThanOrEqualTo(40);
    assertThat(Files.getPosixFilePermissions(first.file()))
        .isEqualTo(Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE));
    assertThat(Files.readString(first.file()).trim()).isEqualTo(first.secret());

    BootstrapToken.Resolved second = BootstrapToken.resolve(null, dataDir);
    assertThat(second.generated()).isFalse();
    assertThat(second.secret()).isEqualTo(first.secret());
  }

  @Test
  void theEnvironmentWinsAndMustBeLongEnough() {
    assertThat(BootstrapToken.resolve("  a-long-enough-operator-secret-123  ", dir).secret())
        .isEqualTo("a-long-enough-operator-secret-123");
    assertThat(Files.exists(dir.resolve("admin-token"))).isFalse();
    assertThatThrownBy(() -> BootstrapToken.resolve("short", dir)).hasMessageContaining("at least");
  }
}
