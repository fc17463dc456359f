package io.strata.server.reactors.webhooks;

import static io.strata.server.reactors.webhooks.WebhookStore.column;
import static io.strata.server.reactors.webhooks.WebhookStore.instant;

import io.smallrye.mutiny.Uni;
import io.strata.events.EventEnvelope;
import io.strata.events.WebhookDisabled;
import io.strata.projections.log.EventLog;
import io.strata.projections.log.ExpectedVersionConflict;
import io.strata.projections.log.NewEvent;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
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

/**
 * The statements the webhook sender runs (V15__webhooks.sql): endpoints' leases, which keep two
 * servers from sending to one at once; the queues of the endpoints held, read together; and the
 * record of attempts, the runs of several endpoints together and a failure with what follows from it.
 */
@ApplicationScoped
public class SenderStore {
  /** The actor of the events the server appends of its own accord. */
  static final String SERVER_ACTOR = "strata";
  /** How often an attempt is recorded again when its server event lost a race on the server's stream. */
  private static final int APPEND_ATTEMPTS = 5;

  @Inject Pool pool;
  @Inject EventLog log;

  /** What a sender needs to deliver to an endpoint: where, and the secrets to sign with. */
  public record Target(String id, String url, String secret, String previousSecret, Instant previousSecretUntil) {
    /** The secrets that sign now: the current one, and the previous one during its overlap. */
    public List<String> signingSecrets(Instant now) {
      return previousSecret != null && previousSecretUntil != null && previousSecretUntil.isAfter(now)
          ? List.of(secret, previousSecret) : List.of(secret);
    }
  }

  /** A pending delivery as the sender takes it: its body ({@link Payloads}) is null until it is looked up. */
  public record Head(long id, long position, UUID eventId, byte[] payload, int attempts, boolean due) {
    Head withPayload(byte[] body) {
      return new Head(id, position, eventId, body, attempts, due);
    }
  }

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
   * the event commit together; the transaction ({@link EventLog#inAppendTransaction}) runs again,
   * whole, when another append to the server's stream won the race.
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
   * success neither disables an endpoint nor appends an event, so unlike {@link #recordFailure} this is
   * no append transaction.
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

  private static Target target(Row r) {
    return new Target(r.getString("id"), r.getString("url"), r.getString("secret"), r.getString("previous_secret"),
        instant(r.getOffsetDateTime("previous_secret_until")));
  }
}
