package io.strata.projections.refs;

import io.smallrye.mutiny.Uni;
import io.strata.events.Author;
import io.strata.projections.refs.RefRows.BranchRow;
import io.strata.projections.refs.RefRows.Page;
import io.strata.projections.refs.RefRows.RepositoryRow;
import io.strata.projections.refs.RefRows.TagRow;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.Tuple;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/** Reads of the repositories, branches, reflog and tags projections. */
public final class RefQueries {
  private final Pool pool;

  public RefQueries(Pool pool) {
    this.pool = pool;
  }

  public Uni<Optional<RepositoryRow>> repository(String name) {
    return pool.preparedQuery(RefSql.REPOSITORY).execute(Tuple.of(name))
        .map(rows -> first(rows, RefQueries::toRepository));
  }

  public Uni<Page<RepositoryRow>> repositories(int limit, int offset) {
    return Uni.combine().all()
        .unis(pool.preparedQuery(RefSql.REPOSITORIES).execute(Tuple.of(limit, offset)),
            pool.query(RefSql.REPOSITORY_COUNT).execute())
        .with((rows, count) -> new Page<>(all(rows, RefQueries::toRepository), count(count)));
  }

  /** A page of the repositories among {@code names} (those a token may see). */
  public Uni<Page<RepositoryRow>> repositoriesAmong(Collection<String> names, int limit, int offset) {
    String[] among = names.toArray(String[]::new);
    return Uni.combine().all()
        .unis(pool.preparedQuery(RefSql.REPOSITORIES_AMONG).execute(Tuple.of(limit, offset, among)),
            pool.preparedQuery(RefSql.REPOSITORY_COUNT_AMONG).execute(Tuple.of((Object) among)))
        .with((rows, count) -> new Page<>(all(rows, RefQueries::toRepository), count(count)));
  }

  public Uni<Optional<BranchRow>> branch(String repository, String name) {
    return pool.preparedQuery(RefSql.BRANCH).execute(Tuple.of(repository, name))
        .map(rows -> first(rows, RefQueries::toBranch));
  }

  /** The merge in progress on {@code branch}: the event that began it (JSON) and the conflicts left. */
  /** The rebase in progress on a branch, if any. */
  public Uni<Optional<RepositorySnapshot.RebaseInProgress>> rebase(String repository, String branch) {
    return pool.preparedQuery("select started::text, done from strata_meta.rebases where repository = $1 and branch = $2")
        .execute(Tuple.of(repository, branch))
        .map(rows -> first(rows, r -> new RepositorySnapshot.RebaseInProgress(r.getString(0), r.getInteger(1))));
  }

  /** A branch's stashes, newest first, with when each was saved. */
  public Uni<List<StashRow>> stashes(String repository, String branch) {
    return pool.preparedQuery("select created::text, created_at from strata_meta.stashes where repository = $1"
            + " and branch = $2 order by seq desc")
        .execute(Tuple.of(repository, branch))
        .map(rows -> {
          List<StashRow> stashes = new java.util.ArrayList<>();
          rows.forEach(r -> stashes.add(new StashRow(RepositorySnapshot.stash(r.getString(0)),
              r.getOffsetDateTime(1).toInstant())));
          return stashes;
        });
  }

  /** A stash: the event that saved it, and when. */
  public record StashRow(io.strata.events.StashCreated created, java.time.Instant createdAt) {}

  public Uni<Optional<RepositorySnapshot.MergeInProgress>> merge(String repository, String branch) {
    return pool.preparedQuery("select started::text, remaining from strata_meta.merges where repository = $1"
            + " and branch = $2").execute(Tuple.of(repository, branch))
        .map(rows -> first(rows, r -> new RepositorySnapshot.MergeInProgress(r.getString(0), r.getLong(1))));
  }

  public Uni<Page<BranchRow>> branches(String repository, int limit, int offset) {
    return Uni.combine().all()
        .unis(pool.preparedQuery(RefSql.BRANCHES).execute(Tuple.of(repository, limit, offset)),
            pool.preparedQuery(RefSql.BRANCH_COUNT).execute(Tuple.of(repository)))
        .with((rows, count) -> new Page<>(all(rows, RefQueries::toBranch), count(count)));
  }

  public Uni<List<BranchRow>> allBranches(String repository) {
    return pool.preparedQuery(RefSql.ALL_BRANCHES).execute(Tuple.of(repository))
        .map(rows -> all(rows, RefQueries::toBranch));
  }

  /**
   * The head of {@code branch} at {@code time} from the reflog: empty when the branch did not exist
   * then (not created yet, or deleted).
   */
  public Uni<Optional<String>> headAt(String repository, String branch, Instant time) {
    return pool.preparedQuery(RefSql.HEAD_AT)
        .execute(Tuple.of(repository, branch, time.atOffset(ZoneOffset.UTC)))
        .map(rows -> first(rows, r -> r.getString(0)));
  }

  public Uni<Optional<TagRow>> tag(String repository, String name) {
    return pool.preparedQuery(RefSql.TAG).execute(Tuple.of(repository, name))
        .map(rows -> first(rows, RefQueries::toTag));
  }

  public Uni<Page<TagRow>> tags(String repository, int limit, int offset) {
    return Uni.combine().all()
        .unis(pool.preparedQuery(RefSql.TAGS).execute(Tuple.of(repository, limit, offset)),
            pool.preparedQuery(RefSql.TAG_COUNT).execute(Tuple.of(repository)))
        .with((rows, count) -> new Page<>(all(rows, RefQueries::toTag), count(count)));
  }

  private static long count(RowSet<Row> rows) {
    return rows.iterator().next().getLong(0);
  }

  private static <T> Optional<T> first(RowSet<Row> rows, Function<Row, T> map) {
    var it = rows.iterator();
    return it.hasNext() ? Optional.ofNullable(map.apply(it.next())) : Optional.empty();
  }

  private static <T> List<T> all(RowSet<Row> rows, Function<Row, T> map) {
    List<T> items = new ArrayList<>(rows.rowCount());
    rows.forEach(r -> items.add(map.apply(r)));
    return items;
  }

  private static RepositoryRow toRepository(Row r) {
    return new RepositoryRow(r.getString("name"), r.getString("description"), r.getString("default_branch"),
        r.getOffsetDateTime("created_at").toInstant(), r.getString("head"));
  }

  private static BranchRow toBranch(Row r) {
    return new BranchRow(r.getString("name"), r.getString("head"), r.getBoolean("protected"),
        r.getString("created_from"), r.getOffsetDateTime("created_at").toInstant(),
        r.getOffsetDateTime("updated_at").toInstant());
  }

  private static TagRow toTag(Row r) {
    return new TagRow(r.getString("name"), r.getString("commit_id"), r.getString("message"),
        new Author(r.getString("tagger_name"), r.getString("tagger_email")),
        r.getOffsetDateTime("created_at").toInstant());
  }
}
