package io.strata.cli;

import io.strata.client.api.TokensApi;
import io.strata.client.model.CreateToken;
import io.strata.client.model.CreatedTokenDto;
import io.strata.client.model.PageDtoTokenDto;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code strata tokens}: API tokens (an admin's): list, create (the secret is shown once), revoke. */
@Command(name = "tokens", description = "List, create or revoke API tokens",
    subcommands = {TokensCommand.Create.class, TokensCommand.Revoke.class})
final class TokensCommand extends Verb {
  @Override
  public Integer call() throws Exception {
    PageDtoTokenDto page = new TokensApi(client()).listTokens(1000, 0, null);
    if (!out().printedAsJson(page)) {
      out().table(List.of("ID", "NAME", "ROLE", "REPOSITORIES", "EXPIRES", "REVOKED"), page.getItems().stream()
          .map(t -> List.of(t.getId(), t.getName(), String.valueOf(t.getRole()),
              t.getRepositories() == null ? "*" : String.join(",", t.getRepositories()),
              String.valueOf(t.getExpiresAt()), t.getRevokedAt() == null ? "" : t.getRevokedAt().toString())).toList());
    }
    return ExitCodes.OK;
  }

  @Command(name = "create", description = "Create a token; its secret is shown this once")
  static final class Create extends Verb {
    @Parameters(paramLabel = "<name>") String name;

    @Option(names = "--role", required = true, paramLabel = "<role>", description = "reader, writer or admin")
    CreateToken.RoleEnum role;

    @Option(names = "--repository", split = ",", paramLabel = "<name>", description = "Only these repositories")
    List<String> repositories;

    @Option(names = "--expires-at", paramLabel = "<time>", description = "When it stops working (2027-01-01T00:00:00Z)")
    String expiresAt;

    @Override
    public Integer call() throws Exception {
      CreatedTokenDto t = new TokensApi(client()).createToken(new CreateToken().name(name).role(role)
          .repositories(repositories).expiresAt(expiresAt), null);
      if (!out().printedAsJson(t)) {
        out().line("Created token " + t.getName() + " (" + t.getId() + ", " + t.getRole() + "). Its secret, shown once:");
        out().line(t.getToken());
      }
      return ExitCodes.OK;
    }
  }

  @Command(name = "revoke", description = "Revoke a token: it stops working at once")
  static final class Revoke extends Verb {
    @Parameters(paramLabel = "<id>") String id;

    @Override
    public Integer call() throws Exception {
      new TokensApi(client()).revokeToken(id, null);
      if (!out().printedAsJson(Map.of("revoked", id))) {
        out().line("Revoked token " + id);
      }
      return ExitCodes.OK;
    }
  }
}
