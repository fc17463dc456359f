package io.strata.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The attack: start a second server on a running server's data directory. It used to stop the first
 * one's PostgreSQL as "left running by an earlier process" (the first then answered 503); now it
 * refuses to start, naming the owner, and the first goes on answering.
 */
class DataDirectoryIT {
  @TempDir Path dir;

  @Test
  void aSecondServerOnTheSameDataDirectoryRefusesAndTheFirstKeepsAnswering() throws Exception {
    Map<String, String> env = Map.of("STRATA_DATA_DIR", dir.resolve("data").toString());
    Files.createDirectories(dir.resolve("one"));
    Files.createDirectories(dir.resolve("two"));
    try (PackagedServer first = new PackagedServer(dir.resolve("one"), env);
        PackagedServer second = new PackagedServer(dir.resolve("two"), env)) {
      first.start();
      first.send("POST", "/api/v1/repositories", "{\"name\":\"kept\"}", 201);

      Process intruder = second.launch();
      assertThat(intruder.waitFor(60, TimeUnit.SECONDS)).as("the second server exits").isTrue();
      String out = second.log();
      assertThat(intruder.exitValue()).as(out).isNotZero();
      assertThat(out).contains("in use by another Strata server").contains("pid " + first.process().pid());

      first.send("GET", "/ready", null, 200);
      first.send("GET", "/api/v1/repositories/kept", null, 200);
      first.send("POST", "/api/v1/repositories/kept/branches", "{\"name\":\"after\"}", 201);
    }
  }
}
