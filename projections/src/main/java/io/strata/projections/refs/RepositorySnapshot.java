package io.strata.projections.refs;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.smallrye.mutiny.Uni;
import io.strata.events.EventCodec;
import io.strata.events.EventType;
import io.strata.events.MergeStarted;
import io.strata.events.PromotionPolicySet;
import io.strata.events.StashCreated;
import io.strata.events.RebaseStarted;
import io.strata.projections.storage.StorageQueries;
import io.strata.projections.storage.StorageRow;
import io.strata.projections.tables.TableQueries;
import io.strata.projections.tables.TableRow;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * A consistent read of one repository's ref projections together with the stream version they
 * reflect: the starting point from which the command side rebuilds its state without replaying the
 * whole stream (it folds only the events after {@link #version}).
 */
public record RepositorySnapshot(
    long version,
    long lastPosition,
    RepositoryHeader repository,
    long commitCount,
    List<BranchHead> branches,
    List<Tag> tags,
    List<StorageRow> storages,
    List<TableRow> tables,
    List<MergeInProgress> merges, List<StashCreated> stashes, List<RebaseInProgress> rebases,
    PromotionPolicySet policy, List<io.strata.events.StrataEvent> promotionEvents) {

  /** A promotion policy as its projection keeps it: the event that set it. */
  public static PromotionPolicySet policy(String set) {
    try {
      return (PromotionPolicySet) new EventCodec().decode(EventType.PROMOTION_POLICY_SET.type(),
          EventCodec.mapper().readTree(set));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("unreadable promotion policy", e);
    }
  }

  /** A merge in progress: the event that began it (JSON) and the conflicts left. */
  /** A stash as its projection keeps it: the event that saved it. */
  public static StashCreated stash(String created) {
    try {
      return (StashCreated) new EventCodec().decode(EventType.STASH_CREATED.type(), EventCodec.mapper().readTree(created));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException("unreadable stash", e);
    }
  }

  /** A rebase in progress: the event that began it (JSON), and how many of its commits are done. */
  public record RebaseInProgress(String started, int done) {
    public RebaseStarted event() {
      try {
        return (RebaseStarted) new EventCodec().decode(EventType.REBASE_STARTED.type(),
            EventCodec.mapper().readTree(started));
      } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
        throw new IllegalStateException("unreadable rebase", e);
      }
    }
  }

  public record MergeInProgress(String started, long remaining) {
    private static final EventCodec CODEC = new EventCodec();

    /** The event that began the merge. */
    public MergeStarted event() {
      try {
        return (MergeStarted) CODEC.decode(EventType.MERGE_STARTED.type(), EventCodec.mapper().readTree(started));
      } catch (JsonProcessingException e) {
        throw new IllegalStateException("unreadable merge projection", e);
      }
    }
  }

  public record RepositoryHeader(String name, String description, String defaultBranch) {}

  /** A branch: its head and the head commit's time, protection, and where and when it was created. */
  public record BranchHead(String name, String head, Instant headTime, boolean isProtected, String createdFrom,
      Instant createdAt) {}

  public record Tag(String name, String commit) {}

  private static final String CHECKPOINT =
      "select coalesce(min(version), 0), count(*) from strata_meta.projector_checkpoints"
          + " where stream_id = $1 and projector = any($2::text[])";
  private static final String POSITION =
      "select position from strata_meta.events where stream_id = $1 and stream_version <= $2"
          + " order by stream_version desc limit 1";
  private static final String REPOSITORY =
      "select name, description, default_branch from strata_meta.repositories where name = $1";
  private static final String BRANCHES =
      "select b.name, b.head, b.protected, c.created_at, b.created_from, b.created_at from strata_meta.branches b"
          + " left join strata_meta.commits c on c.repository = b.repository and c.id = b.head"
          + " where b.repository = $1";
  private static final String TAGS = "select name, commit_id from strata_meta.tags where repository = $1";
  private static final String STORAGES =
      "select " + StorageQueries.COLUMNS
          + " from strata_meta.storages where repository = $1";
  private static final String TABLES =
      "select " + TableQueries.COLUMNS + " from strata_meta.tables where repository = $1";
  private static final String MERGES =
      "select started::text, remaining from strata_meta.merges where repository = $1";
  private static final String REBASES = "select started::text, done from strata_meta.rebases where repository = $1";
  /** Oldest first: the stack's bottom first. */
  private static final String STASHES =
      "select created::text from strata_meta.stashes where repository = $1 order by seq";
  /** The policy in force: the newest set. */
  private static final String POLICY = "select policy_set::text from strata_meta.promotion_policies where repository = $1"
      + " order by stream_version desc limit 1";
  private static final String COMMIT_COUNT = "select count(*) from strata_meta.commits where repository = $1";

  /** Reads the snapshot in one repeatable-read transaction, so rows and version agree. */
  public static Uni<RepositorySnapshot> read(Pool pool, String repository, String[] projectors) {
    return pool.withTransaction(tx -> tx.query("set transaction isolation level repeatable read").execute()
        .chain(() -> tx.preparedQuery(CHECKPOINT).execute(Tuple.of(repository, projectors)))
        .chain(rows -> {
          Row r = rows.iterator().next();
          boolean complete = r.getLong(1) == projectors.length;
          long version = complete ? r.getLong(0) : 0;
          return version == 0 ? Uni.createFrom().item(empty()) : readAt(tx, repository, version);
        }));
  }

  private static RepositorySnapshot empty() {
    return new RepositorySnapshot(0, 0, null, 0, List.of(), List.of(), List.of(), List.of(), List.of(), List.of(),
        List.of(), null, List.of());
  }

  private static Uni<RepositorySnapshot> readAt(SqlConnection tx, String repository, long version) {
    Tuple repo = Tuple.of(repository);
    return Uni.combine().all()
        .unis(tx.preparedQuery(POSITION).execute(Tuple.of(repository, version)),
            tx.preparedQuery(REPOSITORY).execute(repo),
            tx.preparedQuery(COMMIT_COUNT).execute(repo),
            tx.preparedQuery(BRANCHES).execute(repo),
            tx.preparedQuery(TAGS).execute(repo),
            tx.preparedQuery(STORAGES).execute(repo),
            tx.preparedQuery(TABLES).execute(repo),
            tx.preparedQuery(MERGES).execute(repo),
            tx.preparedQuery(STASHES).execute(repo),
            tx.preparedQuery(REBASES).execute(repo),
            tx.preparedQuery(POLICY).execute(repo),
            io.strata.projections.promotion.PromotionEventQueries.all(tx, repository))
        .with(rows -> {
          var position = (io.vertx.mutiny.sqlclient.RowSet<Row>) rows.get(0);
          var header = (io.vertx.mutiny.sqlclient.RowSet<Row>) rows.get(1);
          var count = (io.vertx.mutiny.sqlclient.RowSet<Row>) rows.get(2);
          var branchRows = (io.vertx.mutiny.sqlclient.RowSet<Row>) rows.get(3);
          var tagRows = (io.vertx.mutiny.sqlclient.RowSet<Row>) rows.get(4);
          var storageRows = (io.vertx.mutiny.sqlclient.RowSet<Row>) rows.get(5);
          var tableRows = (io.vertx.mutiny.sqlclient.RowSet<Row>) rows.get(6);
          var mergeRows = (io.vertx.mutiny.sqlclient.RowSet<Row>) rows.get(7);
          var stashRows = (io.vertx.mutiny.sqlclient.RowSet<Row>) rows.get(8);
          var rebaseRows = (io.vertx.mutiny.sqlclient.RowSet<Row>) rows.get(9);
          var policyRows = (io.vertx.mutiny.sqlclient.RowSet<Row>) rows.get(10);
          @SuppressWarnings("unchecked")
          var promotionRows = (List<io.strata.projections.promotion.PromotionEventQueries.Recorded>) rows.get(11);
          RepositoryHeader h = null;
          for (Row r : header) {
            h = new RepositoryHeader(r.getString(0), r.getString(1), r.getString(2));
          }
          List<BranchHead> branches = new ArrayList<>();
          for (Row r : branchRows) {
            var time = r.getOffsetDateTime(3);
            var created = r.getOffsetDateTime(5);
            branches.add(new BranchHead(r.getString(0), r.getString(1), time == null ? null : time.toInstant(),
                r.getBoolean(2), r.getString(4), created == null ? null : created.toInstant()));
          }
          List<Tag> tags = new ArrayList<>();
          tagRows.forEach(r -> tags.add(new Tag(r.getString(0), r.getString(1))));
          long last = position.rowCount() == 0 ? 0 : position.iterator().next().getLong(0);
          List<StorageRow> storages = new ArrayList<>();
          storageRows.forEach(r -> storages.add(StorageQueries.toRow(r)));
          List<TableRow> tables = new ArrayList<>();
          tableRows.forEach(r -> tables.add(TableQueries.toRow(r)));
          List<MergeInProgress> merges = new ArrayList<>();
          mergeRows.forEach(r -> merges.add(new MergeInProgress(r.getString(0), r.getLong(1))));
          List<StashCreated> stashes = new ArrayList<>();
          stashRows.forEach(r -> stashes.add(stash(r.getString(0))));
          List<RebaseInProgress> rebases = new ArrayList<>();
          rebaseRows.forEach(r -> rebases.add(new RebaseInProgress(r.getString(0), r.getInteger(1))));
          PromotionPolicySet policy = null;
          for (Row r : policyRows) {
            policy = policy(r.getString(0));
          }
          return new RepositorySnapshot(version, last, h, count.iterator().next().getLong(0), branches, tags,
              storages, tables, merges, stashes, rebases, policy,
              promotionRows.stream().map(io.strata.projections.promotion.PromotionEventQueries.Recorded::event).toList());
        });
  }
}
