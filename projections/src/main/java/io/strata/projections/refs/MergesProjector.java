package io.strata.projections.refs;

import io.smallrye.mutiny.Uni;
import io.strata.events.BranchDeleted;
import io.strata.events.CommitCreated;
import io.strata.events.EventCodec;
import io.strata.events.MergeAborted;
import io.strata.events.MergeConflictsResolved;
import io.strata.events.MergeStarted;
import io.strata.events.RepositoryDeleted;
import io.strata.events.StrataEvent;
import io.strata.projections.log.StoredEvent;
import io.strata.projections.runtime.Projector;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import java.time.ZoneOffset;
import java.util.List;

/**
 * The merges in progress: begun by {@link MergeStarted}, counted down by {@link MergeConflictsResolved},
 * ended by the branch's merge commit, {@link MergeAborted}, or the branch's or repository's deletion.
 */
public final class MergesProjector implements Projector {
  static final String START = """
      insert into strata_meta.merges (repository, branch, started, remaining, started_at)
      values ($1, $2, $3::text::jsonb, $4, $5)
      on conflict (repository, branch) do update set started = excluded.started, remaining = excluded.remaining,
        started_at = excluded.started_at""";
  static final String REMAINING = "update strata_meta.merges set remaining = $3 where repository = $1 and branch = $2";
  static final String END = "delete from strata_meta.merges where repository = $1 and branch = $2";
  static final String END_ALL = "delete from strata_meta.merges where repository = $1";

  @Override
  public String name() {
    return "merges";
  }

  @Override
  public List<String> tables() {
    return List.of("strata_meta.merges");
  }

  @Override
  public Uni<Void> apply(SqlConnection tx, StoredEvent stored, StrataEvent event) {
    String repo = stored.repository();
    if (event instanceof MergeStarted e) {
      return tx.preparedQuery(START).execute(Tuple.of(repo, e.branch(), EventCodec.mapper().valueToTree(e).toString(),
          e.conflicts(), stored.time().atOffset(ZoneOffset.UTC))).replaceWithVoid();
    }
    if (event instanceof MergeConflictsResolved e) {
      return tx.preparedQuery(REMAINING).execute(Tuple.of(repo, e.branch(), e.remaining())).replaceWithVoid();
    }
    if (event instanceof MergeAborted e) {
      return end(tx, repo, e.branch());
    }
    if (event instanceof CommitCreated e && e.branch() != null && e.concludesOperation()) {
      return end(tx, repo, e.branch());
    }
    if (event instanceof BranchDeleted e) {
      return end(tx, repo, e.name());
    }
    if (event instanceof RepositoryDeleted) {
      return tx.preparedQuery(END_ALL).execute(Tuple.of(repo)).replaceWithVoid();
    }
    return Uni.createFrom().voidItem();
  }

  private static Uni<Void> end(SqlConnection tx, String repo, String branch) {
    return tx.preparedQuery(END).execute(Tuple.of(repo, branch)).replaceWithVoid();
  }
}
