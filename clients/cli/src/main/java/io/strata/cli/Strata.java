package io.strata.cli;

import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * {@code strata}: git-like verbs over a Strata server's REST API (through the Java client generated from its OpenAPI
 * document). Where to connect comes from flags, else the environment, else the config file ({@link Settings}).
 */
@Command(name = "strata", mixinStandardHelpOptions = true, scope = ScopeType.INHERIT,
    versionProvider = Strata.Version.class,
    usageHelpAutoWidth = true, sortOptions = false,
    description = {"Git for data: branches, commits, diffs and merges over PostgreSQL tables.", ""},
    subcommands = {RepoCommand.class, TableCommand.class, BranchCommand.class, TagCommand.class, LogCommand.class,
        StatusCommand.class, WorkingCommands.Stage.class, WorkingCommands.Unstage.class, WorkingCommands.Discard.class,
        CommitCommand.class, DiffCommand.class, MergeCommand.class, ResolveCommand.class, HistoryCommands.Revert.class,
        HistoryCommands.CherryPick.class, HistoryCommands.ResetBranch.class, QueryCommand.class, EventsCommand.class,
        BackupCommand.class, RestoreCommand.class, AutoComplete.GenerateCompletion.class, CommandLine.HelpCommand.class},
    commandListHeading = "%nCommands:%n",
    footerHeading = "%n",
    footer = {"Exit status: 0 done; 1 conflict (the server answered 409: a merge stopped on conflicts, a name taken, a"
        + " head that moved); 2 usage; 3 not found or refused (404, 400, 422); 4 not allowed (401, 403); 5 server"
        + " unavailable or failing (no answer, 429, 5xx); 6 a local file could not be read or written.",
        "",
        "Settings: --server, --token and --repo, else STRATA_URL, STRATA_TOKEN and STRATA_REPOSITORY, else the config"
        + " file (STRATA_CONFIG, else ~/.config/strata/config: lines of key = value; owner-only when it holds a"
        + " token). See docs/cli.md."})
public final class Strata implements Runnable {
  @Spec CommandSpec spec;

  @Option(names = "--server", scope = ScopeType.INHERIT, paramLabel = "<url>",
      description = "The server (default http://127.0.0.1:8000)")
  String server;

  @Option(names = "--token", scope = ScopeType.INHERIT, paramLabel = "<token>",
      description = "The API token (a server with STRATA_AUTH=token)")
  String token;

  @Option(names = {"-r", "--repo"}, scope = ScopeType.INHERIT, paramLabel = "<repository>",
      description = "The repository the command works on")
  String repository;

  @Option(names = "--output", scope = ScopeType.INHERIT, paramLabel = "text|json", defaultValue = "text",
      description = "text (for people, the default) or json (for scripts: the API's answer as it is)")
  Output.Format output;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs the command line {@code args}; answers its exit status. */
  public static int run(String... args) {
    return commandLine().execute(args);
  }

  /** The command line as {@code strata} runs it: failures said in one line, values case-insensitive. */
  static CommandLine commandLine() {
    CommandLine line = new CommandLine(new Strata());
    line.setExecutionExceptionHandler(new Failures());
    line.setCaseInsensitiveEnumValuesAllowed(true);
    line.setUsageHelpAutoWidth(true);
    return line;
  }

  /** The version the jar was built as. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String version = Strata.class.getPackage().getImplementationVersion();
      return new String[] {"strata " + (version == null ? "(development build)" : version)};
    }
  }
}
