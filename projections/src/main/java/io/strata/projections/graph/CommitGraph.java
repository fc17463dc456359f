package io.strata.projections.graph;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.smallrye.mutiny.Uni;
import io.strata.events.Author;
import io.strata.events.EventCodec;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/** Reads of the commit graph projection: commits, prefixes, ancestry, log, merge base. */
public final class CommitGraph {
  private static final int ANCESTRY_CACHE_ENTRIES = 4096;

  private final Pool pool;
  private final Ancestry.Cache ancestries = new Ancestry.Cache(ANCESTRY_CACHE_ENTRIES);

  public CommitGraph(Pool pool) {
    this.pool = pool;
  }

  public Uni<Optional<CommitRow>> commit(String repository, String id) {
    return pool.preparedQuery(GraphSql.COMMIT).execute(Tuple.of(repository, id))
        .map(rows -> rows.rowCount() == 0 ? Optional.empty() : Optional.of(toCommit(rows.iterator().next())));
  }

  /** The tree of commit {@code id}, read through {@code client} (a transaction's connection); null if none. */
  public static Uni<String> tree(SqlClient client, String repository, String id) {
    return client.preparedQuery(GraphSql.TREE).execute(Tuple.of(repository, id))
        .map(rows -> rows.rowCount() == 0 ? null : rows.iterator().next().getString(0));
  }

