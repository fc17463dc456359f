package io.strata.projections.log;

/** Every statement of the event log, in one place. */
final class EventLogSql {
  private EventLogSql() {}

  static final String CREATE_STREAM =
      "insert into strata_meta.streams (stream_id, version, last_txid)"
          + " values ($1, $2, pg_current_xact_id()::text::bigint)"
          + " on conflict (stream_id) do nothing returning version";

  static final String ADVANCE_STREAM =
      "update strata_meta.streams set version = $3, updated_at = now(),"
          + " last_txid = pg_current_xact_id()::text::bigint"
          + " where stream_id = $1 and version = $2 and last_txid < pg_current_xact_id()::text::bigint"
          + " returning version";

  static final String INSERT_EVENT =
      "insert into strata_meta.events (stream_id, stream_version, event_id, type, subject, time,"
          + " actor, correlation_id, causation_id, data)"
          + " values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::text::jsonb) returning position";

  /** Stores an answer; a key stored before and expired ($7: the lifetime in ms) is taken over, a live one is not. */
  static final String INSERT_IDEMPOTENCY =
      "insert into strata_meta.idempotency_keys (key, fingerprint, stream_id, status, response, position)"
          + " values ($1, $2, $3, $4, $5, $6) on conflict (key) do update set fingerprint = excluded.fingerprint,"
          + " stream_id = excluded.stream_id, status = excluded.status, response = excluded.response,"
          + " position = excluded.position, created_at = now()"
          + " where idempotency_keys.created_at <= now() - $7::bigint * interval '1 millisecond' returning key";

  /** A stored answer younger than $2 ms. */
  static final String FIND_IDEMPOTENCY =
      "select fingerprint, status, response, position from strata_meta.idempotency_keys where key = $1"
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
   * The feed (V13): events of transactions that ended before any still running began, after the
   * cursor ($1 txid, $2 position) in (txid, position) order; $3 streams and $4 types (null: all).
   */
  static final String READ_FEED = feed("");

  /** The feed of the streams $5 only. */
  static final String READ_FEED_OF_STREAMS = feed(" and stream_id = any($5)");

  private static String feed(String streams) {
    return "select " + EVENT_COLUMNS + ", txid from strata_meta.events"
        + " where txid < pg_snapshot_xmin(pg_current_snapshot())::text::bigint"
        + " and (txid, position) > ($1, $2)" + streams
        + " and ($3::text[] is null or type = any($3))"
        + " order by txid, position limit $4";
  }

  static final String FEED_CURSOR = "select txid from strata_meta.events where position = $1";

  static final String STREAM_VERSION =
      "select version from strata_meta.streams where stream_id = $1";

  static final String STREAMS =
      "select stream_id, version from strata_meta.streams";

  static final String FIND_POSITION =
      "select stream_id, stream_version from strata_meta.events where position = $1";
}
