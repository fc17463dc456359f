package io.strata.projections.refs;

import io.smallrye.mutiny.Uni;
import io.strata.events.RepositoryDeleted;
import io.strata.events.StrataEvent;
import io.strata.events.TagCreated;
import io.strata.events.TagDeleted;
import io.strata.projections.log.StoredEvent;
import io.strata.projections.runtime.Projector;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import java.time.ZoneOffset;
import java.util.List;

/** Tags. */
public final class TagsProjector implements Projector {
  @Override
  public String name() {
    return "tags";
  }

  @Override
  public List<String> tables() {
    return List.of("strata_meta.tags");
  }

  @Override
  public Uni<Void> apply(SqlConnection tx, StoredEvent stored, StrataEvent event) {
    String repo = stored.repository();
    if (event instanceof TagCreated e) {
      return tx.preparedQuery(RefSql.INSERT_TAG)
          .execute(Tuple.from(new Object[] {repo, e.name(), e.commit(), e.message(), e.tagger().name(),
              e.tagger().email(), stored.time().atOffset(ZoneOffset.UTC)}))
          .replaceWithVoid();
    }
    if (event instanceof TagDeleted e) {
      return tx.preparedQuery(RefSql.DELETE_TAG).execute(Tuple.of(repo, e.name())).replaceWithVoid();
    }
    if (event instanceof RepositoryDeleted) {
      return tx.preparedQuery(RefSql.DELETE_TAGS).execute(Tuple.of(repo)).replaceWithVoid();
    }
    return Uni.createFrom().voidItem();
  }
}
