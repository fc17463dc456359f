package io.strata.cli;

import io.strata.client.api.RepositoriesApi;
import io.strata.client.model.CreateRepository;
import io.strata.client.model.PageDtoRepositoryDto;
import io.strata.client.model.RepositoryDto;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code strata repo}: list, create, show and delete repositories. */
@Command(name = "repo", description = "List, create, show or delete repositories (no subcommand: list)",
    subcommands = {RepoCommand.Create.class, RepoCommand.Show.class, RepoCommand.Delete.class})
final class RepoCommand extends Verb {
  @Option(names = {"-n", "--limit"}, defaultValue = "100", description = "At most this many (default ${DEFAULT-VALUE})")
  int limit;

  @Override
  public Integer call() throws Exception {
    PageDtoRepositoryDto page = new RepositoriesApi(client()).listRepositories(limit, 0, null);
    if (!out().printedAsJson(page)) {
      out().table(List.of("NAME", "DEFAULT BRANCH", "HEAD", "DESCRIPTION"), page.getItems().stream()
          .map(r -> List.of(r.getName(), r.getDefaultBranch(), Ids.shortId(r.getHead()),
              r.getDescription() == null ? "" : r.getDescription())).toList());
    }
    return ExitCodes.OK;
  }

  @Command(name = "create", description = "Create a repository")
  static final class Create extends Verb {
    @Parameters(paramLabel = "<name>", description = "Its name") String name;

    @Option(names = "--description", description = "What it holds") String description;

    @Option(names = "--default-branch", paramLabel = "<branch>", description = "Its default branch (main)")
    String defaultBranch;

    @Override
    public Integer call() throws Exception {
      RepositoryDto created = new RepositoriesApi(client()).createRepository(new CreateRepository().name(name)
          .description(description).defaultBranch(defaultBranch), null, null, Actors.user(env()), null, null, null,
          null, null);
      if (!out().printedAsJson(created)) {
        out().line("Created repository " + created.getName() + " (default branch " + created.getDefaultBranch() + ")");
      }
      return ExitCodes.OK;
    }
  }

  @Command(name = "show", description = "Show a repository")
  static final class Show extends Verb {
    @Parameters(paramLabel = "<name>", arity = "0..1", description = "Its name (default: --repo)") String name;

    @Override
    public Integer call() throws Exception {
      RepositoryDto r = new RepositoriesApi(client()).getRepository(name == null ? repository() : name, null);
      if (!out().printedAsJson(r)) {
        out().line(out().bold("repository " + r.getName()));
        out().line("default branch: " + r.getDefaultBranch());
        out().line("head:           " + (r.getHead() == null ? "(no commit)" : r.getHead()));
        out().line("created:        " + r.getCreatedAt());
        if (r.getDescription() != null) {
          out().line("description:    " + r.getDescription());
        }
      }
      return ExitCodes.OK;
    }
  }

  @Command(name = "delete", description = "Delete a repository (its tables stay; --force even with branches)")
  static final class Delete extends Verb {
    @Parameters(paramLabel = "<name>") String name;

    @Option(names = {"-f", "--force"}, description = "Delete it although it has branches or tags") boolean force;

    @Override
    public Integer call() throws Exception {
      new RepositoriesApi(client()).deleteRepository(name, force, null, null, Actors.user(env()), null, null, null,
          null, null);
      if (!out().printedAsJson(java.util.Map.of("deleted", name))) {
        out().line("Deleted repository " + name);
      }
      return ExitCodes.OK;
    }
  }
}
