package io.strata.cli;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** The strata command as a user runs it: the clients/cli/strata script, in a directory, with an environment. */
final class Cli {
  record Result(int exit, String out, String err) {}

  private final Path workDir;
  private final Map<String, String> env;

  Cli(Path workDir, Map<String, String> env) {
    this.workDir = workDir;
    this.env = env;
  }

  Result run(String... args) throws Exception {
    List<String> command = new ArrayList<>();
    command.add(System.getProperty("strata.cli.script", "strata"));
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command).directory(workDir.toFile());
    builder.environment().remove("STRATA_URL");
    builder.environment().remove("STRATA_TOKEN");
    builder.environment().remove("STRATA_REPOSITORY");
    builder.environment().put("STRATA_CONFIG", workDir.resolve("no-config").toString());
    builder.environment().putAll(env);
    Process p = builder.start();
    byte[] out = p.getInputStream().readAllBytes();
    byte[] err = p.getErrorStream().readAllBytes();
    if (!p.waitFor(5, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new IllegalStateException("strata " + String.join(" ", args) + " did not finish");
    }
    return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
  }
}
