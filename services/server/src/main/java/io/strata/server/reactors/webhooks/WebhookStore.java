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
 * queue survives restarts, and leases on endpoints keep two servers from sending to one at once.
 */
@ApplicationScoped
public class WebhookStore {
  private static final String ENDPOINT_COLUMNS = "id, url, description, filter_repositories, filter_types,"
      + " filter_branches, enabled, disabled_reason, disabled_at, failing_since, previous_secret_until,"
      + " start_position, created_at, updated_at";
  private static final String DELIVERY_COLUMNS = "id, endpoint_id, position, event_id, event_type, repository,"
      + " state, attempts, next_attempt_at, created_at, updated_at";

  /** The actor of the events the server appends of its own accord. */
  static final String SERVER_ACTOR = "strata";
  /** How often an attempt is recorded again when its server event lost a race on the server's stream. */
  private static final int APPEND_ATTEMPTS = 5;

  @Inject Pool pool;
  @Inject EventLog log;

  /** An endpoint as shown: never its secret. */
  public record Endpoint(String id, String url, String description, WebhookFilter filter, boolean enabled,
      String disabledReason, Instant disabledAt, Instant failingSince, Instant previousSecretUntil,
      long startPosition, Instant createdAt, Instant updatedAt) {}

  /** What a sender needs to deliver to an endpoint: where, and the secrets to sign with. */
  public record Target(String id, String url, String secret, String previousSecret, Instant previousSecretUntil) {
    /** The secrets that sign now: the current one, and the previous one during its overlap. */
    public List<String> signingSecrets(Instant now) {
      return previousSecret != null && previousSecretUntil != null && previousSecretUntil.isAfter(now)
          ? List.of(secret, previousSecret) : List.of(secret);
    }
  }

  /** A pending delivery as the sender takes it: its body ({@link Payloads}) is null until it is looked up. */
  public record Head(long id, long position, UUID eventId, String payload, int attempts, boolean due) {
    Head withPayload(String body) {
      return new Head(id, position, eventId, body, attempts, due);
    }
  }

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

