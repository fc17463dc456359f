package io.strata.server.reactors.webhooks;

import io.smallrye.mutiny.Uni;
import io.strata.events.EventEnvelope;
import io.strata.events.WebhookDisabled;
import io.strata.projections.log.EventLog;
import io.strata.projections.log.ExpectedVersionConflict;
import io.strata.projections.log.NewEvent;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Function;
import java.util.function.IntFunction;

/**
 * Webhook endpoints, their delivery queue and its attempts, in PostgreSQL (V15__webhooks.sql): the
 * queue survives restarts, and leases on endpoints keep two servers from sending to one at once. This
 * class holds the endpoints, the delivery log as the API shows it, and the reactor's queueing; the
 * sender's statements (leases, reading queues, recording attempts) are {@link SenderStore}'s.
 */
@ApplicationScoped
public class WebhookStore {
  private static final String ENDPOINT_COLUMNS = "id, url, description, filter_repositories, filter_types,"
      + " filter_branches, enabled, disabled_reason, disabled_at, failing_since, previous_secret_until,"
      + " start_position, created_at, updated_at";
  private static final String DELIVERY_COLUMNS = "id, endpoint_id, position, event_id, event_type, repository,"
      + " state, attempts, next_attempt_at, created_at, updated_at";


  @Inject Pool pool;
  @Inject SenderStore sending;

  /** An endpoint as shown: never its secret. */
  public record Endpoint(String id, String url, String description, WebhookFilter filter, boolean enabled,
      String disabledReason, Instant disabledAt, Instant failingSince, Instant previousSecretUntil,
      long startPosition, Instant createdAt, Instant updatedAt) {}

  public record Attempt(Instant at, Integer statusCode, int latencyMs, String error) {}

  public record Delivery(long id, String endpointId, long position, UUID eventId, String eventType,
      String repository, String state, int attempts, Instant nextAttemptAt, Instant createdAt, Instant updatedAt,
      List<Attempt> attemptLog) {}

  /** A delivery to enqueue: an event matching an endpoint. */
  public record NewDelivery(String endpointId, long feedTxid, long position, UUID eventId, String eventType,
      String repository) {}

  /** The changes a PATCH makes (null: unchanged). */
  public record Change(String url, String description, boolean clearDescription, WebhookFilter filter,
      Boolean enabled, String newSecret, Duration overlap) {}

  // --- endpoints ---------------------------------------------------------------------------------

  /** Creates an endpoint receiving the events appended from now on. */
  public Uni<Endpoint> create(String id, String url, String description, WebhookFilter filter, String secret) {
    return pool.preparedQuery("insert into strata_meta.webhook_endpoints (id, url, description,"
            + " filter_repositories, filter_types, filter_branches, secret, start_position) values ($1, $2, $3,"
            + " $4, $5, $6, $7, (select coalesce(max(position), 0) from strata_meta.events)) returning "
            + ENDPOINT_COLUMNS)
        .execute(Tuple.from(Arrays.asList(id, url, description, array(filter.repositories()),
            array(filter.types()), array(filter.branches()), secret)))
        .map(rows -> endpoint(rows.iterator().next()));
  }

  public Uni<List<Endpoint>> list(int limit, int offset) {
    return pool.preparedQuery("select " + ENDPOINT_COLUMNS + " from strata_meta.webhook_endpoints"
            + " order by created_at, id limit $1 offset $2")
        .execute(Tuple.of(limit, offset)).map(WebhookStore::endpoints);
  }

  public Uni<Long> count() {
    return pool.query("select count(*) from strata_meta.webhook_endpoints").execute()
        .map(rows -> rows.iterator().next().getLong(0));
  }

  public Uni<Optional<Endpoint>> get(String id) {
    return pool.preparedQuery("select " + ENDPOINT_COLUMNS + " from strata_meta.webhook_endpoints where id = $1")
        .execute(Tuple.of(id)).map(rows -> endpoints(rows).stream().findFirst());
  }

