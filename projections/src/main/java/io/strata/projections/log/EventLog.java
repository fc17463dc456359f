package io.strata.projections.log;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.smallrye.mutiny.Uni;
import io.strata.events.EventCodec;
import io.strata.events.EventType;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

/**
 * The event log on PostgreSQL: one stream per repository (and the server's own, {@link
 * io.strata.events.EventEnvelope#SERVER_STREAM}), gapless versions per stream, a global
 * position per event.
 *
 * <p><b>Why feed readers never skip a late commit.</b> Readers (projectors, relays) follow each
 * stream by its version, not by the global position: an append bumps {@code streams.version} and
 * inserts the events in one transaction, and appends to one stream are serialised by that row's
 * compare-and-set, so when a reader sees version {@code v} every version up to {@code v} is already
 * visible. The global position is an identity column and may commit out of order under concurrency;
 * it names an event (for {@code X-Strata-Min-Position} and feeds) but nothing polls by it. The
 * global feed ({@link #readFeed}) orders by a feed key taken when an append runs instead, and waits
 * only for transactions while they append (from the moment they publish a bound of their key to their
 * commit), neither for every long transaction in the cluster as Emmett's {@code pg_snapshot_xmin} rule
 * would (users' own ETL on tracked tables runs in the same PostgreSQL) nor for the data work a command
 * does before it appends (a merge of 100K rows).
 */
public final class EventLog {
  /** How long a command's answer stays under its Idempotency-Key unless told otherwise. */
  public static final Duration DEFAULT_IDEMPOTENCY_TTL = Duration.ofHours(24);

  private final Pool pool;
  private final EventCodec codec;
  private final Duration idempotencyTtl;
  /** Told after every transaction that may have appended here commits (see {@link #onAppended}). */
  private final List<Runnable> appendListeners = new CopyOnWriteArrayList<>();

  public EventLog(Pool pool, EventCodec codec) {
    this(pool, codec, DEFAULT_IDEMPOTENCY_TTL);
  }

  /** @param idempotencyTtl how long an answer replays under its key; older ones are gone (and purged) */
  public EventLog(Pool pool, EventCodec codec, Duration idempotencyTtl) {
    if (idempotencyTtl.isNegative() || idempotencyTtl.isZero()) {
      throw new IllegalArgumentException("the idempotency lifetime must be positive");
    }
    this.idempotencyTtl = idempotencyTtl;
    this.pool = pool;
    this.codec = codec;
  }

  public Pool pool() {
    return pool;
  }

  /**
   * Appends {@code events} to {@code streamId}, which must be at {@code expectedVersion} (0 = the
   * stream does not exist yet), and stores the idempotency records in the same transaction.
   *
   * @throws ExpectedVersionConflict (as the Uni's failure) when the stream moved
   * @throws IdempotencyKeyTaken when a record's key was stored concurrently
   */
  public Uni<AppendResult> append(
      String streamId, long expectedVersion, List<NewEvent> events, List<IdempotencyRecord> keys) {
    if (events.isEmpty()) {
      throw new IllegalArgumentException("nothing to append");
    }
    return inAppendTransaction(tx -> append(tx, streamId, expectedVersion, events, keys));
  }

  /**
   * {@code work} in a transaction that may append, and whose appends the listeners ({@link #onAppended})
   * are told of once it commits. The feed waits for it only from its first append on
   * ({@link EventLogSql#PUBLISH_FEED_BOUND}), so its work before that holds no reader back.
   */
  public <T> Uni<T> inAppendTransaction(Function<SqlConnection, Uni<T>> work) {
    return pool.withTransaction(work)
        .invoke(() -> appendListeners.forEach(listener -> {
          try {
            listener.run();
          } catch (RuntimeException e) {
            // the transaction committed: a listener failing must not make it look failed
          }
        }));
  }

  /**
   * Runs {@code listener} after each transaction that may have appended through this log commits,
   * on the thread that saw the commit: it must be quick and never block (a reader polling the feed
   * uses it to look at once rather than at its next poll). Appends by other servers are not told.
   */
  public void onAppended(Runnable listener) {
    appendListeners.add(listener);
  }

