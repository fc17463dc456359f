package io.strata.cli;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
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
    try {
      return commandLine(args).execute(args);
    } finally {
      SharedHttpClient.stop();
    }
  }

  /** The verbs, in the order {@code strata --help} lists them. */
  static final Map<String, Supplier<Object>> VERBS = verbs();

  private static Map<String, Supplier<Object>> verbs() {
    Map<String, Supplier<Object>> verbs = new LinkedHashMap<>();
    verbs.put("repo", RepoCommand::new);
    verbs.put("table", TableCommand::new);
    verbs.put("branch", BranchCommand::new);
    verbs.put("tag", TagCommand::new);
    verbs.put("log", LogCommand::new);
    verbs.put("status", StatusCommand::new);
    verbs.put("stage", WorkingCommands.Stage::new);
    verbs.put("unstage", WorkingCommands.Unstage::new);
    verbs.put("discard", WorkingCommands.Discard::new);
    verbs.put("commit", CommitCommand::new);
    verbs.put("diff", DiffCommand::new);
    verbs.put("schema", SchemaCommand::new);
    verbs.put("merge", MergeCommand::new);
    verbs.put("resolve", ResolveCommand::new);
    verbs.put("revert", HistoryCommands.Revert::new);
    verbs.put("cherry-pick", HistoryCommands.CherryPick::new);
    verbs.put("reset", HistoryCommands.ResetBranch::new);
    verbs.put("stash", StashCommand::new);
    verbs.put("rebase", RebaseCommand::new);
    verbs.put("query", QueryCommand::new);
    verbs.put("events", EventsCommand::new);
    verbs.put("promotion", PromotionCommand::new);
    verbs.put("webhooks", WebhooksCommand::new);
    verbs.put("tokens", TokensCommand::new);
    verbs.put("backup", BackupCommand::new);
    verbs.put("restore", RestoreCommand::new);
    verbs.put("generate-completion", AutoComplete.GenerateCompletion::new);
    verbs.put("help", CommandLine.HelpCommand::new);
    return verbs;
  }

  /** Every verb: what help, completion and the tests see. */
  static CommandLine commandLine() {
    return commandLine(VERBS.keySet());
  }

  /**
   * The command line for {@code args}: with only the verb they name (picocli builds each verb's model by
   * reflection, which is a good part of the start-up time), or every verb when they name none or ask for help.
   */
  static CommandLine commandLine(String... args) {
    String verb = verbOf(args);
    return commandLine(verb == null || verb.equals("help") || !VERBS.containsKey(verb) ? VERBS.keySet() : List.of(verb));
  }

  /** The command line as {@code strata} runs it: failures said in one line, values case-insensitive. */
  private static CommandLine commandLine(java.util.Collection<String> verbs) {
    CommandLine line = new CommandLine(new Strata());
    verbs.forEach(v -> line.addSubcommand(v, VERBS.get(v).get()));
    line.setExecutionExceptionHandler(new Failures());
    line.setCaseInsensitiveEnumValuesAllowed(true);
    line.setUsageHelpAutoWidth(true);
    return line;
  }

  /** The root options that take a value: their value is not the verb. */
  private static final Set<String> VALUED = Set.of("--server", "--token", "-r", "--repo", "--output");

  /** The first argument that is neither a root option nor its value; null when there is none. */
  static String verbOf(String... args) {
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (VALUED.contains(a)) {
        i++;
      } else if (!a.startsWith("-")) {
        return a;
      }
    }
    return null;
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