  /**
   * Applies a PATCH in one statement: enabling clears the disabled state and the failure clock (the
   * operator says the receiver is back); rotating keeps the old secret signing until the overlap ends.
   */
  public Uni<Optional<Endpoint>> update(String id, Change c, String actor) {
    Tuple args = Tuple.from(Arrays.asList(id, c.url(), c.description(), c.clearDescription(),
        c.filter() != null, c.filter() == null ? null : array(c.filter().repositories()),
        c.filter() == null ? null : array(c.filter().types()), c.filter() == null ? null : array(c.filter().branches()),
        c.enabled(), c.newSecret(), c.overlap() == null ? 0L : c.overlap().toMillis(), "disabled by " + actor));
    return pool.preparedQuery("update strata_meta.webhook_endpoints set"
            + " url = coalesce($2::text, url),"
            + " description = case when $4::boolean then null else coalesce($3::text, description) end,"
            + " filter_repositories = case when $5::boolean then $6::text[] else filter_repositories end,"
            + " filter_types = case when $5::boolean then $7::text[] else filter_types end,"
            + " filter_branches = case when $5::boolean then $8::text[] else filter_branches end,"
            + " disabled_reason = case when $9::boolean is null or $9::boolean = enabled then disabled_reason"
            + "   when $9::boolean then null else $12::text end,"
            + " disabled_at = case when $9::boolean is null or $9::boolean = enabled then disabled_at"
            + "   when $9::boolean then null else now() end,"
            + " failing_since = case when $9::boolean and not enabled then null else failing_since end,"
            + " enabled = coalesce($9::boolean, enabled),"
            + " previous_secret = case when $10::text is null then previous_secret else secret end,"
            + " previous_secret_until = case when $10::text is null then previous_secret_until"
            + "   else now() + $11::bigint * interval '1 millisecond' end,"
            + " secret = coalesce($10::text, secret),"
            + " updated_at = now()"
            + " where id = $1 returning " + ENDPOINT_COLUMNS)
        .execute(args).map(rows -> endpoints(rows).stream().findFirst());
  }

  /** Deletes an endpoint with its queue and attempts; false when there is none. */
  public Uni<Boolean> delete(String id) {
    return pool.preparedQuery("delete from strata_meta.webhook_endpoints where id = $1").execute(Tuple.of(id))
        .map(rows -> rows.rowCount() > 0);
  }

  // --- deliveries, as the API shows them -----------------------------------------------------------

  /** Deliveries of an endpoint after {@code afterId}, oldest first, each with every attempt. */
  public Uni<List<Delivery>> deliveries(String endpointId, long afterId, int limit) {
    return pool.preparedQuery("select " + DELIVERY_COLUMNS + " from strata_meta.webhook_deliveries"
            + " where endpoint_id = $1 and id > $2 order by id limit $3")
        .execute(Tuple.of(endpointId, afterId, limit))
        .chain(rows -> {
          List<Row> found = new ArrayList<>();
          rows.forEach(found::add);
          if (found.isEmpty()) {
            return Uni.createFrom().item(List.<Delivery>of());
          }
          Long[] ids = found.stream().map(r -> r.getLong("id")).toArray(Long[]::new);
          return pool.preparedQuery("select delivery_id, at, status_code, latency_ms, error"
                  + " from strata_meta.webhook_attempts where delivery_id = any($1) order by id")
              .execute(Tuple.of(ids))
              .map(attemptRows -> {
                Map<Long, List<Attempt>> byDelivery = new LinkedHashMap<>();
                for (Row a : attemptRows) {
                  byDelivery.computeIfAbsent(a.getLong("delivery_id"), k -> new ArrayList<>())
                      .add(new Attempt(instant(a.getOffsetDateTime("at")), a.getInteger("status_code"),
                          a.getInteger("latency_ms"), a.getString("error")));
                }
                return found.stream().map(r -> delivery(r, byDelivery.getOrDefault(r.getLong("id"), List.of())))
                    .toList();
              });
        });
  }

  /** Queues one delivery again (delivered or failed alike) with a fresh retry schedule; false if none. */
  public Uni<Boolean> redeliver(String endpointId, long deliveryId) {
    return pool.preparedQuery("update strata_meta.webhook_deliveries set state = 'pending', attempts = 0,"
            + " next_attempt_at = now(), updated_at = now() where endpoint_id = $1 and id = $2")
        .execute(Tuple.of(endpointId, deliveryId)).map(rows -> rows.rowCount() > 0);
  }

  /** Queues again every delivery of the endpoint at or after {@code position} that is not pending. */
  public Uni<Integer> redeliverSince(String endpointId, long position) {
    return pool.preparedQuery("update strata_meta.webhook_deliveries set state = 'pending', attempts = 0,"
            + " next_attempt_at = now(), updated_at = now()"
            + " where endpoint_id = $1 and position >= $2 and state <> 'pending'")
        .execute(Tuple.of(endpointId, position)).map(RowSet::rowCount);
  }

  /**
   * Deletes delivered and failed deliveries (their attempts go with them) last changed before
   * {@code retention} ago, a batch at a time; answers how many.
   */
  public Uni<Long> purge(Duration retention) {
    return pool.preparedQuery("delete from strata_meta.webhook_deliveries where id in (select id from"
            + " strata_meta.webhook_deliveries where state <> 'pending'"
            + " and updated_at < now() - $1::bigint * interval '1 millisecond' limit 5000)")
        .execute(Tuple.of(retention.toMillis()))
        .chain(rows -> rows.rowCount() == 0 ? Uni.createFrom().item(0L)
            : purge(retention).map(more -> more + rows.rowCount()));
  }

