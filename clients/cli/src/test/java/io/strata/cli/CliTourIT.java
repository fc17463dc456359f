package io.strata.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.strata.client.StrataProcess;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's command-line tour runs as written: a bash script in a directory of its own, with {@code strata} on
 * the PATH (the clients/cli/strata script), against the packaged server.
 */
class CliTourIT {
  @TempDir Path dir;

  @Test
  void theCommandLineTourRunsAsWritten() throws Exception {
    String readme = Files.readString(Path.of("../../README.md"));
    Matcher block = Pattern.compile("<!-- clitour:start -->\\s*```bash\\n(.*?)```\\s*<!-- clitour:end -->",
        Pattern.DOTALL).matcher(readme);
    assertThat(block.find()).as("the README's clitour block").isTrue();
    Path bin = Files.createDirectories(dir.resolve("bin"));
    Files.createSymbolicLink(bin.resolve("strata"), Path.of(System.getProperty("strata.cli.script", "strata"))
        .toAbsolutePath());
    Path script = Files.writeString(dir.resolve("tour.sh"), "set -euo pipefail\n" + block.group(1));
    Path serverDir = Files.createDirectories(dir.resolve("server"));
    try (StrataProcess server = StrataProcess.start(serverDir, Map.of())) {
      ProcessBuilder pb = new ProcessBuilder("bash", script.toString()).directory(dir.toFile()).redirectErrorStream(true);
      pb.environment().put("PATH", bin + ":" + System.getenv("PATH"));
      pb.environment().put("STRATA_URL", server.baseUri());
      pb.environment().put("STRATA_CONFIG", dir.resolve("no-config").toString());
      pb.environment().remove("STRATA_TOKEN");
      pb.environment().remove("PSQL");
      Process run = pb.start();
      String output = new String(run.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(run.waitFor(180, TimeUnit.SECONDS)).isTrue();
      assertThat(run.exitValue()).as("the tour failed:\n%s", output).isZero();

      assertThat(output)
          .contains("Created repository cli-shop (default branch main)")
          .contains("Tracking orders (100 rows, key id)")
          .contains("Created branch dev at ")
          .contains("Changes not staged for commit:").contains("orders  +0 ~10 -0")
          .containsPattern("\\[dev [0-9a-f]{7}\\] Double the first ten orders")
          .contains("1 table(s), 10 row(s) changed")
          .containsPattern("Fast-forward: main -> [0-9a-f]{7}")
          .containsPattern("Tagged [0-9a-f]{7} as v1")
          .contains("CONFLICT: ").contains("merge stopped with exit status 1")
          .contains("customer: base c1, ours renamed on main, theirs renamed on dev")
          .contains("Resolved 1 conflict(s); 0 remain")
          .containsPattern("\\[main [0-9a-f]{7}\\] Merge dev, taking its name for customer 1")
          .contains("renamed on dev")
          .contains("orders (").contains("-- up").containsPattern("ADD COLUMN .?region.? text")
          .containsPattern("\\{\"position\":\"[0-9]+\",\"type\":\"io.strata.commit.created.v[0-9]+\"");
      // the merge was reverted: customer 1 is main's again
      assertThat(output.lines().filter(l -> l.matches("[0-9a-f]{7} .*")).count()).isGreaterThanOrEqualTo(7);
    }
  }
}
