package io.strata.cli;

import io.strata.client.api.CommitsApi;
import io.strata.client.model.CommitDto;
import io.strata.client.model.CreateCommit;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code strata commit -m}: records a branch's staged changes (with {@code -a}, every working change). */
@Command(name = "commit", description = "Record a branch's staged changes as a commit")
final class CommitCommand extends Verb {
  @Option(names = {"-m", "--message"}, required = true, paramLabel = "<message>", description = "What it changes")
  String message;

  @Option(names = {"-b", "--branch"}, paramLabel = "<branch>", description = "The branch (default: the default one)")
  String branch;

  @Option(names = {"-a", "--all"}, description = "Commit every working change, staged or not") boolean all;

  @Option(names = "--allow-empty", description = "Commit even when nothing changed") boolean allowEmpty;

  @Option(names = "--table", paramLabel = "<table>", description = "Commit only these tables' changes")
  List<String> tables;

  @Option(names = "--expected-head", paramLabel = "<commit>",
      description = "Refuse (exit 1) unless the branch's head is still this commit")
  String expectedHead;

  @Override
  public Integer call() throws Exception {
    String on = branchOrDefault(branch);
    CommitDto commit = Progress.whileWaiting(spec.commandLine().getErr(), "committing", () -> new CommitsApi(client())
        .createCommit(repository(), on, new CreateCommit().message(message).all(all ? true : null)
            .allowEmpty(allowEmpty ? true : null).tables(tables).expectedHead(expectedHead),
        null, null, Actors.user(env()), null, null, null, null, null));
    if (!out().printedAsJson(commit)) {
      out().line("[" + on + " " + commit.getShortId() + "] " + message.lines().findFirst().orElse(""));
    }
    return ExitCodes.OK;
  }
}
