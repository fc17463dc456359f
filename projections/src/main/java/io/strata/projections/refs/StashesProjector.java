package io.strata.projections.refs;

import io.smallrye.mutiny.Uni;
import io.strata.events.BranchDeleted;
import io.strata.events.EventCodec;
import io.strata.events.RepositoryDeleted;
import io.strata.events.StashApplied;
import io.strata.events.StashCreated;
import io.strata.events.StashDropped;
import io.strata.events.StrataEvent;
import io.strata.projections.log.StoredEvent;
import io.strata.projections.runtime.Projector;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import java.time.ZoneOffset;
import java.util.List;

/** The branches' stashes: saved by {@link StashCreated}, gone when popped, dropped or their branch deleted. */
public final class StashesProjector implements Projector {
  static final String SAVE = """
      insert into strata_meta.stashes (repository, branch, id, seq, created, created_at)
      values ($1, $2, $3, $4, $5::text::jsonb, $6) on conflict (repository, id) do nothing""";
  static final String DROP = "delete from strata_meta.stashes where repository = $1 and id = $2";
  static final String DROP_BRANCH = "delete from strata_meta.stashes where repository = $1 and branch = $2";
  static final String DROP_ALL = "delete from strata_meta.stashes where repository = $1";

  @Override
  public String name() {
    return "stashes";
  }

  @Override
  public List<String> tables() {
    return List.of("strata_meta.stashes");
  }

  @Override
  public Uni<Void> apply(SqlConnection tx, StoredEvent stored, StrataEvent event) {
    String repo = stored.repository();
    if (event instanceof StashCreated e) {
      return tx.preparedQuery(SAVE).execute(Tuple.from(new Object[] {repo, e.branch(), e.id(), stored.streamVersion(),
          EventCodec.mapper().valueToTree(e).toString(), stored.time().atOffset(ZoneOffset.UTC)})).replaceWithVoid();
    }
    if (event instanceof StashApplied e && e.popped()) {
      return tx.preparedQuery(DROP).execute(Tuple.of(repo, e.id())).replaceWithVoid();
    }
    if (event instanceof StashDropped e) {
      return tx.preparedQuery(DROP).execute(Tuple.of(repo, e.id())).replaceWithVoid();
    }
    if (event instanceof BranchDeleted e) {
      return tx.preparedQuery(DROP_BRANCH).execute(Tuple.of(repo, e.name())).replaceWithVoid();
    }
    if (event instanceof RepositoryDeleted) {
      return tx.preparedQuery(DROP_ALL).execute(Tuple.of(repo)).replaceWithVoid();
    }
    return Uni.createFrom().voidItem();
  }
}
