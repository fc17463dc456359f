package io.strata.projections.graph;

import io.smallrye.mutiny.Uni;
import io.strata.events.CommitCreated;
import io.strata.events.EventCodec;
import io.strata.events.RepositoryDeleted;
import io.strata.events.StrataEvent;
import io.strata.projections.log.StoredEvent;
import io.strata.projections.runtime.Projector;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import java.time.ZoneOffset;
import java.util.List;

/** The commit graph: every commit with its parents and generation number. */
public final class CommitGraphProjector implements Projector {
  @Override
  public String name() {
    return "commit-graph";
  }

  @Override
  public List<String> tables() {
    return List.of("strata_meta.commits");
  }

  @Override
  public Uni<Void> apply(SqlConnection tx, StoredEvent stored, StrataEvent event) {
    if (event instanceof CommitCreated e) {
      return tx.preparedQuery(GraphSql.INSERT_COMMIT)
          .execute(Tuple.from(new Object[] {
              stored.repository(), e.id(), e.parents().toArray(String[]::new), e.tree(), e.message(),
              e.author().name(), e.author().email(), e.createdAt().atOffset(ZoneOffset.UTC),
              e.branch(), json(e.stats()), json(e.changes()), stored.position(),
              e.merge() == null ? null : json(e.merge())}))
          .replaceWithVoid();
    }
    if (event instanceof RepositoryDeleted) {
      return tx.preparedQuery(GraphSql.DELETE_COMMITS).execute(Tuple.of(stored.repository())).replaceWithVoid();
    }
    return Uni.createFrom().voidItem();
  }

  private static String json(Object value) {
    return EventCodec.mapper().valueToTree(value).toString();
  }
}
