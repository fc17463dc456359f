package io.strata.server.application;

import io.smallrye.mutiny.Uni;
import io.strata.events.StorageAdded;
import io.strata.server.domain.Commands;
import io.strata.server.domain.TableCommand;
import io.strata.server.domain.Names;
import io.strata.server.runtime.DeltaStores;
import io.strata.server.runtime.StoragePools;
import io.strata.server.auth.Permission;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

/** Registering and removing storage connections. */
@ApplicationScoped
public class StorageCommands {
  private final CommandProcessor processor;
  private final StoragePools pools;
  private final DeltaStores deltas;

  @Inject
  public StorageCommands(CommandProcessor processor, StoragePools pools, DeltaStores deltas) {
    this.processor = processor;
    this.pools = pools;
    this.deltas = deltas;
  }

  /**
   * Registers {@code storage} after checking that it can be used: a PostgreSQL storage accepts a connection with its
   * credentials, a Delta storage's directory or bucket answers.
   */
  @Permits(Permission.REPOSITORY_ADMIN)
  public Uni<CommandResponse> add(String repository, StorageAdded storage, CommandContext ctx, Answer answer) {
    return (storage.holdsDeltaTables() ? deltas.verify(storage) : pools.verify(storage))
        .chain(() -> processor.execute(Names.existingRepository(repository), new TableCommand.AddStorage(storage), ctx,
            answer));
  }

  @Permits(Permission.REPOSITORY_ADMIN)
  public Uni<CommandResponse> remove(String repository, String name, CommandContext ctx, Answer answer) {
    return processor.execute(Names.existingRepository(repository), new TableCommand.RemoveStorage(name), ctx, answer)
        .invoke(() -> {
          pools.evict(repository, name);
          deltas.evict(repository, name);
        });
  }
}
