package io.strata.cli;

import io.strata.client.api.HistoryApi;
import io.strata.client.model.ApplyStash;
import io.strata.client.model.Stash;
import io.strata.client.model.StashAppliedDto;
import io.strata.client.model.StashDto;
import io.strata.client.model.StashListDto;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code strata stash} as git's: no subcommand pushes the branch's working changes aside; {@code list}, {@code pop},
 * {@code apply} and {@code drop} take a stash by its index (0, the newest, by default).
 */
@Command(name = "stash", description = "Put a branch's working changes aside, and bring them back",
    subcommands = {StashCommand.ListStashes.class, StashCommand.Pop.class, StashCommand.Apply.class,
        StashCommand.Drop.class})
final class StashCommand extends Verb {
  @Option(names = {"-b", "--branch"}, paramLabel = "<branch>", description = "The branch (default: the default one)")
  String branch;

  @Option(names = {"-m", "--message"}, paramLabel = "<message>") String message;

  @Parameters(arity = "0..*", paramLabel = "<table>", description = "Only these tables' changes") List<String> tables;

  @Override
  public Integer call() throws Exception {
    String on = branchOrDefault(branch);
    StashDto stash = new HistoryApi(client()).createStash(repository(), on, new Stash().message(message).tables(tables),
        null, null, Actors.user(env()), null, null, null, null, null);
    if (!out().printedAsJson(stash)) {
      out().line("Saved working changes of " + on + " as stash@{" + stash.getIndex() + "}: " + stash.getMessage());
    }
    return ExitCodes.OK;
  }

  /** A stash of a branch, by index. */
  abstract static class OneStash extends Verb {
    @Parameters(arity = "0..1", paramLabel = "<n>", defaultValue = "0", description = "The stash's index (default 0, the newest)")
    String n;

    @Option(names = {"-b", "--branch"}, paramLabel = "<branch>", description = "The branch (default: the default one)")
    String branch;

    @Option(names = {"-s", "--strategy"}, paramLabel = "<strategy>", description = "For pop and apply: three_way, ours or theirs")
    ApplyStash.StrategyEnum strategy;

    void printApplied(String what, StashAppliedDto done) {
      if (!out().printedAsJson(done)) {
        out().line(what + " stash@{" + n + "}: " + done.getTables().size() + " table(s) of working changes back");
      }
    }
  }

  @Command(name = "list", description = "List a branch's stashes, newest first")
  static final class ListStashes extends Verb {
    @Option(names = {"-b", "--branch"}, paramLabel = "<branch>", description = "The branch (default: the default one)")
    String branch;

    @Override
    public Integer call() throws Exception {
      StashListDto list = new HistoryApi(client()).listStashes(repository(), branchOrDefault(branch), null);
      if (!out().printedAsJson(list)) {
        list.getItems().forEach(s -> out().line("stash@{" + s.getIndex() + "}: on " + s.getBranch() + " at "
            + Ids.shortId(s.getHead()) + ": " + s.getMessage()));
      }
      return ExitCodes.OK;
    }
  }

  @Command(name = "pop", description = "Bring a stash's changes back and drop it")
  static final class Pop extends OneStash {
    @Override
    public Integer call() throws Exception {
      printApplied("Popped", new HistoryApi(client()).popStash(repository(), branchOrDefault(branch), n,
          new ApplyStash().strategy(strategy), null, null, Actors.user(env()), null, null, null, null, null));
      return ExitCodes.OK;
    }
  }

  @Command(name = "apply", description = "Bring a stash's changes back and keep it")
  static final class Apply extends OneStash {
    @Override
    public Integer call() throws Exception {
      printApplied("Applied", new HistoryApi(client()).applyStash(repository(), branchOrDefault(branch), n,
          new ApplyStash().strategy(strategy), null, null, Actors.user(env()), null, null, null, null, null));
      return ExitCodes.OK;
    }
  }

  @Command(name = "drop", description = "Throw a stash away")
  static final class Drop extends OneStash {
    @Override
    public Integer call() throws Exception {
      new HistoryApi(client()).dropStash(repository(), branchOrDefault(branch), n, null, null, Actors.user(env()), null,
          null, null, null, null);
      if (!out().printedAsJson(Map.of("dropped", n))) {
        out().line("Dropped stash@{" + n + "}");
      }
      return ExitCodes.OK;
    }
  }
}