  public void removeAppendListener(Runnable listener) {
    appendListeners.remove(listener);
  }

  public Uni<AppendResult> append(
      SqlConnection tx, String streamId, long expectedVersion, List<NewEvent> events,
      List<IdempotencyRecord> keys) {
    long newVersion = expectedVersion + events.size();
    // the bound first, in a statement of its own: the claim's snapshot, which gives the feed key, is later
    Uni<RowSet<Row>> claim = tx.query(EventLogSql.PUBLISH_FEED_BOUND).execute().chain(() ->
        expectedVersion == 0
            ? tx.preparedQuery(EventLogSql.CREATE_STREAM).execute(Tuple.of(streamId, newVersion))
            : tx.preparedQuery(EventLogSql.ADVANCE_STREAM)
                .execute(Tuple.of(streamId, expectedVersion, newVersion)));
    return claim
        .onItem().transformToUni(rows -> {
          if (rows.rowCount() == 0) {
            return Uni.createFrom().failure(new ExpectedVersionConflict(streamId, expectedVersion));
          }
          return insertEvents(tx, streamId, expectedVersion, rows.iterator().next().getLong(0), events);
        })
        .call(positions -> storeIdempotencyRecords(tx, streamId, withPositions(keys, positions)))
        .onItem().transform(positions -> new AppendResult(streamId, newVersion, positions));
  }

  private Uni<List<Long>> insertEvents(
      SqlConnection tx, String streamId, long expectedVersion, long feedKey, List<NewEvent> events) {
    List<Tuple> rows = new ArrayList<>(events.size());
    long version = expectedVersion;
    for (NewEvent e : events) {
      version++;
      rows.add(
          Tuple.from(
              new Object[] {
                streamId, version, e.id(), EventType.of(e.event()).type(), e.event().subject(),
                e.time().atOffset(ZoneOffset.UTC), e.actor(), e.correlationId(), e.causationId(),
                codec.encodeToString(e.event()), feedKey
              }));
    }
    return tx.preparedQuery(EventLogSql.INSERT_EVENT)
        .executeBatch(rows)
        .onItem().transform(EventLog::positionsOf);
  }

  private static List<Long> positionsOf(RowSet<Row> batch) {
    List<Long> positions = new ArrayList<>();
    for (RowSet<Row> rs = batch; rs != null; rs = rs.next()) {
      for (Row row : rs) {
        positions.add(row.getLong(0));
      }
    }
    return positions;
  }

  private static List<IdempotencyRecord> withPositions(List<IdempotencyRecord> keys, List<Long> positions) {
    long last = positions.get(positions.size() - 1);
    return keys.stream()
        .map(k -> k.position() > 0 ? k : k.at(last))
        .toList();
  }

  /**
   * Stores command answers under their Idempotency-Keys, in the transaction of the append they
   * answer, so that either both the events and the answers exist or neither does.
   *
   * @throws IdempotencyKeyTaken (as the Uni's failure) when a key is already stored
   */
  public Uni<Void> storeIdempotencyRecords(SqlConnection tx, String streamId, List<IdempotencyRecord> keys) {
    if (keys.isEmpty()) {
      return Uni.createFrom().voidItem();
    }
    List<Tuple> rows = new ArrayList<>();
    for (IdempotencyRecord k : keys) {
      rows.add(Tuple.tuple().addValue(k.key()).addValue(k.fingerprint()).addValue(streamId).addValue(k.status())
          .addValue(k.response()).addValue(k.position()).addValue(idempotencyTtl.toMillis())
          .addValue(k.branchIncarnation()));
    }
    return tx.preparedQuery(EventLogSql.INSERT_IDEMPOTENCY)
        .executeBatch(rows)
        .onItem().transformToUni(batch -> {
          int i = 0;
          for (RowSet<Row> rs = batch; rs != null; rs = rs.next(), i++) {
            if (rs.rowCount() == 0) {
              return Uni.createFrom().failure(new IdempotencyKeyTaken(keys.get(i).key()));
            }
          }
          return Uni.createFrom().voidItem();
        });
  }

