package io.strata.server.application;

import io.smallrye.mutiny.Uni;
import io.strata.events.StorageAdded;
import io.strata.server.domain.Commands;
import io.strata.server.domain.TableCommand;
import io.strata.server.domain.Names;
import io.strata.server.runtime.StoragePools;
import io.strata.server.auth.Permission;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

/** Registering and removing storage connections. */
@ApplicationScoped
public class StorageCommands {
  private final CommandProcessor processor;
  private final StoragePools pools;

  @Inject
  public StorageCommands(CommandProcessor processor, StoragePools pools) {
    this.processor = processor;
    this.pools = pools;
  }

  /** Registers {@code storage} after checking that it accepts a connection with its credentials. */
  @Permits(Permission.REPOSITORY_ADMIN)
  public Uni<CommandResponse> add(String repository, StorageAdded storage, CommandContext ctx, Answer answer) {
    return pools.verify(storage)
        .chain(() -> processor.execute(Names.existingRepository(repository), new TableCommand.AddStorage(storage.name(),
            storage.type(), storage.host(), storage.port(), storage.database(), storage.username(), storage.passwordEnv(),
            storage.passwordFile()), ctx, answer));
  }

  @Permits(Permission.REPOSITORY_ADMIN)
  public Uni<CommandResponse> remove(String repository, String name, CommandContext ctx, Answer answer) {
    return processor.execute(Names.existingRepository(repository), new TableCommand.RemoveStorage(name), ctx, answer)
        .invoke(() -> pools.evict(repository, name));
  }
}
