package io.strata.server.reactors;

import io.smallrye.mutiny.Uni;
import io.strata.projections.log.EventLog.FeedCursor;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * The checkpoint and lease of each reactor (V14__reactors.sql): at least once, one owner at a time.
 * A reactor claims its lease, acts, then advances its checkpoint with a compare-and-set on the owner,
 * which renews the lease too; a server that lost the lease to another cannot move it.
 */
@ApplicationScoped
public class ReactorCheckpoints {
  private static final String CREATE = "insert into strata_meta.reactors (name) values ($1) on conflict do nothing";
  private static final String CLAIM = "update strata_meta.reactors set owner = $2,"
      + " lease_until = now() + $3::bigint * interval '1 millisecond'"
      + " where name = $1 and (owner is null or owner = $2 or lease_until < now()) returning txid, position";
  private static final String ADVANCE = "update strata_meta.reactors set txid = $3, position = $4, updated_at = now(),"
      + " lease_until = now() + $5::bigint * interval '1 millisecond' where name = $1 and owner = $2";
  private static final String RELEASE = "update strata_meta.reactors set owner = null, lease_until = null"
      + " where name = $1 and owner = $2";
  private static final String STATUS_COLUMNS = "select r.name, r.txid, r.position, r.owner, r.lease_until,"
      + " r.updated_at, (select count(*) from (select 1 from strata_meta.events e"
      + " where (e.txid, e.position) > (r.txid, r.position) limit 1000000) behind) as lag from strata_meta.reactors r";
  private static final String STATUS = STATUS_COLUMNS + " where r.name = $1";
  private static final String LIST = STATUS_COLUMNS + " order by r.name";

  /** This process, as a lease owner. */
  private String owner = "server-" + UUID.randomUUID();

  @Inject Pool pool;

  /** The same checkpoints as another owner would claim them: a second server, in tests. */
  public ReactorCheckpoints asOwner(String other) {
    ReactorCheckpoints copy = new ReactorCheckpoints();
    copy.pool = pool;
    copy.owner = other;
    return copy;
  }

  public String owner() {
    return owner;
  }

  /** Takes or renews the lease of {@code reactor}: its checkpoint when this server holds it now. */
  public Uni<Optional<FeedCursor>> claim(String reactor, Duration lease) {
    return pool.preparedQuery(CREATE).execute(Tuple.of(reactor))
        .chain(() -> pool.preparedQuery(CLAIM).execute(Tuple.of(reactor, owner, lease.toMillis())))
        .map(rows -> rows.rowCount() == 0
            ? Optional.empty()
            : Optional.of(cursor(rows.iterator().next())));
  }

  /**
   * Moves the checkpoint to {@code to} and renews the lease for {@code lease}, if this server still
   * owns the reactor; false if it lost it.
   */
  public Uni<Boolean> advance(String reactor, FeedCursor to, Duration lease) {
    return pool.preparedQuery(ADVANCE).execute(Tuple.of(reactor, owner, to.txid(), to.position(), lease.toMillis()))
        .map(rows -> rows.rowCount() == 1);
  }

  /** Gives the lease up (a clean shutdown): another server takes over at once. */
  public Uni<Void> release(String reactor) {
    return pool.preparedQuery(RELEASE).execute(Tuple.of(reactor, owner)).replaceWithVoid();
  }

  /** Where {@code reactor} stands, and how many events it has yet to act on (counted up to a million). */
  public Uni<Optional<Status>> status(String reactor) {
    return pool.preparedQuery(STATUS).execute(Tuple.of(reactor))
        .map(rows -> rows.rowCount() == 0 ? Optional.empty() : Optional.of(status(rows.iterator().next())));
  }

  /** Every reactor that ever claimed its lease, by name: where it stands and how far behind it is. */
  public Uni<List<Status>> list() {
    return pool.query(LIST).execute().map(rows -> {
      List<Status> all = new ArrayList<>();
      rows.forEach(r -> all.add(status(r)));
      return all;
    });
  }

  private static Status status(Row r) {
    var lease = r.getOffsetDateTime("lease_until");
    return new Status(r.getString("name"), cursor(r), r.getString("owner"), lease == null ? null : lease.toInstant(),
        r.getOffsetDateTime("updated_at").toInstant(), r.getLong("lag"));
  }

  private static FeedCursor cursor(Row r) {
    return new FeedCursor(r.getLong("txid"), r.getLong("position"));
  }

  /** A reactor's checkpoint, owner, and lag (events in the feed after its checkpoint). */
  public record Status(String name, FeedCursor checkpoint, String owner, Instant leaseUntil, Instant updatedAt,
      long lag) {}
}
