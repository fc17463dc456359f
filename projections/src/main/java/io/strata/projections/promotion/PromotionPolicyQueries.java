package io.strata.projections.promotion;

import io.smallrye.mutiny.Uni;
import io.strata.events.PromotionPolicySet;
import io.strata.projections.refs.RefRows.Page;
import io.strata.projections.refs.RepositorySnapshot;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Reads of the promotion policies projection: the policy in force, and every one a repository was given. */
public final class PromotionPolicyQueries {
  private static final String COLUMNS = "policy_set::text, actor, set_at, position, stream_version";
  private static final String CURRENT = "select " + COLUMNS + " from strata_meta.promotion_policies"
      + " where repository = $1 order by stream_version desc limit 1";
  private static final String HISTORY = "select " + COLUMNS + " from strata_meta.promotion_policies"
      + " where repository = $1 order by stream_version desc limit $2 offset $3";
  private static final String COUNT = "select count(*) from strata_meta.promotion_policies where repository = $1";

  private final Pool pool;

  public PromotionPolicyQueries(Pool pool) {
    this.pool = pool;
  }

  /** A policy as it was set: the event, who set it, when, and its position in the log. */
  public record PolicyRow(PromotionPolicySet set, String actor, Instant setAt, long position, long streamVersion) {}

  public Uni<Optional<PolicyRow>> current(String repository) {
    return pool.preparedQuery(CURRENT).execute(Tuple.of(repository))
        .map(rows -> rows.rowCount() == 0 ? Optional.empty() : Optional.of(toRow(rows.iterator().next())));
  }

  /** Newest first. */
  public Uni<Page<PolicyRow>> history(String repository, int limit, int offset) {
    return Uni.combine().all()
        .unis(pool.preparedQuery(HISTORY).execute(Tuple.of(repository, limit, offset)),
            pool.preparedQuery(COUNT).execute(Tuple.of(repository)))
        .with((rows, count) -> {
          List<PolicyRow> items = new ArrayList<>();
          rows.forEach(r -> items.add(toRow(r)));
          return new Page<>(items, count.iterator().next().getLong(0));
        });
  }

  private static PolicyRow toRow(Row r) {
    return new PolicyRow(RepositorySnapshot.policy(r.getString(0)), r.getString(1),
        r.getOffsetDateTime(2).toInstant(), r.getLong(3), r.getLong(4));
  }
}
