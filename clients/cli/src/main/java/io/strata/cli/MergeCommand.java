package io.strata.cli;

import io.strata.client.api.MergesApi;
import io.strata.client.model.CommitDto;
import io.strata.client.model.ConflictDetail;
import io.strata.client.model.ContinueMerge;
import io.strata.client.model.Merge;
import io.strata.client.model.MergeDto;
import io.strata.client.model.MergeStateDto;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code strata merge <source>} into a branch (default: the default one), as git's: a fast-forward when it can,
 * else three-way by row and field; conflicts stop it (exit 1) and are listed, to be resolved
 * ({@code strata resolve}) and concluded ({@code --continue}) or abandoned ({@code --abort}).
 */
@Command(name = "merge", description = "Merge a ref into a branch (three-way, by row and field)",
    customSynopsis = {"strata merge <source> [-b <branch>] [-s <strategy>] [--ff-only | --no-ff] [--no-commit]"
        + " [--dry-run] [-m <message>]", "strata merge (--continue [-m <message>] | --abort | --conflicts) [-b <branch>]"})
final class MergeCommand extends Verb {
  @Parameters(arity = "0..1", paramLabel = "<source>", description = "The branch, tag or commit to merge") String source;

  @Option(names = {"-b", "--branch"}, paramLabel = "<branch>", description = "The branch merged into (default: the default one)")
  String branch;

  @Option(names = {"-s", "--strategy"}, paramLabel = "<strategy>",
      description = "three_way (default: conflicts stop the merge), ours, theirs (a conflict takes that side) or"
          + " fail_on_conflict (refused whole)")
  Merge.StrategyEnum strategy;

  @Option(names = "--ff-only", description = "Only a fast-forward; refused otherwise") boolean ffOnly;

  @Option(names = "--no-ff", description = "A merge commit even when a fast-forward would do") boolean noFf;

  @Option(names = "--no-commit", description = "Stage the merged rows; the next commit concludes the merge") boolean noCommit;

  @Option(names = "--dry-run", description = "Say what the merge would do, change nothing") boolean dryRun;

  @Option(names = {"-m", "--message"}, paramLabel = "<message>") String message;

  @ArgGroup(exclusive = true)
  Ongoing ongoing;

  static final class Ongoing {
    @Option(names = "--continue", description = "Conclude a merge whose conflicts are resolved") boolean resume;

    @Option(names = "--abort", description = "Abandon the merge in progress: the branch is as before it") boolean abort;

    @Option(names = "--conflicts", description = "List the merge in progress's conflicts") boolean conflicts;
  }

  @Override
  public Integer call() throws Exception {
    String into = branchOrDefault(branch);
    MergesApi merges = new MergesApi(client());
    String user = Actors.user(env());
    if (ongoing != null && ongoing.abort) {
      merges.abortMerge(repository(), into, null, null, user, null, null, null, null, null);
      if (!out().printedAsJson(Map.of("aborted", into))) {
        out().line("Aborted the merge into " + into);
      }
      return ExitCodes.OK;
    }
    if (ongoing != null && ongoing.resume) {
      CommitDto commit = merges.continueMerge(repository(), into, null, null, user, null, null, null, null, null,
          new ContinueMerge().message(message));
      if (!out().printedAsJson(commit)) {
        out().line("[" + into + " " + commit.getShortId() + "] " + commit.getMessage().lines().findFirst().orElse(""));
      }
      return ExitCodes.OK;
    }
    if (ongoing != null && ongoing.conflicts) {
      MergeStateDto state = merges.getMerge(repository(), into, 100, 0, null);
      if (!out().printedAsJson(state)) {
        if (!Boolean.TRUE.equals(state.getMergeInProgress())) {
          out().line("No merge in progress on " + into);
        } else {
          out().line("Merging " + state.getSource() + " into " + into + ": " + state.getTotal() + " conflict(s)");
          printConflicts(state.getItems());
        }
      }
      return ExitCodes.OK;
    }
    if (source == null) {
      throw new Failures.Refused(ExitCodes.USAGE, "merge what? give the source ref (or --continue, --abort)");
    }
    Merge merge = new Merge().source(source).strategy(strategy).message(message)
        .fastForward(ffOnly ? Merge.FastForwardEnum.ONLY : noFf ? Merge.FastForwardEnum.NEVER : null)
        .noCommit(noCommit ? true : null).dryRun(dryRun ? true : null);
    MergeDto result;
    try {
      result = Progress.whileWaiting(spec.commandLine().getErr(), "merging " + source + " into " + into,
          () -> merges.mergeBranch(repository(), into, merge, null, null, user, null, null, null, null, null));
    } catch (io.strata.client.ApiException e) {
      if (e.getCode() == 409 && e.getResponseBody() != null && e.getResponseBody().contains("\"MergeConflict\"")) {
        if (!out().json()) {
          out().line("CONFLICT: " + Failures.describe(e.getCode(), e.getResponseBody()));
          out().line("Resolve them (strata resolve), then strata merge --continue; or strata merge --abort.");
        } else {
          out().line(e.getResponseBody().strip());
        }
        return ExitCodes.CONFLICT;
      }
      throw e;
    }
    if (out().printedAsJson(result)) {
      return ExitCodes.OK;
    }
    if (Boolean.TRUE.equals(result.getUpToDate())) {
      out().line("Already up to date.");
    } else if (Boolean.TRUE.equals(result.getDryRun())) {
      out().line("Dry run: merging " + source + " into " + into + " would " + (Boolean.TRUE.equals(result.getFastForward())
          ? "fast-forward" : "change " + counts(result)) + ", with " + result.getConflicts() + " conflict(s)");
      printConflicts(result.getConflictDetails());
    } else if (Boolean.TRUE.equals(result.getFastForward())) {
      out().line("Fast-forward: " + into + " -> " + Ids.shortId(result.getCommit()));
    } else if (Boolean.TRUE.equals(result.getMergeInProgress())) {
      out().line("Merged " + source + " into " + into + " without committing (" + counts(result)
          + "): strata commit concludes it");
    } else {
      out().line("Merged " + source + " into " + into + " (commit " + Ids.shortId(result.getCommit()) + "): "
          + counts(result));
    }
    return ExitCodes.OK;
  }

  private static String counts(MergeDto m) {
    return m.getStats() == null ? "no rows" : "+" + m.getStats().getInserted() + " ~" + m.getStats().getUpdated()
        + " -" + m.getStats().getDeleted() + " rows in " + m.getStats().getTables() + " table(s)";
  }

  private void printConflicts(List<ConflictDetail> conflicts) {
    if (conflicts == null) {
      return;
    }
    for (ConflictDetail c : conflicts) {
      out().line("  " + out().red(c.getTable() + " " + c.getKey()) + " " + c.getType()
          + (c.getConstraint() == null ? "" : " " + c.getConstraint()));
      if (c.getFields() != null) {
        c.getFields().forEach(f -> out().line("    " + f.getName() + ": base " + f.getBase() + ", ours "
            + f.getOurs() + ", theirs " + f.getTheirs()));
      }
    }
  }
}
