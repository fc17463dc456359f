package io.strata.projections.promotion;

import io.smallrye.mutiny.Uni;
import io.strata.events.PromotionPolicySet;
import io.strata.events.RepositoryDeleted;
import io.strata.events.StrataEvent;
import io.strata.projections.log.StoredEvent;
import io.strata.projections.runtime.Projector;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import java.time.ZoneOffset;
import java.util.List;

/** Every promotion policy a repository was given: the one in force (the newest) and its history. */
public final class PromotionPoliciesProjector implements Projector {
  private static final String INSERT = "insert into strata_meta.promotion_policies"
      + " (repository, stream_version, position, policy_set, digest, actor, set_at) values ($1, $2, $3, $4::text::jsonb, $5, $6, $7)"
      + " on conflict (repository, stream_version) do nothing";
  private static final String DELETE = "delete from strata_meta.promotion_policies where repository = $1";

  @Override
  public String name() {
    return "promotion-policies";
  }

  @Override
  public List<String> tables() {
    return List.of("strata_meta.promotion_policies");
  }

  @Override
  public Uni<Void> apply(SqlConnection tx, StoredEvent stored, StrataEvent event) {
    String repo = stored.repository();
    if (event instanceof PromotionPolicySet e) {
      return tx.preparedQuery(INSERT).execute(Tuple.from(new Object[] {repo, stored.streamVersion(),
          stored.position(), stored.data().toString(), e.digest(), stored.actor(),
          stored.time().atOffset(ZoneOffset.UTC)})).replaceWithVoid();
    }
    if (event instanceof RepositoryDeleted) {
      return tx.preparedQuery(DELETE).execute(Tuple.of(repo)).replaceWithVoid();
    }
    return Uni.createFrom().voidItem();
  }
}
