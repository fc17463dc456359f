package io.strata.cli;

import io.strata.client.api.HistoryApi;
import io.strata.client.model.AppliedDto;
import io.strata.client.model.ApplyCommit;
import io.strata.client.model.BranchDto;
import io.strata.client.model.Reset;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code strata revert}, {@code cherry-pick} and {@code reset}: git's, on a branch of the server. */
final class HistoryCommands {
  private HistoryCommands() {}

  /** What revert and cherry-pick share: a commit applied to a branch, as a new commit or staged. */
  abstract static class Apply extends Verb {
    @Parameters(paramLabel = "<commit>", description = "The commit (an id, a tag, main~2, …)") String commit;

    @Option(names = {"-b", "--branch"}, paramLabel = "<branch>", description = "The branch (default: the default one)")
    String branch;

    @Option(names = {"-m", "--mainline"}, paramLabel = "<parent>",
        description = "For a merge commit: the parent (1 or 2) taken as its base")
    Integer mainline;

    @Option(names = {"-n", "--no-commit"}, description = "Stage the change instead of committing it") boolean noCommit;

    @Option(names = "--message", paramLabel = "<message>", description = "The new commit's message") String message;

    @Option(names = {"-s", "--strategy"}, paramLabel = "<strategy>", description = "three_way, ours, theirs or fail_on_conflict")
    ApplyCommit.StrategyEnum strategy;

    abstract AppliedDto apply(HistoryApi api, String on, ApplyCommit what) throws Exception;

    abstract String verb();

    @Override
    public Integer call() throws Exception {
      String on = branchOrDefault(branch);
      AppliedDto done = apply(new HistoryApi(client()), on, new ApplyCommit().commit(commit).mainline(mainline)
          .noCommit(noCommit ? true : null).message(message).strategy(strategy));
      if (!out().printedAsJson(done)) {
        if (done.getCommit() != null) {
          out().line("[" + on + " " + done.getCommit().getShortId() + "] "
              + done.getCommit().getMessage().lines().findFirst().orElse(""));
        } else {
          out().line(verb() + " " + commit + " on " + on + ": staged; strata commit concludes it");
        }
      }
      return ExitCodes.OK;
    }
  }

  @Command(name = "revert", description = "Undo a commit with a new commit on a branch")
  static final class Revert extends Apply {
    @Override
    AppliedDto apply(HistoryApi api, String on, ApplyCommit what) throws Exception {
      return api.revertCommit(repository(), on, what, null, null, Actors.user(env()), null, null, null, null, null);
    }

    @Override
    String verb() {
      return "Reverted";
    }
  }

  @Command(name = "cherry-pick", description = "Apply a commit's changes to a branch as a new commit")
  static final class CherryPick extends Apply {
    @Override
    AppliedDto apply(HistoryApi api, String on, ApplyCommit what) throws Exception {
      return api.cherryPickCommit(repository(), on, what, null, null, Actors.user(env()), null, null, null, null, null);
    }

    @Override
    String verb() {
      return "Picked";
    }
  }

  @Command(name = "reset", description = "Move a branch's head to another commit",
      customSynopsis = "strata reset (--hard | --soft) <commit> [-b <branch>] [--force]")
  static final class ResetBranch extends Verb {
    @Parameters(paramLabel = "<commit>", description = "Where the head goes (an id, a tag, main~1, …)") String to;

    @Option(names = {"-b", "--branch"}, paramLabel = "<branch>", description = "The branch (default: the default one)")
    String branch;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Mode mode;

    static final class Mode {
      @Option(names = "--hard", description = "The working state becomes that commit's; working changes are lost")
      boolean hard;

      @Option(names = "--soft", description = "The working state stays; the difference is staged") boolean soft;
    }

    @Option(names = "--force", description = "Reset a protected branch too, or one whose commits would then be reachable from no ref")
    boolean force;

    @Override
    public Integer call() throws Exception {
      String on = branchOrDefault(branch);
      BranchDto moved = new HistoryApi(client()).resetBranch(repository(), on, new Reset().to(to)
              .mode(mode.hard ? Reset.ModeEnum.HARD : Reset.ModeEnum.SOFT).force(force ? true : null), null, null,
          Actors.user(env()), null, null, null, null, null);
      if (!out().printedAsJson(moved)) {
        out().line("HEAD of " + on + " is now " + Ids.shortId(moved.getHead()));
      }
      return ExitCodes.OK;
    }
  }
}
