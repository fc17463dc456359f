package io.strata.projections.log;

/** Every statement of the event log, in one place. */
final class EventLogSql {
  private EventLogSql() {}

  /**
   * The append's feed key: the next transaction id of this statement's snapshot. It runs after
   * {@link #PUBLISH_FEED_BOUND} took effect, so it is at least the bound the transaction published,
   * and at least the next id of any reader that looked for bounds before it was published (see
   * {@link #FEED_HORIZON}). Keys of concurrent appends may be equal; the position orders them. It needs
   * a statement snapshot, so appends run READ COMMITTED (the server's pool sets it for every connection).
   */
  private static final String FEED_KEY = "pg_snapshot_xmax(pg_current_snapshot())::text::bigint";

  /** Creates a stream at version $2; answers the append's feed key ({@link #FEED_KEY}). */
  static final String CREATE_STREAM =
      "insert into strata_meta.streams (stream_id, version, last_txid)"
          + " values ($1, $2, " + FEED_KEY + ")"
          + " on conflict (stream_id) do nothing returning last_txid";

  /**
   * Advances a stream from version $2 to $3; answers the append's feed key. An append whose key is
   * below the stream's last one conflicts (and runs again with a new key), so each stream's events
   * come in the feed in version order (equal keys are ordered by position, which grows).
   */
  static final String ADVANCE_STREAM =
      "update strata_meta.streams set version = $3, updated_at = now(), last_txid = " + FEED_KEY
          + " where stream_id = $1 and version = $2 and last_txid <= " + FEED_KEY
          + " returning last_txid";

  static final String INSERT_EVENT =
      "insert into strata_meta.events (stream_id, stream_version, event_id, type, subject, time,"
          + " actor, correlation_id, causation_id, data, txid)"
          + " values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::text::jsonb, $11) returning position";

  /**
   * Stores an answer; a key stored before and expired ($7: the lifetime in ms), or stored for another
   * incarnation of its branch ($8: one deleted since and created again), is taken over, a live one is not.
   */
  static final String INSERT_IDEMPOTENCY =
      "insert into strata_meta.idempotency_keys (key, fingerprint, stream_id, status, response, position,"
          + " branch_incarnation) values ($1, $2, $3, $4, $5, $6, $8)"
          + " on conflict (key) do update set fingerprint = excluded.fingerprint,"
          + " stream_id = excluded.stream_id, status = excluded.status, response = excluded.response,"
          + " position = excluded.position, branch_incarnation = excluded.branch_incarnation, created_at = now()"
          + " where idempotency_keys.created_at <= now() - $7::bigint * interval '1 millisecond'"
          + " or idempotency_keys.branch_incarnation is distinct from excluded.branch_incarnation returning key";

  /** A stored answer younger than $2 ms. */
  static final String FIND_IDEMPOTENCY =
      "select fingerprint, status, response, position, branch_incarnation from strata_meta.idempotency_keys"
          + " where key = $1"
          + " and created_at > now() - $2::bigint * interval '1 millisecond'";

  /** Deletes a stream's answers: a deleted repository's keys do not replay into one created later. */
  static final String FORGET_IDEMPOTENCY = "delete from strata_meta.idempotency_keys where stream_id = $1";

  /** Deletes up to 10 000 answers older than $1 ms (created_at is indexed); run until it deletes none. */
  static final String PURGE_IDEMPOTENCY =
      "delete from strata_meta.idempotency_keys where key in (select key from strata_meta.idempotency_keys"
          + " where created_at <= now() - $1::bigint * interval '1 millisecond' limit 10000)";

  static final String EVENT_COLUMNS =
      "position, stream_id, stream_version, event_id, type, subject, time, actor, correlation_id,"
          + " causation_id, data::text as data";

  static final String READ_STREAM =
      "select " + EVENT_COLUMNS + " from strata_meta.events"
          + " where stream_id = $1 and stream_version > $2 and stream_version <= $3"
          + " order by stream_version limit $4";

