package io.strata.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs a tour of the README as a user would: the bash block between {@code <!-- name:start -->} and
 * {@code <!-- name:end -->}, copied as written into a script in a directory outside the repository and
 * run there (so nothing it does may lean on the repository's files or the server's directory), with
 * only the environment the README tells the user to have.
 */
final class ReadmeTours {
  private static final Path REPOSITORY = Path.of("../..").toAbsolutePath().normalize();
  /** Inherited variables a tour must not quietly rely on: it gets what the README says, or nothing. */
  private static final List<String> NOT_INHERITED = List.of("PSQL", "STRATA", "STRATA_ADMIN_TOKEN", "STRATA_DATA_DIR",
      "STRATA_DATABASE_URL", "PGPASSFILE", "PGPASSWORD", "PGHOST", "PGHOSTADDR", "PGPORT", "PGUSER", "PGDATABASE",
      "PGSERVICE", "HOOK_URL");

  private ReadmeTours() {}

  static String block(String name) throws IOException {
    String readme = Files.readString(REPOSITORY.resolve("README.md"));
    Matcher block = Pattern.compile("<!-- " + name + ":start -->\\s*```bash\\n(.*?)```\\s*<!-- " + name + ":end -->",
        Pattern.DOTALL).matcher(readme);
    assertThat(block.find()).as("README has a " + name + " block").isTrue();
    return block.group(1);
  }

  /**
   * Runs the tour in a new directory outside the repository against {@code server}: {@code STRATA}
   * is the server's address, as the tours let a user set it; {@code env} is what the README's text
   * asks the user to export for this tour. Answers the tour's output; fails unless it exits 0.
   */
  static String run(String name, PackagedServer server, Map<String, String> env) throws IOException, InterruptedException {
    // the system's temporary directory, not the build's (java.io.tmpdir may be under target/)
    Path directory = Files.createTempDirectory(Path.of(System.getenv().getOrDefault("TMPDIR", "/tmp")), "strata-tour-");
    try {
      assertThat(directory.toRealPath().startsWith(REPOSITORY.toRealPath())).as("%s is outside the repository",
          directory).isFalse();
      return run(name, server, directory, env);
    } finally {
      deleteTree(directory);
    }
  }

  private static String run(String name, PackagedServer server, Path directory, Map<String, String> env)
      throws IOException, InterruptedException {
    assertThat(new ProcessBuilder("bash", "-c", "command -v curl && command -v jq && command -v psql")
        .start().waitFor()).as("the README's tours need curl, jq and psql (see The two commands)").isZero();
    Path script = directory.resolve(name + ".sh");
    Files.writeString(script, "set -euo pipefail\n" + block(name));
    // a session of its own: whatever the tour starts in the background (a receiver) can be stopped with it
    ProcessBuilder pb = new ProcessBuilder("setsid", "bash", script.toString()).directory(directory.toFile())
        .redirectErrorStream(true);
    NOT_INHERITED.forEach(pb.environment()::remove);
    pb.environment().put("STRATA", server.base());
    pb.environment().putAll(env);
    Process run = pb.start();
    try {
      String output = new String(run.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(run.waitFor(180, TimeUnit.SECONDS)).as("the %s tour ends", name).isTrue();
      assertThat(run.exitValue()).as("the %s tour failed:\n%s\n--- server log:\n%s", name, output, server.log())
          .isZero();
      return output;
    } finally {
      run.destroy();
      // what the tour left running (a receiver, when it failed before stopping it): its process group
      new ProcessBuilder("kill", "-TERM", "--", "-" + run.pid()).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor(10, TimeUnit.SECONDS);
    }
  }

  private static void deleteTree(Path directory) throws IOException {
    try (var paths = Files.walk(directory)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
