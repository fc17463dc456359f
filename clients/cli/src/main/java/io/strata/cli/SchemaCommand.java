package io.strata.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code strata schema diff <from> [<to>] [--show-ddl]}: how the tables' shapes differ (as {@code diff --schema}). */
@Command(name = "schema", description = "The tables' shapes: how they differ between refs",
    subcommands = SchemaCommand.SchemaDiff.class)
final class SchemaCommand extends Verb {
  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getOut());
    return ExitCodes.USAGE;
  }

  @Command(name = "diff", description = "How the tables' shapes differ between two refs, with the migration (--show-ddl)")
  static final class SchemaDiff extends Verb {
    @Parameters(index = "0", paramLabel = "<from>") String from;

    @Parameters(index = "1", arity = "0..1", paramLabel = "<to>", description = "Default: the default branch") String to;

    @Option(names = "--table", paramLabel = "<table>", description = "One table only") String table;

    @Option(names = "--show-ddl", description = "The statements that migrate from → to (up), and back (down)")
    boolean showDdl;

    @Override
    public Integer call() throws Exception {
      DiffCommand diff = new DiffCommand();
      diff.spec = spec;
      diff.from = from;
      diff.to = to;
      diff.table = table;
      diff.schema = true;
      diff.showDdl = showDdl;
      return diff.call();
    }
  }
}
