package io.strata.projections.storage;

import io.smallrye.mutiny.Uni;
import io.strata.events.RepositoryDeleted;
import io.strata.events.StorageAdded;
import io.strata.events.StorageRemoved;
import io.strata.events.StrataEvent;
import io.strata.projections.log.StoredEvent;
import io.strata.projections.runtime.Projector;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import java.time.ZoneOffset;
import java.util.List;

/** Storage connections of each repository. */
public final class StoragesProjector implements Projector {
  static final String INSERT =
      "insert into strata_meta.storages (repository, name, type, host, port, database, username, password_env,"
          + " password_file, created_at, delta) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::text::jsonb)";
  static final String DELETE = "delete from strata_meta.storages where repository = $1 and name = $2";
  static final String DELETE_ALL = "delete from strata_meta.storages where repository = $1";

  @Override
  public String name() {
    return "storages";
  }

  @Override
  public List<String> tables() {
    return List.of("strata_meta.storages");
  }

  @Override
  public Uni<Void> apply(SqlConnection tx, StoredEvent stored, StrataEvent event) {
    String repo = stored.repository();
    if (event instanceof StorageAdded e) {
      return tx.preparedQuery(INSERT)
          .execute(Tuple.from(new Object[] {repo, e.name(), e.type(), e.host(), e.port(), e.database(), e.username(),
              e.passwordEnv(), e.passwordFile(), stored.time().atOffset(ZoneOffset.UTC), StorageQueries.deltaJson(e)}))
          .replaceWithVoid();
    }
    if (event instanceof StorageRemoved e) {
      return tx.preparedQuery(DELETE).execute(Tuple.of(repo, e.name())).replaceWithVoid();
    }
    if (event instanceof RepositoryDeleted) {
      return tx.preparedQuery(DELETE_ALL).execute(Tuple.of(repo)).replaceWithVoid();
    }
    return Uni.createFrom().voidItem();
  }
}
