package io.strata.cli;

import io.strata.client.api.HistoryApi;
import io.strata.client.model.Rebase;
import io.strata.client.model.Rebased;
import java.util.Map;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code strata rebase <onto>} as git's: replays a branch's own commits on another ref; a conflict stops it (exit 1). */
@Command(name = "rebase", description = "Replay a branch's own commits onto another ref",
    customSynopsis = {"strata rebase <onto> [-b <branch>]", "strata rebase (--continue | --skip | --abort) [-b <branch>]"})
final class RebaseCommand extends Verb {
  @Parameters(arity = "0..1", paramLabel = "<onto>", description = "The ref the commits go onto") String onto;

  @Option(names = {"-b", "--branch"}, paramLabel = "<branch>", description = "The branch rebased (default: the default one)")
  String branch;

  @ArgGroup(exclusive = true)
  Ongoing ongoing;

  static final class Ongoing {
    @Option(names = "--continue", description = "Go on once the stopped step's conflicts are resolved") boolean resume;

    @Option(names = "--skip", description = "Leave out the stopped step's commit and go on") boolean skip;

    @Option(names = "--abort", description = "Put the branch back as it was before the rebase") boolean abort;
  }

  @Override
  public Integer call() throws Exception {
    String on = branchOrDefault(branch);
    HistoryApi api = new HistoryApi(client());
    String user = Actors.user(env());
    if (ongoing != null && ongoing.abort) {
      api.abortRebase(repository(), on, null, null, user, null, null, null, null, null);
      if (!out().printedAsJson(Map.of("aborted", on))) {
        out().line("Aborted the rebase of " + on);
      }
      return ExitCodes.OK;
    }
    Rebased done;
    if (ongoing != null) {
      done = ongoing.resume ? api.continueRebase(repository(), on, null, null, user, null, null, null, null, null)
          : api.skipRebaseStep(repository(), on, null, null, user, null, null, null, null, null);
    } else if (onto == null) {
      throw new Failures.Refused(ExitCodes.USAGE, "rebase onto what? give the ref (or --continue, --skip, --abort)");
    } else {
      done = api.rebaseBranch(repository(), on, new Rebase().onto(onto), null, null, user, null, null, null, null, null);
    }
    if (!out().printedAsJson(done)) {
      out().line(Boolean.TRUE.equals(done.getRebaseInProgress())
          ? "Stopped on a conflict: resolve it (strata resolve), then strata rebase --continue (or --skip, --abort)"
          : "Rebased " + on + " onto " + done.getOnto() + ": " + done.getReplayed() + " commit(s) replayed, head "
              + Ids.shortId(done.getHead()));
    }
    return Boolean.TRUE.equals(done.getRebaseInProgress()) ? ExitCodes.CONFLICT : ExitCodes.OK;
  }
}
