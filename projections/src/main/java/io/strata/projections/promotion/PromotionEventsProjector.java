package io.strata.projections.promotion;

import io.smallrye.mutiny.Uni;
import io.strata.events.CheckRunCompleted;
import io.strata.events.PromotionApproved;
import io.strata.events.PromotionEvaluated;
import io.strata.events.PromotionMerged;
import io.strata.events.PromotionOpened;
import io.strata.events.PromotionRejected;
import io.strata.events.RepositoryDeleted;
import io.strata.events.StrataEvent;
import io.strata.projections.log.StoredEvent;
import io.strata.projections.runtime.Projector;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import java.time.ZoneOffset;
import java.util.List;

/** The events of promotion requests, each kept as it was stored, numbered by its request. */
public final class PromotionEventsProjector implements Projector {
  private static final String INSERT = "insert into strata_meta.promotion_events"
      + " (repository, stream_version, number, type, data, actor, recorded_at)"
      + " values ($1, $2, $3, $4, $5::text::jsonb, $6, $7) on conflict (repository, stream_version) do nothing";
  private static final String DELETE = "delete from strata_meta.promotion_events where repository = $1";

  @Override
  public String name() {
    return "promotion-events";
  }

  @Override
  public List<String> tables() {
    return List.of("strata_meta.promotion_events");
  }

  /** The request an event of a promotion is about, or 0 when it is not one. */
  static int number(StrataEvent event) {
    if (event instanceof PromotionOpened e) {
      return e.number();
    } else if (event instanceof PromotionEvaluated e) {
      return e.number();
    } else if (event instanceof CheckRunCompleted e) {
      return e.number();
    } else if (event instanceof PromotionApproved e) {
      return e.number();
    } else if (event instanceof PromotionMerged e) {
      return e.number();
    } else if (event instanceof PromotionRejected e) {
      return e.number();
    } else if (event instanceof io.strata.events.PromotionVerified e) {
      return e.number();
    } else if (event instanceof io.strata.events.PromotionRolledBack e) {
      return e.number();
    }
    return 0;
  }

  @Override
  public Uni<Void> apply(SqlConnection tx, StoredEvent stored, StrataEvent event) {
    int number = number(event);
    if (number > 0) {
      return tx.preparedQuery(INSERT).execute(Tuple.from(new Object[] {stored.repository(), stored.streamVersion(),
          number, stored.type(), stored.data().toString(), stored.actor(), stored.time().atOffset(ZoneOffset.UTC)}))
          .replaceWithVoid();
    }
    if (event instanceof RepositoryDeleted) {
      return tx.preparedQuery(DELETE).execute(Tuple.of(stored.repository())).replaceWithVoid();
    }
    return Uni.createFrom().voidItem();
  }
}
