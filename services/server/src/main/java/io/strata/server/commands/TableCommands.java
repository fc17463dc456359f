package io.strata.server.commands;

import io.smallrye.mutiny.Uni;
import io.strata.events.Author;
import io.strata.events.CommitCreated;
import io.strata.events.StorageAdded;
import io.strata.events.TableTracked;
import io.strata.projections.postgres.Sql;
import io.strata.projections.postgres.TableCatalog;
import io.strata.projections.storage.StorageQueries;
import io.strata.server.api.Dtos.TableDto;
import io.strata.server.domain.Commands;
import io.strata.server.domain.ErrorCode;
import io.strata.server.domain.Names;
import io.strata.server.domain.StrataException;
import io.strata.server.domain.Storages;
import io.strata.server.runtime.StoragePools;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Tracking and untracking tables: read the table's catalog and measure its rows in its storage, then
 * record {@code TableTracked} and a commit on the default branch.
 */
@ApplicationScoped
public class TableCommands {
  private static final Pattern LOCATION = Pattern.compile(
      "postgresql://([a-z][a-z0-9_-]{0,62})/(?:([A-Za-z_][A-Za-z0-9_$]{0,62})\\.)?([A-Za-z_][A-Za-z0-9_$]{0,62})");
  private static final Pattern TABLE_NAME = Pattern.compile("[a-z_][a-z0-9_]{0,62}");

  private final CommandProcessor processor;
  private final StoragePools pools;
  private final StorageQueries storages;

  @Inject
  public TableCommands(CommandProcessor processor, StoragePools pools, StorageQueries storages) {
    this.processor = processor;
    this.pools = pools;
    this.storages = storages;
  }

  /** Where a table lives: {@code postgresql://<storage>/<schema>.<table>} (schema defaults to public). */
  public record Location(String storage, String schema, String table) {}

  public static Location parseLocation(String location) {
    Matcher m = location == null ? null : LOCATION.matcher(location);
    if (m == null || !m.matches()) {
      throw StrataException.invalid("location",
          "must be postgresql://<storage>/<schema>.<table> with plain identifiers");
    }
    return new Location(m.group(1), m.group(2) == null ? "public" : m.group(2), m.group(3));
  }

  public Uni<CommandResponse> track(String repository, String name, String location, List<String> primaryKey,
      Author author, CommandContext ctx) {
    if (name == null || !TABLE_NAME.matcher(name).matches()) {
      throw StrataException.invalid("name", "table names are 1-63 characters of a-z 0-9 _, not starting with a digit");
    }
    Location where = parseLocation(location);
    if (primaryKey != null && primaryKey.stream().anyMatch(c -> !Sql.isIdentifier(c))) {
      throw StrataException.invalid("primary_key", "must list column names");
    }
    return storage(repository, where.storage())
        .chain(storage -> pools.pool(repository, storage))
        .chain(pool -> TableCatalog.inspect(pool, where.schema(), where.table(), primaryKey)
            .chain(shape -> TableCatalog.measured(pool, where.schema(), where.table())
                .map(m -> new TableTracked(name, where.storage(), where.schema(), where.table(), shape.primaryKey(),
                    shape.columns(), m.rowCount(), m.contentHash()))))
        .onFailure(TableCatalog.Untrackable.class).transform(e -> ((TableCatalog.Untrackable) e).missing()
            ? new StrataException(ErrorCode.TableNotFound, e.getMessage(), Map.of("location", location))
            : new StrataException(ErrorCode.ValidationError, e.getMessage(), Map.of("location", location)))
        .chain(tracked -> processor.execute(repository, new Commands.TrackTable(tracked, author), ctx,
            (events, position, after, time) -> new io.strata.server.commands.Answer.Reply(201,
                TableDto.of(tracked, time, ((CommitCreated) events.get(1)).id(), position))));
  }

  public Uni<CommandResponse> untrack(String repository, String name, Author author, CommandContext ctx) {
    return processor.execute(repository, new Commands.UntrackTable(name, author), ctx,
        (events, position, after, time) -> new io.strata.server.commands.Answer.Reply(204, null));
  }

  /** The registered storage ({@code null} for {@code local}), or 404. */
  private Uni<StorageAdded> storage(String repository, String name) {
    if (Storages.LOCAL.equals(name)) {
      return Uni.createFrom().nullItem();
    }
    return storages.storage(repository, name).map(s -> s
        .map(r -> new StorageAdded(r.name(), r.type(), r.host(), r.port(), r.database(), r.username(),
            r.passwordEnv(), r.passwordFile()))
        .orElseThrow(() -> Storages.notFound(name)));
  }

}