  /**
   * Published by every append before it takes its feed key ({@link #FEED_KEY}): a shared advisory
   * lock, held to the end of the transaction, whose second key is a lower bound of that feed key (the
   * next transaction id of this statement's snapshot, its low 32 bits). Class 1398035554 ('Stru') is
   * distinct from every other advisory lock Strata takes (those use the one-bigint form). A
   * transaction takes it only when it appends, so the work before (a merge of 100K rows) holds no
   * reader of the feed back.
   */
  static final String PUBLISH_FEED_BOUND = "select pg_advisory_xact_lock_shared(1398035554, (" + FEED_KEY
      + ")::bit(32)::int)";

  /**
   * The feed's horizon: no event will ever commit with a feed key below it. It is the smallest bound
   * published by an open append ({@link #PUBLISH_FEED_BOUND}), else this statement's snapshot's next
   * transaction id. An append that had not published when this statement looked publishes later and
   * then takes its key from a later snapshot, whose next id is at least this one's; an append whose
   * key is below the horizon had ended (its lock released after its commit became visible), so a
   * later statement sees its events. Bounds hold 32 bits; they are widened against the snapshot's
   * next id, from which they differ by less than 2^31. A user's long transaction that appends nothing
   * (an ETL job on a tracked table) publishes nothing and does not hold the feed back, as
   * {@code pg_snapshot_xmin} would.
   *
   * <p>Its second column says whether the feed is stalled: committed events at or above the next id
   * with no append open. An append that took its transaction id before others completed (a merge
   * writes rows first) gets a key above its own id; once it commits, the next id of later snapshots
   * stays at that key until some transaction with a newer id completes, which on a quiet server may
   * be never. The reader then completes one ({@link #ADVANCE_NEXT_ID}) and reads the horizon again.
   */
  static final String FEED_HORIZON =
      "select h.horizon, h.horizon = h.next and exists (select 1 from strata_meta.events e"
          + " where e.txid >= h.next) as stalled"
          + " from (select s.next, least(s.next, coalesce((select min(s.next + ((l.objid::text::bigint"
          + " - s.next % 4294967296 + 6442450944) % 4294967296) - 2147483648)"
          + " from pg_locks l where l.locktype = 'advisory' and l.classid = 1398035554 and l.objsubid = 2"
          + " and l.granted), s.next)) as horizon"
          + " from (select pg_snapshot_xmax(pg_current_snapshot())::text::bigint as next) s) h";

  /**
   * A transaction of its own that takes a transaction id and ends: later snapshots' next id is above
   * every id assigned before it, so events a stalled feed ({@link #FEED_HORIZON}) held back come below it.
   */
  static final String ADVANCE_NEXT_ID = "select pg_current_xact_id()";

  /**
   * The feed: events below the horizon $1 ({@link #FEED_HORIZON}, read by an earlier statement),
   * after the cursor ($2 txid, $3 position) in (txid, position) order; $4 types (null: all), $5 limit.
   */
  static final String READ_FEED = feed("");

  /** The feed of the streams $6 only. */
  static final String READ_FEED_OF_STREAMS = feed(" and stream_id = any($6)");

  private static String feed(String streams) {
    return "select " + EVENT_COLUMNS + ", txid from strata_meta.events"
        + " where txid < $1 and (txid, position) > ($2, $3)" + streams
        + " and ($4::text[] is null or type = any($4))"
        + " order by txid, position limit $5";
  }

  /** The last event below the horizon $1: where a reader that wants only new events starts. */
  static final String FEED_END =
      "select txid, position from strata_meta.events where txid < $1 order by txid desc, position desc limit 1";

  static final String FEED_CURSOR = "select txid from strata_meta.events where position = $1";

  static final String STREAM_VERSION =
      "select version from strata_meta.streams where stream_id = $1";

  static final String STREAMS =
      "select stream_id, version from strata_meta.streams";

  static final String READ_AT =
      "select " + EVENT_COLUMNS + " from strata_meta.events where position = any($1::bigint[])";

  static final String FIND_POSITION =
      "select stream_id, stream_version from strata_meta.events where position = $1";
}
