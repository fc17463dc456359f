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
 * The README's command-line tours run as written: each a bash script in a directory of its own, with {@code strata}
 * on the PATH (the clients/cli/strata script), against the packaged server. The data tour, the environments tour
 * and the promotion gate share one server (distinct repositories and tables, as a reader running them all would);
 * the token and webhook tours another, with token authentication and webhooks allowed to this machine.
 */
class CliTourIT {
  private static final String ADMIN_TOKEN = "cli-tour-admin-token-0123456789abcdef";

  @TempDir Path dir;

  @Test
  void theCommandLineToursRunAsWritten() throws Exception {
    try (StrataProcess server = StrataProcess.start(Files.createDirectories(dir.resolve("server")), Map.of())) {
      String output = run("clitour", server, Map.of());
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

      String environments = run("cli-promotiontour", server, Map.of());
      assertThat(environments)
          .contains("Protected branch main")
          .contains("development: 1=150 2=200 3=300")
          .contains("production: 1=150 2=200 3=300")
          .contains("production after the reset: 1=100 2=200 3=300")
          .contains("production at v1.2.0 again: 1=150 2=200 3=300")
          .contains("production after the revert: 1=100 2=200 3=300")
          .contains("production: 1=100 2=200 3=310")
          .contains("staging: 1=100 2=250 3=310")
          .contains("development: 1=100 2=250 3=310");

      String gate = run("cli-policytour", server, Map.of());
      assertThat(gate)
          .contains("Set the promotion policy of cli-pipeline")
          .contains("BranchGated").contains("refused with exit status 1")
          .contains("no_negative_sales:failed").contains("not merged: exit status")
          .contains("no_negative_sales:passed")
          .containsPattern("merged as [0-9a-f]{7}, tagged release-1");
    }

    try (StrataProcess server = StrataProcess.start(Files.createDirectories(dir.resolve("server-auth")), Map.of(
        "STRATA_AUTH", "token", "STRATA_ADMIN_TOKEN", ADMIN_TOKEN,
        "STRATA_WEBHOOKS_ALLOWED_HOSTS", "127.0.0.1/32"))) {
      String tokens = run("cli-tokentour", server, Map.of("STRATA_ADMIN_TOKEN", ADMIN_TOKEN));
      assertThat(tokens)
          .contains("Created repository team-cli")
          .contains("Created branch nightly at ")
          .containsPattern("\\[nightly [0-9a-f]{7}\\] Nightly load")
          .contains("Revoked token ");
      assertThat(tokens.lines().filter(l -> l.equals("refused with exit status 4")).count()).isEqualTo(3);

      String readme = Files.readString(Path.of("../../README.md"));
      Matcher receiver = Pattern.compile("cat > \"\\$HOOKS/Receiver.java\" <<'JAVA'\\n(.*?)\\nJAVA\\n", Pattern.DOTALL)
          .matcher(readme);
      assertThat(receiver.find()).as("the webhook tour's receiver").isTrue();
      String hooks = run("cli-webhooktour", server, Map.of("STRATA_TOKEN", ADMIN_TOKEN),
          Map.of("Receiver.java", receiver.group(1)));
      assertThat(hooks)
          .contains("Created repository hooked-cli")
          .containsPattern("received [0-9a-f-]+ [0-9]+ v1,[A-Za-z0-9+/=]+ \\{.*\"type\":\"io.strata.branch.created.v1\"")
          .contains("Queued ").contains("Disabled webhook ").contains("Removed webhook ")
          .containsPattern("delivered +1");
    }
  }

  private String run(String tour, StrataProcess server, Map<String, String> env) throws Exception {
    return run(tour, server, env, Map.of());
  }

  /** Runs the README's block {@code <!-- tour:start -->} in a directory of its own holding {@code files}. */
  private String run(String tour, StrataProcess server, Map<String, String> env, Map<String, String> files)
      throws Exception {
    String readme = Files.readString(Path.of("../../README.md"));
    Matcher block = Pattern.compile("<!-- " + tour + ":start -->\\s*```bash\\n(.*?)```\\s*<!-- " + tour + ":end -->",
        Pattern.DOTALL).matcher(readme);
    assertThat(block.find()).as("the README's " + tour + " block").isTrue();
    Path work = Files.createDirectories(dir.resolve(tour));
    Path bin = Files.createDirectories(dir.resolve("bin"));
    if (!Files.exists(bin.resolve("strata"))) {
      Files.createSymbolicLink(bin.resolve("strata"), Path.of(System.getProperty("strata.cli.script", "strata"))
          .toAbsolutePath());
    }
    for (Map.Entry<String, String> file : files.entrySet()) {
      Files.writeString(work.resolve(file.getKey()), file.getValue());
    }
    Path script = Files.writeString(work.resolve("tour.sh"), "set -euo pipefail\n" + block.group(1));
    ProcessBuilder pb = new ProcessBuilder("bash", script.toString()).directory(work.toFile()).redirectErrorStream(true);
    pb.environment().put("PATH", bin + ":" + System.getenv("PATH"));
    pb.environment().put("STRATA_URL", server.baseUri());
    pb.environment().put("STRATA_CONFIG", dir.resolve("no-config").toString());
    pb.environment().remove("STRATA_TOKEN");
    pb.environment().remove("STRATA_REPOSITORY");
    pb.environment().remove("PSQL");
    pb.environment().putAll(env);
    Process run = pb.start();
    String output = new String(run.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(run.waitFor(180, TimeUnit.SECONDS)).isTrue();
    assertThat(run.exitValue()).as("the %s failed:\n%s", tour, output).isZero();
    return output;
  }
}