  /** Whether commit {@code id} was made on {@code branch} at or after {@code since}. */
  public static Uni<Boolean> madeOn(SqlClient client, String repository, String id, String branch,
      java.time.Instant since) {
    return client.preparedQuery(GraphSql.MADE_ON)
        .execute(Tuple.of(repository, id, branch, since.atOffset(java.time.ZoneOffset.UTC)))
        .map(rows -> rows.iterator().next().getBoolean(0));
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

  /**
   * The log from {@code head}, newest first. Without filters it pages through the cached ancestry
   * (O(limit) rows read); with filters it walks the graph in SQL.
   */
  public Uni<LogPage> log(String repository, String head, LogFilter filter, int limit, int offset) {
    if (filter.author() == null && filter.since() == null && filter.until() == null && filter.table() == null) {
      return ancestry(repository, head, filter.firstParent())
          .chain(list -> commitsInOrder(repository, list == null ? List.of() : list.page(offset, limit))
              .map(commits -> new LogPage(commits, list == null ? 0 : list.size)));
    }
    return filteredLog(repository, head, filter, limit, offset);
  }

  private Uni<List<CommitRow>> commitsInOrder(String repository, List<String> ids) {
    if (ids.isEmpty()) {
      return Uni.createFrom().item(List.of());
    }
    return pool.preparedQuery(GraphSql.COMMITS_BY_ID).execute(Tuple.of(repository, ids.toArray(String[]::new)))
        .map(rows -> {
          Map<String, CommitRow> byId = new HashMap<>();
          rows.forEach(r -> byId.put(r.getString("id"), toCommit(r)));
          return ids.stream().map(byId::get).filter(Objects::nonNull).toList();
        });
  }

  /** The ancestry of {@code head}: cached, or its parent's with {@code head} in front, or walked in SQL. */
  Uni<Ancestry> ancestry(String repository, String head, boolean firstParent) {
    String key = Ancestry.Cache.key(repository, head, firstParent);
    Ancestry cached = ancestries.get(key);
    if (cached != null) {
      return Uni.createFrom().item(cached);
    }
    return commit(repository, head).chain(found -> {
      if (found.isEmpty()) {
        return Uni.createFrom().nullItem();
      }
      CommitRow c = found.get();
      List<String> parents = firstParent && !c.parents().isEmpty() ? c.parents().subList(0, 1) : c.parents();
      Ancestry parentList = parents.size() == 1
          ? ancestries.get(Ancestry.Cache.key(repository, parents.get(0), firstParent))
          : null;
      if (parents.isEmpty() || parentList != null
          && Ancestry.precedes(c.createdAt(), c.generation(), parentList)) {
        Ancestry list = new Ancestry(c.id(), c.createdAt(), c.generation(), parentList);
        ancestries.put(key, list);
        return Uni.createFrom().item(list);
      }
      return walk(repository, head, firstParent).invoke(list -> ancestries.put(key, list));
    });
  }

  private Uni<Ancestry> walk(String repository, String head, boolean firstParent) {
    return pool.preparedQuery(GraphSql.ANCESTRY).execute(Tuple.of(repository, head, firstParent))
        .map(rows -> {
          List<String> ids = new ArrayList<>(rows.rowCount());
          List<Instant> times = new ArrayList<>(rows.rowCount());
          List<Integer> generations = new ArrayList<>(rows.rowCount());
          for (Row r : rows) {
            ids.add(r.getString(0));
            times.add(r.getOffsetDateTime(1).toInstant());
            generations.add(r.getInteger(2));
          }
          return Ancestry.of(ids, times, generations);
        });
  }

  private Uni<LogPage> filteredLog(String repository, String head, LogFilter filter, int limit, int offset) {
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

  /**
   * The change sets that lead from {@code ancestor} to {@code head}, per table, oldest first, read with
   * {@code client} (so a caller can read them in the same snapshot as the rows they apply to). The path
   * follows first parents where it can; through a merge commit's second parent it takes the merge's
   * change set from its source. One walk serves every table.
   */
  public static Uni<Map<String, List<String>>> changeSetsBetween(SqlClient client,
      String repository, String ancestor, String head) {
    if (ancestor.equals(head)) {
      return Uni.createFrom().item(Map.of());
    }
    return client.preparedQuery(GraphSql.PATH_CANDIDATES).execute(Tuple.of(repository, head, ancestor))
        .map(rows -> {
          Map<String, Step> commits = new HashMap<>();
          for (Row r : rows) {
            commits.put(r.getString(0), new Step(Arrays.asList(r.getArrayOfStrings(1)), r.getString(2),
                r.getString(3)));
          }
          Map<String, List<String>> newestFirst = new HashMap<>();
          for (Edge edge : path(commits, head, ancestor)) {
            edge.changeSets().forEach((table, changeSet) ->
                newestFirst.computeIfAbsent(table, t -> new ArrayList<>()).add(changeSet));
          }
          newestFirst.values().forEach(Collections::reverse);
          return newestFirst;
        });
  }

  /** A commit of a path: its parents, change sets from its first parent, and its merge (JSON, or null). */
  private record Step(List<String> parents, String changes, String merge) {}

  /** A step from a commit to one of its parents, and the change sets that lead back from it. */
  private record Edge(String commit, int parent, Map<String, String> changeSets) {}

  /**
   * The edges from {@code head} back to {@code ancestor}, newest first: a depth-first search that tries
   * first parents first, so a linear history is walked as it is.
   */
  private static List<Edge> path(Map<String, Step> commits, String head, String ancestor) {
    Map<String, Edge> reachedBy = new HashMap<>();
    ArrayDeque<String> stack = new ArrayDeque<>();
    Set<String> seen = new HashSet<>();
    stack.push(head);
    seen.add(head);
    while (!stack.isEmpty()) {
      String id = stack.pop();
      if (id.equals(ancestor)) {
        List<Edge> edges = new ArrayList<>();
        for (String at = ancestor; !at.equals(head); ) {
          Edge e = reachedBy.get(at);
          edges.add(e);
          at = e.commit();
        }
        Collections.reverse(edges);
        return edges;
      }
      Step step = commits.get(id);
      if (step == null) {
        continue; // below the ancestor's generation
      }
      for (int i = step.parents().size() - 1; i >= 0; i--) { // pushed last, popped first: the first parent
        String parent = step.parents().get(i);
        if (seen.add(parent)) {
          reachedBy.put(parent, new Edge(id, i, changeSets(step, i)));
          stack.push(parent);
        }
      }
    }
    throw new IllegalStateException("commit " + ancestor + " is not an ancestor of " + head);
  }

  /** Per table, the change set that leads from a commit's parent {@code parent} to the commit. */
  private static Map<String, String> changeSets(Step step, int parent) {
    try {
      Map<String, String> byTable = new HashMap<>();
      if (parent == 0) {
        for (var change : EventCodec.mapper().readTree(step.changes())) {
          byTable.put(change.path("table").asText(), change.path("change_set").asText());
        }
      } else if (parent == 1 && step.merge() != null) {
        for (var change : EventCodec.mapper().readTree(step.merge()).path("from_source")) {
          byTable.put(change.path("table").asText(), change.path("change_set").asText());
        }
      } else {
        throw new IllegalStateException("a commit's parent " + (parent + 1) + " has no recorded change sets");
      }
      return byTable;
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("unreadable commit changes", e);
    }
  }

  /** The merge base of two commits (their newest common ancestor), read with {@code client}. */
  public static Uni<String> mergeBase(SqlClient client, String repository, String a,
      String b) {
    if (a.equals(b)) {
      return Uni.createFrom().item(a);
    }
    return client.preparedQuery(GraphSql.MERGE_BASE).execute(Tuple.of(repository, a, b))
        .map(rows -> rows.rowCount() == 0 ? null : rows.iterator().next().getString(0));
  }

  /**
   * The change sets that separate {@code from} and {@code to}, per table, as two paths from their merge
   * base: what to undo from {@code from}, and what to redo towards {@code to}.
   */
  public static Uni<Paths> pathsBetween(SqlClient client, String repository, String from,
      String to) {
    return mergeBase(client, repository, from, to).chain(base -> base == null
        ? Uni.createFrom().failure(new IllegalStateException("commits " + from + " and " + to + " share no history"))
        : changeSetsBetween(client, repository, base, from)
            .chain(undo -> changeSetsBetween(client, repository, base, to).map(redo -> new Paths(undo, redo))));
  }

  /** Per table, the change sets to undo and to redo, oldest first. */
  public record Paths(Map<String, List<String>> undo, Map<String, List<String>> redo) {
    public List<String> undo(String table) {
      return undo.getOrDefault(table, List.of());
    }

    public List<String> redo(String table) {
      return redo.getOrDefault(table, List.of());
    }
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
