package io.strata.projections.refs;

import io.smallrye.mutiny.Uni;
import io.strata.events.BranchCreated;
import io.strata.events.BranchDeleted;
import io.strata.events.BranchHeadMoved;
import io.strata.events.BranchProtectionChanged;
import io.strata.events.CommitCreated;
import io.strata.events.RepositoryDeleted;
import io.strata.events.StrataEvent;
import io.strata.projections.log.StoredEvent;
import io.strata.projections.runtime.Projector;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;

/** Branch heads, and the reflog of every head move (answers {@code <branch>@{<timestamp>}}). */
public final class BranchHeadsProjector implements Projector {
  @Override
  public String name() {
    return "branch-heads";
  }

  @Override
  public List<String> tables() {
    return List.of("strata_meta.branches", "strata_meta.ref_log");
  }

  @Override
  public Uni<Void> apply(SqlConnection tx, StoredEvent stored, StrataEvent event) {
    String repo = stored.repository();
    OffsetDateTime time = stored.time().atOffset(ZoneOffset.UTC);
    if (event instanceof BranchCreated e) {
      return tx.preparedQuery(RefSql.INSERT_BRANCH)
          .execute(Tuple.of(repo, e.name(), e.head(), e.isProtected(), e.from(), time))
          .chain(() -> refLog(tx, stored, e.name(), e.head(),
              e.from() == null ? "created" : "created from " + e.from()));
    }
    if (event instanceof CommitCreated e && e.branch() != null) {
      return tx.preparedQuery(RefSql.MOVE_BRANCH)
          .execute(Tuple.of(repo, e.branch(), e.id(), time))
          .chain(() -> refLog(tx, stored, e.branch(), e.id(), "commit: " + firstLine(e.message())));
    }
    if (event instanceof BranchHeadMoved e) {
      return tx.preparedQuery(RefSql.MOVE_BRANCH)
          .execute(Tuple.of(repo, e.branch(), e.to(), time))
          .chain(() -> refLog(tx, stored, e.branch(), e.to(), e.reason().replace('_', '-')));
    }
    if (event instanceof BranchDeleted e) {
      return tx.preparedQuery(RefSql.DELETE_BRANCH).execute(Tuple.of(repo, e.name()))
          .chain(() -> refLog(tx, stored, e.name(), null, e.forced() ? "deleted (forced)" : "deleted"));
    }
    if (event instanceof BranchProtectionChanged e) {
      return tx.preparedQuery(RefSql.PROTECT_BRANCH)
          .execute(Tuple.of(repo, e.name(), e.isProtected(), time))
          .replaceWithVoid();
    }
    if (event instanceof RepositoryDeleted) {
      return tx.preparedQuery(RefSql.DELETE_BRANCHES).execute(Tuple.of(repo))
          .chain(() -> tx.preparedQuery(RefSql.DELETE_REF_LOG).execute(Tuple.of(repo)))
          .replaceWithVoid();
    }
    return Uni.createFrom().voidItem();
  }

  private static Uni<Void> refLog(SqlConnection tx, StoredEvent stored, String branch, String head, String reason) {
    return tx.preparedQuery(RefSql.INSERT_REF_LOG)
        .execute(Tuple.of(stored.repository(), branch, stored.streamVersion(), head,
            stored.time().atOffset(ZoneOffset.UTC), reason))
        .replaceWithVoid();
  }

  private static String firstLine(String message) {
    int nl = message.indexOf('\n');
    String line = nl < 0 ? message : message.substring(0, nl);
    return line.length() > 200 ? line.substring(0, 200) : line;
  }
}
