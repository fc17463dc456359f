package io.strata.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The command line as picocli builds it, the settings' precedence and the exit statuses, without a server. */
class CommandLineTest {
  @TempDir Path dir;

  private static CommandLine line(StringWriter out, StringWriter err) {
    CommandLine line = Strata.commandLine();
    line.setOut(new PrintWriter(out));
    line.setErr(new PrintWriter(err));
    return line;
  }

  @Test
  void everyVerbHasHelpThatReadsLikeGits() {
    StringWriter out = new StringWriter();
    CommandLine root = line(out, new StringWriter());
    assertThat(root.execute("--help")).isZero();
    assertThat(out.toString()).contains("Usage: strata").contains("Exit status: 0 done; 1 conflict");
    assertThat(root.getSubcommands().keySet()).contains("repo", "table", "branch", "tag", "log", "status", "stage",
        "unstage", "discard", "commit", "diff", "merge", "resolve", "revert", "cherry-pick", "reset", "query",
        "events", "backup", "restore", "generate-completion", "help", "stash", "rebase", "promotion", "webhooks",
        "tokens", "schema");
    for (String verb : root.getSubcommands().keySet()) {
      StringWriter help = new StringWriter();
      assertThat(line(help, new StringWriter()).execute(verb, "--help")).as(verb).isZero();
      assertThat(help.toString()).as(verb).contains("Usage: strata " + verb);
    }
  }

  @Test
  void aUsageMistakeExitsTwoAndNamesIt() {
    StringWriter err = new StringWriter();
    assertThat(line(new StringWriter(), err).execute("log", "--no-such-option")).isEqualTo(ExitCodes.USAGE);
    assertThat(err.toString()).contains("--no-such-option");
    err = new StringWriter();
    assertThat(line(new StringWriter(), err).execute("reset", "main")).isEqualTo(ExitCodes.USAGE);
    assertThat(err.toString()).contains("--hard").contains("--soft");
  }

  @Test
  void httpStatusesMapToTheDocumentedExitStatuses() {
    assertThat(ExitCodes.of(409)).isEqualTo(1);
    assertThat(ExitCodes.of(404)).isEqualTo(3);
    assertThat(ExitCodes.of(400)).isEqualTo(3);
    assertThat(ExitCodes.of(422)).isEqualTo(3);
    assertThat(ExitCodes.of(401)).isEqualTo(4);
    assertThat(ExitCodes.of(403)).isEqualTo(4);
    assertThat(ExitCodes.of(429)).isEqualTo(5);
    assertThat(ExitCodes.of(503)).isEqualTo(5);
    assertThat(Failures.describe(404, "{\"error\":\"RepositoryNotFound\",\"message\":\"repository 'x' does not"
        + " exist\",\"details\":{},\"request_id\":\"r-1\"}"))
        .isEqualTo("repository 'x' does not exist (RepositoryNotFound, request r-1)");
    assertThat(Failures.describe(502, "<html>bad gateway</html>")).isEqualTo("the server answered HTTP 502");
  }

  @Test
  void flagsWinOverTheEnvironmentWhichWinsOverTheConfigFile() throws Exception {
    Path config = Files.writeString(dir.resolve("config"), "server = http://from-file:1\nrepository = file-repo\n");
    Strata flags = new Strata();
    Settings fromFile = Settings.resolve(flags, Map.of("STRATA_CONFIG", config.toString()));
    assertThat(fromFile.server()).isEqualTo("http://from-file:1");
    assertThat(fromFile.repository()).isEqualTo("file-repo");
    Settings fromEnv = Settings.resolve(flags, Map.of("STRATA_CONFIG", config.toString(), "STRATA_URL",
        "http://from-env:2/", "STRATA_REPOSITORY", "env-repo"));
    assertThat(fromEnv.server()).isEqualTo("http://from-env:2");
    assertThat(fromEnv.repository()).isEqualTo("env-repo");
    flags.server = "http://from-flag:3";
    flags.repository = "flag-repo";
    Settings fromFlags = Settings.resolve(flags, Map.of("STRATA_CONFIG", config.toString(), "STRATA_URL", "http://x:2"));
    assertThat(fromFlags.server()).isEqualTo("http://from-flag:3");
    assertThat(fromFlags.repository()).isEqualTo("flag-repo");
    assertThat(Settings.resolve(new Strata(), Map.of("STRATA_CONFIG", dir.resolve("none").toString())).server())
        .isEqualTo("http://127.0.0.1:8000");
  }

  @Test
  void aConfigFileHoldingATokenThatOthersMayReadIsRefused() throws Exception {
    Path config = Files.writeString(dir.resolve("config"), "token = secret-token-value\n");
    Files.setPosixFilePermissions(config, PosixFilePermissions.fromString("rw-r--r--"));
    Map<String, String> env = Map.of("STRATA_CONFIG", config.toString());
    Failures.Refused refused = org.assertj.core.api.Assertions.catchThrowableOfType(
        () -> Settings.resolve(new Strata(), env), Failures.Refused.class);
    assertThat(refused.status).isEqualTo(ExitCodes.USAGE);
    assertThat(refused.getMessage()).contains("chmod 600").doesNotContain("secret-token-value");
    Files.setPosixFilePermissions(config, PosixFilePermissions.fromString("rw-------"));
    assertThat(Settings.resolve(new Strata(), env).token()).isEqualTo("secret-token-value");
  }

  @Test
  void aCommandWithoutARepositorySaysHowToNameOne() {
    StringWriter err = new StringWriter();
    int status = line(new StringWriter(), err).execute("--server", "http://127.0.0.1:9", "log");
    // STRATA_REPOSITORY may be set where the tests run: then the server (none at port 9) is unreachable instead
    assertThat(status).isIn(ExitCodes.USAGE, ExitCodes.UNAVAILABLE);
    assertThat(err.toString()).containsAnyOf("give --repo", "cannot reach the server");
  }
}