  // --- the reactor: enqueueing ---------------------------------------------------------------------

  /** An enabled endpoint as the reactor matches events to it: its filter and where its events start. */
  public record Subscriber(String id, WebhookFilter filter, long startPosition) {}

  /**
   * The enabled endpoints, as the reactor needs them at every batch: a prepared statement (planned
   * once) reading only the filters and start positions.
   */
  public Uni<List<Subscriber>> enabledEndpoints() {
    return pool.preparedQuery("select id, filter_repositories, filter_types, filter_branches, start_position"
            + " from strata_meta.webhook_endpoints where enabled")
        .execute()
        .map(rows -> {
          List<Subscriber> out = new ArrayList<>();
          rows.forEach(r -> out.add(new Subscriber(r.getString("id"), filter(r), r.getLong("start_position"))));
          return out;
        });
  }

  /**
   * Enqueues deliveries; one already there (a batch read again after a failure) is left as it is, and
   * one for an endpoint deleted meanwhile is dropped. Answers how many were new.
   */
  public Uni<Integer> enqueue(List<NewDelivery> deliveries) {
    if (deliveries.isEmpty()) {
      return Uni.createFrom().item(0);
    }
    // one statement for the whole batch: a statement per delivery cost the database most of its work
    return pool.preparedQuery("insert into strata_meta.webhook_deliveries (endpoint_id, feed_txid, position,"
            + " event_id, event_type, repository)"
            + " select d.endpoint_id, d.feed_txid, d.position, d.event_id, d.event_type, d.repository"
            + " from unnest($1::text[], $2::bigint[], $3::bigint[], $4::uuid[], $5::text[], $6::text[])"
            + "   with ordinality as d(endpoint_id, feed_txid, position, event_id, event_type, repository, n)"
            + " where exists (select 1 from strata_meta.webhook_endpoints e where e.id = d.endpoint_id)"
            + " order by d.n" // ids in feed order, as the deliveries are listed (the semi-join may reorder)
            + " on conflict (endpoint_id, position) do nothing")
        .execute(Tuple.of(column(deliveries, NewDelivery::endpointId, String[]::new),
            column(deliveries, NewDelivery::feedTxid, Long[]::new), column(deliveries, NewDelivery::position, Long[]::new),
            column(deliveries, NewDelivery::eventId, UUID[]::new), column(deliveries, NewDelivery::eventType, String[]::new),
            column(deliveries, NewDelivery::repository, String[]::new)))
        .map(RowSet::rowCount);
  }

  /** The sender's statements. */
  SenderStore sending() {
    return sending;
  }

  // --- rows ----------------------------------------------------------------------------------------

  /** One field of every row, as an array parameter (for {@code unnest} or {@code any}). */
  static <R, T> T[] column(List<R> rows, Function<R, T> field, IntFunction<T[]> array) {
    return rows.stream().map(field).toArray(array);
  }

  private static String[] array(List<String> values) {
    return values == null ? null : values.toArray(String[]::new);
  }

  private static List<String> list(String[] values) {
    return values == null ? null : List.of(values);
  }

  private static List<Endpoint> endpoints(RowSet<Row> rows) {
    List<Endpoint> out = new ArrayList<>();
    rows.forEach(r -> out.add(endpoint(r)));
    return out;
  }

  private static Endpoint endpoint(Row r) {
    return new Endpoint(r.getString("id"), r.getString("url"), r.getString("description"),
        filter(r), r.getBoolean("enabled"), r.getString("disabled_reason"), instant(r.getOffsetDateTime("disabled_at")),
        instant(r.getOffsetDateTime("failing_since")), instant(r.getOffsetDateTime("previous_secret_until")),
        r.getLong("start_position"), instant(r.getOffsetDateTime("created_at")),
        instant(r.getOffsetDateTime("updated_at")));
  }

  private static WebhookFilter filter(Row r) {
    return new WebhookFilter(list(r.getArrayOfStrings("filter_repositories")), list(r.getArrayOfStrings("filter_types")),
        list(r.getArrayOfStrings("filter_branches")));
  }

  private static Delivery delivery(Row r, List<Attempt> attempts) {
    return new Delivery(r.getLong("id"), r.getString("endpoint_id"), r.getLong("position"), r.getUUID("event_id"),
        r.getString("event_type"), r.getString("repository"), r.getString("state"), r.getInteger("attempts"),
        instant(r.getOffsetDateTime("next_attempt_at")), instant(r.getOffsetDateTime("created_at")),
        instant(r.getOffsetDateTime("updated_at")), attempts);
  }

  static Instant instant(OffsetDateTime t) {
    return t == null ? null : t.toInstant();
  }
}