  /** The answer stored under {@code key}, unless it expired. */
  public Uni<Optional<IdempotencyRecord>> findIdempotencyRecord(String key) {
    return pool.preparedQuery(EventLogSql.FIND_IDEMPOTENCY)
        .execute(Tuple.of(key, idempotencyTtl.toMillis()))
        .onItem().transform(rows -> {
          var it = rows.iterator();
          if (!it.hasNext()) {
            return Optional.empty();
          }
          Row r = it.next();
          return Optional.of(new IdempotencyRecord(
              key, r.getString(0), r.getInteger(1), r.getString(2), r.getLong(3), r.getString(4)));
        });
  }

  /** Deletes every answer stored for {@code streamId}, in the transaction that deletes its repository. */
  public Uni<Void> forgetIdempotencyRecords(SqlConnection tx, String streamId) {
    return tx.preparedQuery(EventLogSql.FORGET_IDEMPOTENCY).execute(Tuple.of(streamId)).replaceWithVoid();
  }

  /** Deletes every expired answer, in batches; answers how many. */
  public Uni<Long> purgeExpiredIdempotencyRecords() {
    return pool.preparedQuery(EventLogSql.PURGE_IDEMPOTENCY).execute(Tuple.of(idempotencyTtl.toMillis()))
        .chain(rows -> rows.rowCount() == 0 ? Uni.createFrom().item(0L)
            : purgeExpiredIdempotencyRecords().map(more -> more + rows.rowCount()));
  }

  /** Events of a stream with {@code afterVersion < version <= upToVersion}, at most {@code limit}. */
  public Uni<List<StoredEvent>> readStream(
      SqlClient client, String streamId, long afterVersion, long upToVersion, int limit) {
    return client.preparedQuery(EventLogSql.READ_STREAM)
        .execute(Tuple.of(streamId, afterVersion, upToVersion, limit))
        .onItem().transform(EventLog::toEvents);
  }

  public Uni<List<StoredEvent>> readStream(String streamId, long afterVersion, int limit) {
    return readStream(pool, streamId, afterVersion, Long.MAX_VALUE, limit);
  }

  public Uni<Long> streamVersion(String streamId) {
    return streamVersion(pool, streamId);
  }

  /** The head version of {@code streamId} (0: no such stream) as {@code client} sees it, e.g. in a transaction. */
  public Uni<Long> streamVersion(SqlClient client, String streamId) {
    return client.preparedQuery(EventLogSql.STREAM_VERSION)
        .execute(Tuple.of(streamId))
        .onItem().transform(rows -> rows.rowCount() == 0 ? 0L : rows.iterator().next().getLong(0));
  }

  /** The head version of every stream. */
  public Uni<Map<String, Long>> streamVersions() {
    return pool.query(EventLogSql.STREAMS)
        .execute()
        .onItem().transform(rows -> {
          Map<String, Long> heads = new LinkedHashMap<>();
          for (Row r : rows) {
            heads.put(r.getString(0), r.getLong(1));
          }
          return heads;
        });
  }

  /** The events at {@code positions} (those that are visible), in no particular order. */
  public Uni<List<StoredEvent>> readAt(List<Long> positions) {
    return pool.preparedQuery(EventLogSql.READ_AT)
        .execute(Tuple.of(positions.toArray(Long[]::new)))
        .onItem().transform(EventLog::toEvents);
  }

  /** The stream and version of the event at {@code position}, if it is visible yet. */
  public Uni<Optional<StreamPoint>> locate(long position) {
    return pool.preparedQuery(EventLogSql.FIND_POSITION)
        .execute(Tuple.of(position))
        .onItem().transform(rows -> {
          var it = rows.iterator();
          if (!it.hasNext()) {
            return Optional.empty();
          }
          Row r = it.next();
          return Optional.of(new StreamPoint(r.getString(0), r.getLong(1)));
        });
  }

  static List<StoredEvent> toEvents(RowSet<Row> rows) {
    List<StoredEvent> events = new ArrayList<>(rows.rowCount());
    for (Row r : rows) {
      events.add(toEvent(r));
    }
    return events;
  }

