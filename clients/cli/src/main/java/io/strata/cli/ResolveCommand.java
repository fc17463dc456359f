package io.strata.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.strata.client.api.MergesApi;
import io.strata.client.model.Resolution;
import io.strata.client.model.ResolutionDto;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code strata resolve <table> [--key K] [--field F] (--ours | --theirs | --base | --value V)}: settles conflicts of
 * the merge in progress: all of a table's, one row's, or one field's.
 */
@Command(name = "resolve", description = "Resolve conflicts of the merge in progress (a table's, a row's or a field's)")
final class ResolveCommand extends Verb {
  @Parameters(paramLabel = "<table>") String table;

  @Option(names = "--key", paramLabel = "<key>", description = "The row: its key value, or a JSON object of its key columns")
  String key;

  @Option(names = "--field", paramLabel = "<field>", description = "One field of that row") String field;

  @Option(names = {"-b", "--branch"}, paramLabel = "<branch>", description = "The branch (default: the default one)")
  String branch;

  @ArgGroup(exclusive = true, multiplicity = "1")
  Take take;

  static final class Take {
    @Option(names = "--ours", description = "Keep the branch's side") boolean ours;

    @Option(names = "--theirs", description = "Take the source's side") boolean theirs;

    @Option(names = "--base", description = "Go back to the merge base's value") boolean base;

    @Option(names = "--value", paramLabel = "<json>", description = "A value of your own (JSON)") String value;
  }

  @Override
  public Integer call() throws Exception {
    ObjectMapper json = new ObjectMapper();
    Resolution resolution = new Resolution().table(table).field(field)
        .take(take.ours ? Resolution.TakeEnum.OURS : take.theirs ? Resolution.TakeEnum.THEIRS
            : take.base ? Resolution.TakeEnum.BASE : Resolution.TakeEnum.VALUE);
    if (key != null) {
      resolution.key(key.strip().startsWith("{") ? json.readTree(key) : json.readTree(quoteIfBare(key)));
    }
    if (take.value != null) {
      resolution.value(json.readTree(take.value));
    }
    ResolutionDto done = new MergesApi(client()).resolveConflicts(repository(), branchOrDefault(branch), resolution,
        null, null, Actors.user(env()), null, null, null, null, null);
    if (!out().printedAsJson(done)) {
      out().line("Resolved " + done.getResolved() + " conflict(s); " + done.getRemaining() + " remain"
          + (done.getRemaining() == 0 ? ": strata merge --continue concludes the merge" : ""));
    }
    return ExitCodes.OK;
  }

  /** A key given bare ({@code 42}, {@code abc}) as JSON: a number stays one, anything else is a string. */
  private static String quoteIfBare(String key) {
    return key.matches("-?\\d+(\\.\\d+)?") ? key : new ObjectMapper().valueToTree(key).toString();
  }
}