  /** The enabled endpoints, with their filters and where their events start. */
  public Uni<List<Endpoint>> enabledEndpoints() {
    return pool.query("select " + ENDPOINT_COLUMNS + " from strata_meta.webhook_endpoints where enabled")
        .execute().map(WebhookStore::endpoints);
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

  // --- the sender: leases, heads, attempts ---------------------------------------------------------

  /**
   * Takes the lease of up to {@code max} enabled endpoints whose head is due and that no server holds
   * ({@code skip locked}: servers claiming at once take different endpoints); answers their ids (the
   * sender reads each endpoint's url and secrets with its queue).
   */
  public Uni<List<String>> claim(String owner, Duration lease, int max) {
    return pool.preparedQuery("update strata_meta.webhook_endpoints e set lease_owner = $1,"
            + " lease_until = now() + $2::bigint * interval '1 millisecond'"
            + " where e.id in (select c.id from strata_meta.webhook_endpoints c"
            + "   where c.enabled and (c.lease_owner is null or c.lease_until < now())"
            + "   and (select d.next_attempt_at from strata_meta.webhook_deliveries d"
            + "        where d.endpoint_id = c.id and d.state = 'pending'"
            + "        order by d.feed_txid, d.position limit 1) <= now()"
            + "   limit $3 for update of c skip locked)"
            + " returning e.id")
        .execute(Tuple.of(owner, lease.toMillis(), max))
        .map(rows -> {
          List<String> out = new ArrayList<>();
          rows.forEach(r -> out.add(r.getString("id")));
          return out;
        });
  }

  /**
   * Renews the leases this server holds on {@code ids}, answering those it still holds (enabled, not
   * lapsed to another server): one statement for every endpoint, every quarter lease.
   */
  public Uni<List<String>> renew(String owner, List<String> ids, Duration lease) {
    return pool.preparedQuery("update strata_meta.webhook_endpoints"
            + " set lease_until = now() + $3::bigint * interval '1 millisecond'"
            + " where id = any($2) and lease_owner = $1 and enabled returning id")
        .execute(Tuple.of(owner, ids.toArray(String[]::new), lease.toMillis()))
        .map(rows -> {
          List<String> renewed = new ArrayList<>();
          rows.forEach(r -> renewed.add(r.getString("id")));
          return renewed;
        });
  }

  public Uni<Void> release(String id, String owner) {
    return pool.preparedQuery("update strata_meta.webhook_endpoints set lease_owner = null, lease_until = null"
            + " where id = $1 and lease_owner = $2").execute(Tuple.of(id, owner)).replaceWithVoid();
  }

  /** Releases every lease this server holds (a clean stop): others go on at once. */
  public Uni<Void> releaseAll(String owner) {
    return pool.preparedQuery("update strata_meta.webhook_endpoints set lease_owner = null, lease_until = null"
            + " where lease_owner = $1").execute(Tuple.of(owner)).replaceWithVoid();
  }

  /**
   * An endpoint's queue as its sender reads it: the endpoint's target, null when this server no
   * longer holds it (disabled, deleted, or its lease lapsed to another), and its oldest pending
   * deliveries in the order they are sent: the head (due or not: the others wait behind it) and those
   * queued behind it.
   */
  public record Queue(Target target, List<Head> heads) {}

  /**
   * The queues of the endpoints {@code ids}, up to {@code max} deliveries each, in one statement
   * (endpoints busy at once share it); answers them in the order of {@code ids}. The target is read
   * with the queue, so a changed url or a rotated secret applies from the next run on.
   */
  public Uni<List<Queue>> queues(List<String> ids, String owner, int max) {
    return pool.preparedQuery("select w.id, w.url, w.secret, w.previous_secret,"
            + " w.previous_secret_until, coalesce(w.enabled and w.lease_owner = $2, false) as held,"
            + " d.id as delivery_id, d.position, d.event_id, d.attempts, d.next_attempt_at <= now() as due"
            + " from strata_meta.webhook_endpoints w left join lateral (select id, feed_txid, position, event_id,"
            + "   attempts, next_attempt_at from strata_meta.webhook_deliveries"
            + "   where endpoint_id = w.id and state = 'pending' order by feed_txid, position limit $3) d on true"
            + " where w.id = any($1) order by w.id, d.feed_txid, d.position")
        .execute(Tuple.of(ids.toArray(String[]::new), owner, max))
        .map(rows -> {
          Map<String, Queue> byId = new LinkedHashMap<>();
          for (Row r : rows) {
            Queue q = byId.computeIfAbsent(r.getString("id"),
                id -> new Queue(r.getBoolean("held") ? target(r) : null, new ArrayList<>()));
            if (r.getValue("delivery_id") != null) {
              q.heads().add(new Head(r.getLong("delivery_id"), r.getLong("position"), r.getUUID("event_id"), null,
                  r.getInteger("attempts"), r.getBoolean("due")));
            }
          }
          return ids.stream().map(id -> byId.getOrDefault(id, new Queue(null, List.of()))).toList();
        });
  }

  /** How an attempt ended, and what follows for the delivery and the endpoint. */
  public record Outcome(Instant at, Integer statusCode, int latencyMs, String error, boolean success,
      boolean gone, Duration retryIn, boolean lastAttempt) {}

  /**
   * Records a failed attempt and its consequences in one transaction: the delivery retried later or
   * failed, the endpoint's failure clock started, and the endpoint disabled when the receiver said
   * 410 Gone or has failed for longer than {@code disableAfter}. Answers the reason the endpoint was
   * disabled, if it was. (Deliveries the receiver took are recorded by {@link #delivered}.) Disabling
   * appends {@link WebhookDisabled} to the server's stream in that same transaction, so the row and
   * the event commit together; the transaction takes the appender lock first
   * ({@link EventLog#inAppendTransaction}) and runs again, whole, when another append to the server's
   * stream won the race.
   */
  public Uni<Optional<String>> recordFailure(String endpointId, long deliveryId, Outcome o, Duration disableAfter) {
    return log.inAppendTransaction(tx -> tx.preparedQuery("insert into strata_meta.webhook_attempts"
            + " (delivery_id, at, status_code, latency_ms, error) values ($1, $2, $3, $4, $5)")
        .execute(Tuple.from(Arrays.asList(deliveryId, o.at().atOffset(ZoneOffset.UTC), o.statusCode(),
            o.latencyMs(), o.error())))
        .chain(() -> tx.preparedQuery("update strata_meta.webhook_deliveries set attempts = attempts + 1,"
                + " state = case when $2 then 'failed' else 'pending' end,"
                + " next_attempt_at = now() + $3::bigint * interval '1 millisecond', updated_at = now()"
                + " where id = $1").execute(Tuple.of(deliveryId, o.lastAttempt(), o.retryIn().toMillis())))
        .chain(() -> failing(tx, endpointId, o, disableAfter)))
        .onFailure(ExpectedVersionConflict.class).retry().atMost(APPEND_ATTEMPTS - 1);
  }

  /** A delivery the receiver took, and how the attempt went. */
  public record Delivered(long deliveryId, Outcome outcome) {}

  /** The deliveries one run took to an endpoint. */
  public record Run(String endpointId, List<Delivered> delivered) {}

  /**
   * Records runs, of one or several endpoints, in one statement (one round trip and one commit for
   * all of them): their attempts, the deliveries delivered, and the endpoints' failure clocks cleared
   * (written only where one runs, so a healthy endpoint's row is not rewritten at every run). A
   * success neither disables an endpoint nor appends an event, so unlike {@link #recordFailure} this takes
   * no appender lock.
   */
  public Uni<Void> delivered(List<Run> runs) {
    List<Delivered> done = runs.stream().flatMap(r -> r.delivered().stream()).toList();
    return pool.preparedQuery("with attempt as (insert into strata_meta.webhook_attempts"
            + "   (delivery_id, at, status_code, latency_ms, error)"
            + "   select u.* from unnest($1::bigint[], $2::timestamptz[], $3::int[], $4::int[], $5::text[])"
            + "     as u(delivery_id, at, status_code, latency_ms, error)"
            // a delivery deleted meanwhile (with its endpoint) has no attempt to record, and must not
            // fail the record of the other endpoints' runs
            + "   where exists (select 1 from strata_meta.webhook_deliveries d where d.id = u.delivery_id)),"
            + " delivery as (update strata_meta.webhook_deliveries set state = 'delivered', attempts = attempts + 1,"
            + "   updated_at = now() where id = any($1::bigint[]) and state = 'pending')"
            + " update strata_meta.webhook_endpoints set failing_since = null"
            + " where id = any($6) and failing_since is not null")
        .execute(Tuple.from(Arrays.asList(column(done, Delivered::deliveryId, Long[]::new),
            column(done, d -> d.outcome().at().atOffset(ZoneOffset.UTC), OffsetDateTime[]::new),
            column(done, d -> d.outcome().statusCode(), Integer[]::new),
            column(done, d -> d.outcome().latencyMs(), Integer[]::new),
            column(done, d -> d.outcome().error(), String[]::new),
            column(runs, Run::endpointId, String[]::new))))
        .replaceWithVoid();
  }

  private Uni<Optional<String>> failing(SqlConnection tx, String endpointId, Outcome o, Duration disableAfter) {
    return tx.preparedQuery("update strata_meta.webhook_endpoints set failing_since = coalesce(failing_since, now())"
            + " where id = $1 returning failing_since < now() - $2::bigint * interval '1 millisecond' as too_long,"
            + " failing_since")
        .execute(Tuple.of(endpointId, disableAfter.toMillis()))
        .chain(rows -> {
          if (rows.rowCount() == 0) {
            return Uni.createFrom().item(Optional.<String>empty()); // deleted meanwhile
          }
          Row r = rows.iterator().next();
          String reason = o.gone() ? "the receiver answered 410 Gone"
              : r.getBoolean("too_long") ? "every attempt failed since " + r.getOffsetDateTime("failing_since")
                  .toInstant() + " (longer than STRATA_WEBHOOKS_DISABLE_AFTER, " + disableAfter + ")"
              : null;
          if (reason == null) {
            return Uni.createFrom().item(Optional.<String>empty());
          }
          return tx.preparedQuery("update strata_meta.webhook_endpoints set enabled = false, disabled_reason = $2,"
                  + " disabled_at = now(), updated_at = now() where id = $1 and enabled returning url")
              .execute(Tuple.of(endpointId, reason))
              .chain(done -> done.rowCount() == 0 ? Uni.createFrom().item(Optional.<String>empty())
                  : appendDisabled(tx, endpointId, done.iterator().next().getString("url"), reason)
                      .replaceWith(Optional.of(reason)));
        });
  }

  /** Appends {@link WebhookDisabled} to the server's stream, in the transaction that disabled the endpoint. */
  private Uni<Void> appendDisabled(SqlConnection tx, String endpointId, String url, String reason) {
    NewEvent event = NewEvent.of(new WebhookDisabled(endpointId, url, reason), Instant.now(), SERVER_ACTOR,
        UUID.randomUUID().toString());
    return log.streamVersion(tx, EventEnvelope.SERVER_STREAM)
        .chain(version -> log.append(tx, EventEnvelope.SERVER_STREAM, version, List.of(event), List.of()))
        .replaceWithVoid();
  }

  // --- rows ----------------------------------------------------------------------------------------

  /** One field of every row, as an array parameter (for {@code unnest} or {@code any}). */
  private static <R, T> T[] column(List<R> rows, Function<R, T> field, IntFunction<T[]> array) {
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
        new WebhookFilter(list(r.getArrayOfStrings("filter_repositories")), list(r.getArrayOfStrings("filter_types")),
            list(r.getArrayOfStrings("filter_branches"))),
        r.getBoolean("enabled"), r.getString("disabled_reason"), instant(r.getOffsetDateTime("disabled_at")),
        instant(r.getOffsetDateTime("failing_since")), instant(r.getOffsetDateTime("previous_secret_until")),
        r.getLong("start_position"), instant(r.getOffsetDateTime("created_at")),
        instant(r.getOffsetDateTime("updated_at")));
  }

  private static Target target(Row r) {
    return new Target(r.getString("id"), r.getString("url"), r.getString("secret"), r.getString("previous_secret"),
        instant(r.getOffsetDateTime("previous_secret_until")));
  }

  private static Delivery delivery(Row r, List<Attempt> attempts) {
    return new Delivery(r.getLong("id"), r.getString("endpoint_id"), r.getLong("position"), r.getUUID("event_id"),
        r.getString("event_type"), r.getString("repository"), r.getString("state"), r.getInteger("attempts"),
        instant(r.getOffsetDateTime("next_attempt_at")), instant(r.getOffsetDateTime("created_at")),
        instant(r.getOffsetDateTime("updated_at")), attempts);
  }

  private static Instant instant(OffsetDateTime t) {
    return t == null ? null : t.toInstant();
  }
}
