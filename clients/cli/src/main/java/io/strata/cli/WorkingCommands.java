package io.strata.cli;

import io.strata.client.api.BranchesApi;
import io.strata.client.model.StageResult;
import io.strata.client.model.TableSelection;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code strata stage|unstage|discard [<table>…]}: a branch's working changes, every table unless named. */
final class WorkingCommands {
  private WorkingCommands() {}

  abstract static class WorkingVerb extends Verb {
    @Parameters(arity = "0..*", paramLabel = "<table>", description = "The tables (default: every table)")
    List<String> tables;

    @Option(names = {"-b", "--branch"}, paramLabel = "<branch>", description = "The branch (default: the default one)")
    String branch;

    abstract StageResult apply(BranchesApi api, String repo, String on, TableSelection selection) throws Exception;

    abstract String done();

    @Override
    public Integer call() throws Exception {
      String on = branchOrDefault(branch);
      StageResult result = apply(new BranchesApi(client()), repository(), on,
          tables == null ? null : new TableSelection().tables(tables));
      if (!out().printedAsJson(result)) {
        out().line(done() + " " + result.getCount() + " row change(s) on " + on);
      }
      return ExitCodes.OK;
    }
  }

  @Command(name = "stage", description = "Stage a branch's working changes (what the next commit records)")
  static final class Stage extends WorkingVerb {
    @Override
    StageResult apply(BranchesApi api, String repo, String on, TableSelection s) throws Exception {
      return api.stageChanges(repo, on, null, null, Actors.user(env()), null, null, null, null, null, s);
    }

    @Override
    String done() {
      return "Staged";
    }
  }

  @Command(name = "unstage", description = "Unstage a branch's staged changes (they stay working changes)")
  static final class Unstage extends WorkingVerb {
    @Override
    StageResult apply(BranchesApi api, String repo, String on, TableSelection s) throws Exception {
      return api.unstageChanges(repo, on, null, null, Actors.user(env()), null, null, null, null, null, s);
    }

    @Override
    String done() {
      return "Unstaged";
    }
  }

  @Command(name = "discard", description = "Throw away a branch's working changes, staged or not")
  static final class Discard extends WorkingVerb {
    @Override
    StageResult apply(BranchesApi api, String repo, String on, TableSelection s) throws Exception {
      return api.discardChanges(repo, on, null, null, Actors.user(env()), null, null, null, null, null, s);
    }

    @Override
    String done() {
      return "Discarded";
    }
  }
}
