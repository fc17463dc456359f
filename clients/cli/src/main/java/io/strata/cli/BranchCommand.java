package io.strata.cli;

import io.strata.client.api.BranchesApi;
import io.strata.client.model.BranchDto;
import io.strata.client.model.CreateBranch;
import io.strata.client.model.PageDtoBranchDto;
import io.strata.client.model.PatchBranch;
import java.util.List;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code strata branch} as git's: no argument lists the branches, a name creates one (from the default branch's head
 * or the ref given), {@code -d} deletes a merged branch and {@code -D} any; {@code --protect} and
 * {@code --unprotect} (not git's: a server-side setting) say whether it refuses deletion and forced resets.
 */
@Command(name = "branch", description = "List, create, delete or protect branches",
    customSynopsis = {"strata branch [-r <repository>] [--output text|json]",
        "strata branch <name> [<start>]", "strata branch (-d | -D) <name>", "strata branch (--protect | --unprotect) <name>"})
final class BranchCommand extends Verb {
  @Parameters(index = "0", arity = "0..1", paramLabel = "<name>", description = "The branch to create") String name;

  @Parameters(index = "1", arity = "0..1", paramLabel = "<start>",
      description = "Where it starts: a branch, tag, commit id or ref like main~3 (default: the default branch)")
  String start;

  @ArgGroup(exclusive = true)
  Deletion deletion;

  static final class Deletion {
    @Option(names = "-d", paramLabel = "<name>", description = "Delete a branch whose commits are merged") String merged;

    @Option(names = "-D", paramLabel = "<name>", description = "Delete a branch whatever it holds") String any;

    @Option(names = "--protect", paramLabel = "<name>",
        description = "Protect a branch: it cannot be deleted, and a reset of it needs --force")
    String protect;

    @Option(names = "--unprotect", paramLabel = "<name>", description = "Lift a branch's protection") String unprotect;
  }

  @Override
  public Integer call() throws Exception {
    BranchesApi branches = new BranchesApi(client());
    if (deletion != null && (deletion.protect != null || deletion.unprotect != null)) {
      boolean protect = deletion.protect != null;
      String branch = protect ? deletion.protect : deletion.unprotect;
      BranchDto changed = branches.updateBranch(repository(), branch, new PatchBranch()._protected(protect), null,
          null, Actors.user(env()), null, null, null, null, null);
      if (!out().printedAsJson(changed)) {
        out().line((protect ? "Protected" : "Unprotected") + " branch " + changed.getName());
      }
      return ExitCodes.OK;
    }
    if (deletion != null) {
      String doomed = deletion.merged != null ? deletion.merged : deletion.any;
      branches.deleteBranch(repository(), doomed, deletion.any != null, null, null, Actors.user(env()), null, null,
          null, null, null);
      if (!out().printedAsJson(java.util.Map.of("deleted", doomed))) {
        out().line("Deleted branch " + doomed);
      }
      return ExitCodes.OK;
    }
    if (name != null) {
      BranchDto created = branches.createBranch(repository(), new CreateBranch().name(name).from(start), null, null,
          Actors.user(env()), null, null, null, null, null);
      if (!out().printedAsJson(created)) {
        out().line("Created branch " + created.getName() + " at " + Ids.shortId(created.getHead()));
      }
      return ExitCodes.OK;
    }
    PageDtoBranchDto page = branches.listBranches(repository(), 1000, 0, null);
    if (!out().printedAsJson(page)) {
      out().table(List.of("", "BRANCH", "HEAD", "UPDATED"), page.getItems().stream()
          .map(b -> List.of(Boolean.TRUE.equals(b.getIsDefault()) ? "*" : "", b.getName(), Ids.shortId(b.getHead()),
              String.valueOf(b.getUpdatedAt() == null ? b.getCreatedAt() : b.getUpdatedAt()))).toList());
    }
    return ExitCodes.OK;
  }
}
