package io.strata.projections.graph;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.smallrye.mutiny.Uni;
import io.strata.events.Author;
import io.strata.events.EventCodec;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/** Reads of the commit graph projection: commits, prefixes, ancestry, log, merge base. */
public final class CommitGraph {
  private final Pool pool;

  public CommitGraph(Pool pool) {
    this.pool = pool;
  }

  public Uni<Optional<CommitRow>> commit(String repository, String id) {
    return pool.preparedQuery(GraphSql.COMMIT).execute(Tuple.of(repository, id))
        .map(rows -> rows.rowCount() == 0 ? Optional.empty() : Optional.of(toCommit(rows.iterator().next())));
  }

  /** Up to {@code limit} ids that start with the lower-case hex {@code prefix}. */
  public Uni<List<String>> idsWithPrefix(String repository, String prefix, int limit) {
    return pool.preparedQuery(GraphSql.BY_PREFIX)
        .execute(Tuple.of(repository, prefix, prefix + "g", limit))
        .map(rows -> {
          List<String> ids = new ArrayList<>();
          rows.forEach(r -> ids.add(r.getString(0)));
          return ids;
        });
  }

  /** The {@code n}-th first-parent ancestor of {@code id}, if the history is that long. */
  public Uni<Optional<String>> firstParentAncestor(String repository, String id, int n) {
    return pool.preparedQuery(GraphSql.FIRST_PARENT_ANCESTOR).execute(Tuple.of(repository, id, n))
        .map(rows -> {
          Row r = rows.iterator().next();
          return r.getInteger(1) == n ? Optional.of(r.getString(0)) : Optional.empty();
        });
  }

  public Uni<LogPage> log(String repository, String head, LogFilter filter, int limit, int offset) {
    Tuple params = Tuple.from(new Object[] {
        repository, head, filter.firstParent(), filter.author(),
        filter.since() == null ? null : filter.since().atOffset(ZoneOffset.UTC),
        filter.until() == null ? null : filter.until().atOffset(ZoneOffset.UTC),
        filter.table(), limit, offset});
    return pool.preparedQuery(GraphSql.LOG).execute(params)
        .map(rows -> {
          long total = 0;
          List<CommitRow> commits = new ArrayList<>();
          for (Row r : rows) {
            total = r.getLong("total");
            if (r.getString("id") != null) {
              commits.add(toCommit(r));
            }
          }
          return new LogPage(commits, total);
        });
  }

  public Uni<Comparison> compare(String repository, String base, String head) {
    return pool.preparedQuery(GraphSql.COMPARE).execute(Tuple.of(repository, base, head))
        .map(rows -> {
          Row r = rows.iterator().next();
          return new Comparison(r.getString("merge_base"), r.getLong("ahead"), r.getLong("behind"));
        });
  }

  /** Whether {@code commit} is one of {@code tips} or an ancestor of one. */
  public Uni<Boolean> isReachableFrom(String repository, String commit, List<String> tips) {
    if (tips.isEmpty()) {
      return Uni.createFrom().item(false);
    }
    return pool.preparedQuery(GraphSql.REACHABLE)
        .execute(Tuple.of(repository, commit, tips.toArray(String[]::new)))
        .map(rows -> rows.iterator().next().getBoolean(0));
  }

  static CommitRow toCommit(Row r) {
    try {
      return new CommitRow(
          r.getString("id"),
          Arrays.asList(r.getArrayOfStrings("parents")),
          r.getString("tree"),
          r.getString("message"),
          new Author(r.getString("author_name"), r.getString("author_email")),
          r.getOffsetDateTime("created_at").toInstant(),
          r.getInteger("generation"),
          r.getString("branch"),
          EventCodec.mapper().readTree(r.getString("stats")),
          EventCodec.mapper().readTree(r.getString("changes")));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("unreadable commit row", e);
    }
  }

  public record LogFilter(boolean firstParent, String author, Instant since, Instant until, String table) {
    public static final LogFilter NONE = new LogFilter(false, null, null, null, null);
  }

  public record LogPage(List<CommitRow> commits, long total) {}

  public record Comparison(String mergeBase, long ahead, long behind) {}
}
