package io.strata.server.application;

import io.smallrye.mutiny.Uni;
import io.strata.events.Author;
import io.strata.projections.tables.TableQueries;
import io.strata.server.domain.Commands;
import io.strata.server.domain.Names;
import io.strata.server.runtime.QueryRoleGrants;
import io.strata.server.runtime.StoragePools;
import io.strata.server.auth.Permission;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

/** Creating and deleting repositories; a deleted repository's objects beside the tables go with it. */
@ApplicationScoped
public class RepositoryCommands {
  private final CommandProcessor processor;
  private final TableQueries tableQueries;
  private final TableCommands tableCommands;
  private final StoragePools pools;
  private final QueryRoleGrants queryRoleGrants;

  @Inject
  public RepositoryCommands(CommandProcessor processor, TableQueries tableQueries, TableCommands tableCommands,
      StoragePools pools, QueryRoleGrants queryRoleGrants) {
    this.processor = processor;
    this.tableQueries = tableQueries;
    this.tableCommands = tableCommands;
    this.pools = pools;
    this.queryRoleGrants = queryRoleGrants;
  }

  @Permits(Permission.SERVER_ADMIN)
  public Uni<CommandResponse> createRepository(
      String name, String description, String defaultBranch, Author author, CommandContext ctx, Answer answer) {
    Names.repository(name);
    Names.text("description", description, 4096, false);
    String branch = defaultBranch == null ? "main" : Names.branch(defaultBranch);
    return processor.execute(name, new Commands.CreateRepository(name, description, branch, author), ctx, answer);
  }

  @Permits(Permission.REPOSITORY_ADMIN)
  public Uni<CommandResponse> deleteRepository(String repository, boolean force, CommandContext ctx, Answer answer) {
    // the tables stay where they are; Strata's objects beside them go with the repository
    return tableQueries.tables(Names.existingRepository(repository))
        .chain(tracked -> processor.execute(repository, new Commands.DeleteRepository(force), ctx, answer)
            .call(response -> response.replayed() ? Uni.createFrom().voidItem()
                : tableCommands.removeObjects(repository, tracked).onFailure().recoverWithNull()
                    .chain(() -> tableCommands.removeQueryRole(repository, tracked).onFailure().recoverWithNull())))
        .invoke(() -> {
          pools.evictRepository(repository);
          queryRoleGrants.forget(repository);
        });
  }
}
