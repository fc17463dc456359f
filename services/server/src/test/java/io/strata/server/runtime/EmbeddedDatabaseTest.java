package io.strata.server.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The embedded database's pure parts; starting it is DataDirectoryIT's. */
class EmbeddedDatabaseTest {
  @Test
  void thePortSettingIsAnUnprivilegedPortNumber() {
    assertThat(EmbeddedDatabase.parsePort(" 25432 ")).isEqualTo(25432);
    for (String bad : new String[] {"0", "80", "1023", "65536", "-1", "five", ""}) {
      assertThatThrownBy(() -> EmbeddedDatabase.parsePort(bad)).as(bad)
          .isInstanceOf(EmbeddedDatabase.PortUnavailable.class).hasMessageContaining("STRATA_EMBEDDED_DATABASE_PORT");
    }
  }

  @Test
  void aPortSomethingListensOnIsNotFree() throws Exception {
    try (ServerSocket taken = new ServerSocket()) {
      taken.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
      assertThat(EmbeddedDatabase.free(taken.getLocalPort())).isFalse();
    }
  }

  @Test
  void aPassfilePathIsPercentEncodedForALibpqUri() {
    assertThat(EmbeddedDatabase.uriEncode("/home/ada/My Data/.strata/database.pgpass"))
        .isEqualTo("/home/ada/My%20Data/.strata/database.pgpass");
    assertThat(EmbeddedDatabase.uriEncode("/tmp/a&b=c?d#é")).isEqualTo("/tmp/a%26b%3Dc%3Fd%23%C3%A9");
  }

  @Test
  void secretsAreWrittenWholeAndOwnerOnly(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("database.pgpass");
    Files.writeString(file, "old");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
    EmbeddedDatabase.writeOwnerOnly(file, "127.0.0.1:25432:*:postgres:secret\n");
    assertThat(Files.readString(file)).isEqualTo("127.0.0.1:25432:*:postgres:secret\n");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
    try (var left = Files.list(dir)) {
      assertThat(left).containsExactly(file);
    }
  }
}
