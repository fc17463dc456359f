package io.strata.projections.refs;

import io.smallrye.mutiny.Uni;
import io.strata.events.RepositoryCreated;
import io.strata.events.RepositoryDeleted;
import io.strata.events.StrataEvent;
import io.strata.projections.log.StoredEvent;
import io.strata.projections.runtime.Projector;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import java.time.ZoneOffset;
import java.util.List;

/** The list of repositories. */
public final class RepositoriesProjector implements Projector {
  @Override
  public String name() {
    return "repositories";
  }

  @Override
  public List<String> tables() {
    return List.of("strata_meta.repositories");
  }

  @Override
  public Uni<Void> apply(SqlConnection tx, StoredEvent stored, StrataEvent event) {
    if (event instanceof RepositoryCreated e) {
      return tx.preparedQuery(RefSql.INSERT_REPOSITORY)
          .execute(Tuple.of(e.name(), e.description(), e.defaultBranch(),
              stored.time().atOffset(ZoneOffset.UTC), stored.actor()))
          .replaceWithVoid();
    }
    if (event instanceof RepositoryDeleted e) {
      return tx.preparedQuery(RefSql.DELETE_REPOSITORY).execute(Tuple.of(e.name())).replaceWithVoid();
    }
    return Uni.createFrom().voidItem();
  }
}
