package io.strata.cli;

import io.strata.client.api.BranchesApi;
import io.strata.client.model.BranchStatus;
import io.strata.client.model.ChangeCounts;
import io.strata.client.model.TableStatus;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code strata status}: a branch's working changes per table, staged and not, as git status says them. */
@Command(name = "status", description = "Show a branch's working changes, staged and not, per table")
final class StatusCommand extends Verb {
  @Option(names = {"-b", "--branch"}, paramLabel = "<branch>", description = "The branch (default: the default one)")
  String branch;

  @Override
  public Integer call() throws Exception {
    String on = branchOrDefault(branch);
    BranchStatus status = new BranchesApi(client()).getBranchStatus(repository(), on, null);
    if (out().printedAsJson(status)) {
      return ExitCodes.OK;
    }
    out().line("On branch " + status.getBranch() + " at " + Ids.shortId(status.getHead()));
    if (Boolean.TRUE.equals(status.getMergeInProgress())) {
      out().line(out().red("A merge is in progress: resolve its conflicts, then strata commit (or abort it)."));
    }
    boolean staged = false;
    boolean unstaged = false;
    for (TableStatus t : status.getTables()) {
      staged |= any(t.getStaged());
      unstaged |= any(t.getUnstaged());
    }
    if (staged) {
      out().line("Changes to be committed:");
      status.getTables().stream().filter(t -> any(t.getStaged()))
          .forEach(t -> out().line(out().green("        " + t.getTable() + "  " + counts(t.getStaged()))));
    }
    if (unstaged) {
      out().line("Changes not staged for commit:");
      status.getTables().stream().filter(t -> any(t.getUnstaged()))
          .forEach(t -> out().line(out().red("        " + t.getTable() + "  " + counts(t.getUnstaged()))));
    }
    status.getTables().stream().filter(t -> Boolean.TRUE.equals(t.getSchemaChanged()))
        .forEach(t -> out().line("Schema changed: " + t.getTable()));
    if (Boolean.TRUE.equals(status.getClean())) {
      out().line("nothing to commit, working state clean");
    }
    return ExitCodes.OK;
  }

  private static boolean any(ChangeCounts c) {
    return c != null && (nz(c.getInserted()) + nz(c.getUpdated()) + nz(c.getDeleted())) > 0;
  }

  private static String counts(ChangeCounts c) {
    return "+" + nz(c.getInserted()) + " ~" + nz(c.getUpdated()) + " -" + nz(c.getDeleted());
  }

  private static long nz(Long v) {
    return v == null ? 0 : v;
  }
}
