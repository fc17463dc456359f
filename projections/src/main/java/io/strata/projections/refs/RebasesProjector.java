package io.strata.projections.refs;

import io.smallrye.mutiny.Uni;
import io.strata.events.AppliedCommit;
import io.strata.events.BranchDeleted;
import io.strata.events.CommitCreated;
import io.strata.events.EventCodec;
import io.strata.events.RebaseAborted;
import io.strata.events.RebaseFinished;
import io.strata.events.RebaseStarted;
import io.strata.events.RebaseStepSkipped;
import io.strata.events.RepositoryDeleted;
import io.strata.events.StrataEvent;
import io.strata.projections.log.StoredEvent;
import io.strata.projections.runtime.Projector;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import java.time.ZoneOffset;
import java.util.List;

/**
 * The rebases in progress: begun by {@link RebaseStarted}, a step further at each commit that replays
 * one of its commits or {@link RebaseStepSkipped}, ended by {@link RebaseFinished}, {@link RebaseAborted}
 * or the branch's or repository's deletion.
 */
public final class RebasesProjector implements Projector {
  static final String START = """
      insert into strata_meta.rebases (repository, branch, started, done, started_at)
      values ($1, $2, $3::text::jsonb, 0, $4)
      on conflict (repository, branch) do update set started = excluded.started, done = 0,
        started_at = excluded.started_at""";
  static final String STEP = "update strata_meta.rebases set done = done + 1 where repository = $1 and branch = $2";
  static final String END = "delete from strata_meta.rebases where repository = $1 and branch = $2";
  static final String END_ALL = "delete from strata_meta.rebases where repository = $1";

  @Override
  public String name() {
    return "rebases";
  }

  @Override
  public List<String> tables() {
    return List.of("strata_meta.rebases");
  }

  @Override
  public Uni<Void> apply(SqlConnection tx, StoredEvent stored, StrataEvent event) {
    String repo = stored.repository();
    if (event instanceof RebaseStarted e) {
      return tx.preparedQuery(START).execute(Tuple.of(repo, e.branch(), EventCodec.mapper().valueToTree(e).toString(),
          stored.time().atOffset(ZoneOffset.UTC))).replaceWithVoid();
    }
    if (event instanceof CommitCreated e && e.branch() != null && e.applied() != null
        && AppliedCommit.REBASE.equals(e.applied().operation())) {
      return step(tx, repo, e.branch());
    }
    if (event instanceof RebaseStepSkipped e) {
      return step(tx, repo, e.branch());
    }
    if (event instanceof RebaseFinished e) {
      return end(tx, repo, e.branch());
    }
    if (event instanceof RebaseAborted e) {
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

  private static Uni<Void> step(SqlConnection tx, String repo, String branch) {
    return tx.preparedQuery(STEP).execute(Tuple.of(repo, branch)).replaceWithVoid();
  }

  private static Uni<Void> end(SqlConnection tx, String repo, String branch) {
    return tx.preparedQuery(END).execute(Tuple.of(repo, branch)).replaceWithVoid();
  }
}