  private static StoredEvent toEvent(Row r) {
    try {
      return new StoredEvent(
          r.getLong("position"),
          r.getString("stream_id"),
          r.getLong("stream_version"),
          r.getUUID("event_id"),
          r.getString("type"),
          r.getString("subject"),
          r.getOffsetDateTime("time").toInstant(),
          r.getString("actor"),
          r.getString("correlation_id"),
          r.getString("causation_id"),
          EventCodec.mapper().readTree(r.getString("data")));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("unreadable event data at position " + r.getLong("position"), e);
    }
  }

  /**
   * The feed after {@code after}, in commit order (V13__event_feed_order.sql): only events below the
   * horizon, where every appending transaction has ended, so none can later appear behind the cursor.
   * The horizon is read by a statement of its own, before the events (its reason is in
   * {@link EventLogSql#FEED_HORIZON}).
   *
   * @param streams the streams to read (null: all)
   * @param types the event types to read (null: all)
   */
  public Uni<List<FeedEvent>> readFeed(FeedCursor after, List<String> streams, List<String> types, int limit) {
    String[] typeArray = types == null ? null : types.toArray(String[]::new);
    return horizon()
        .chain(horizon -> {
          Tuple args = Tuple.of(horizon, after.txid(), after.position(), typeArray, limit);
          if (streams != null) {
            args.addValue(streams.toArray(String[]::new));
          }
          return pool.preparedQuery(streams == null ? EventLogSql.READ_FEED : EventLogSql.READ_FEED_OF_STREAMS)
              .execute(args);
        })
        .onItem().transform(rows -> {
          List<FeedEvent> events = new ArrayList<>(rows.rowCount());
          for (Row r : rows) {
            events.add(new FeedEvent(toEvent(r), cursor(r)));
          }
          return events;
        });
  }

  /** The cursor after the last event of the feed now: a reader starting there reads only what comes next. */
  public Uni<FeedCursor> feedEnd() {
    return horizon()
        .chain(horizon -> pool.preparedQuery(EventLogSql.FEED_END).execute(Tuple.of(horizon)))
        .map(rows -> rows.rowCount() == 0 ? FeedCursor.START : cursor(rows.iterator().next()));
  }

  /** The feed's horizon; when the feed is stalled behind a committed append, advanced first (see FEED_HORIZON). */
  private Uni<Long> horizon() {
    return pool.query(EventLogSql.FEED_HORIZON).execute().chain(rows -> {
      Row row = rows.iterator().next();
      if (!row.getBoolean("stalled")) {
        return Uni.createFrom().item(row.getLong("horizon"));
      }
      return pool.query(EventLogSql.ADVANCE_NEXT_ID).execute()
          .chain(() -> pool.query(EventLogSql.FEED_HORIZON).execute())
          .map(again -> again.iterator().next().getLong("horizon"));
    });
  }

  private static FeedCursor cursor(Row r) {
    return new FeedCursor(r.getLong("txid"), r.getLong("position"));
  }

  /** The feed cursor just after the event at {@code position} (empty: no event there, or not committed). */
  public Uni<Optional<FeedCursor>> feedCursorAt(long position) {
    if (position == 0) {
      return Uni.createFrom().item(Optional.of(FeedCursor.START));
    }
    return pool.preparedQuery(EventLogSql.FEED_CURSOR).execute(Tuple.of(position))
        .onItem().transform(rows -> rows.rowCount() == 0
            ? Optional.empty()
            : Optional.of(new FeedCursor(rows.iterator().next().getLong(0), position)));
  }

  /** A place in the feed: the feed key (named txid: once it was the transaction id) and position of the last event read. */
  public record FeedCursor(long txid, long position) implements Comparable<FeedCursor> {
    public static final FeedCursor START = new FeedCursor(0, 0);

    /** Feed order: by feed key (the events' txid column: the next transaction id when the append ran), then position. */
    @Override
    public int compareTo(FeedCursor other) {
      int byTxid = Long.compare(txid, other.txid);
      return byTxid != 0 ? byTxid : Long.compare(position, other.position);
    }
  }

  /** An event of the feed, with its place there. */
  public record FeedEvent(StoredEvent event, FeedCursor cursor) {}

  /** A place in one stream. */
  public record StreamPoint(String streamId, long version) {}
}
