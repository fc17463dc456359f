package io.strata.projections.promotion;

import io.smallrye.mutiny.Uni;
import io.strata.events.EventCodec;
import io.strata.events.StrataEvent;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** Reads of the promotion events projection: a repository's, or one request's, in log order. */
public final class PromotionEventQueries {
  private static final String COLUMNS = "type, data::text, actor, recorded_at";
  private static final String ALL = "select " + COLUMNS + " from strata_meta.promotion_events where repository = $1"
      + " order by stream_version";
  private static final String ONE = "select " + COLUMNS + " from strata_meta.promotion_events where repository = $1"
      + " and number = $2 order by stream_version";

  private static final EventCodec CODEC = new EventCodec();
  private final Pool pool;

  public PromotionEventQueries(Pool pool) {
    this.pool = pool;
  }

  /** An event of a promotion, with who caused it and when. */
  public record Recorded(StrataEvent event, String actor, Instant time) {}

  public Uni<List<Recorded>> all(String repository) {
    return all(pool, repository);
  }

  /** Every promotion event of {@code repository}, read on {@code client} (a snapshot's transaction). */
  public static Uni<List<Recorded>> all(SqlClient client, String repository) {
    return client.preparedQuery(ALL).execute(Tuple.of(repository)).map(PromotionEventQueries::read);
  }

  public Uni<List<Recorded>> of(String repository, int number) {
    return pool.preparedQuery(ONE).execute(Tuple.of(repository, number)).map(PromotionEventQueries::read);
  }

  private static List<Recorded> read(io.vertx.mutiny.sqlclient.RowSet<Row> rows) {
    List<Recorded> out = new ArrayList<>();
    for (Row r : rows) {
      try {
        out.add(new Recorded(CODEC.decode(r.getString(0), EventCodec.mapper().readTree(r.getString(1))),
            r.getString(2), r.getOffsetDateTime(3).toInstant()));
      } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
        throw new IllegalStateException("unreadable promotion event", e);
      }
    }
    return out;
  }
}
