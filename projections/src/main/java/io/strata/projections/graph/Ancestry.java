package io.strata.projections.graph;

import io.strata.projections.runtime.LruMap;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * A commit's ancestors in log order (newest first), as an immutable linked list whose tail is shared
 * with the parent's list: a commit's log is its own entry in front of its parent's.
 *
 * <p>Commit ids are content addresses that cover the parents, so the ancestry of an id (and its log
 * order, which comes from the commits' own times) can never change: entries are cached without any
 * invalidation, only evicted when the cache is full.
 */
final class Ancestry {
  final String id;
  final Instant createdAt;
  final int generation;
  final Ancestry next;
  final int size;

  Ancestry(String id, Instant createdAt, int generation, Ancestry next) {
    this.id = id;
    this.createdAt = createdAt;
    this.generation = generation;
    this.next = next;
    this.size = next == null ? 1 : next.size + 1;
  }

  /** Whether a commit with this time and generation sorts before every entry of {@code list}. */
  static boolean precedes(Instant createdAt, int generation, Ancestry list) {
    return list == null || createdAt.isAfter(list.createdAt)
        || createdAt.equals(list.createdAt) && generation > list.generation;
  }

  List<String> page(int offset, int limit) {
    Ancestry node = this;
    for (int i = 0; i < offset && node != null; i++) {
      node = node.next;
    }
    List<String> ids = new ArrayList<>(limit);
    for (; node != null && ids.size() < limit; node = node.next) {
      ids.add(node.id);
    }
    return ids;
  }

  /** Builds a list from entries already in log order. */
  static Ancestry of(List<String> ids, List<Instant> times, List<Integer> generations) {
    Ancestry list = null;
    for (int i = ids.size() - 1; i >= 0; i--) {
      list = new Ancestry(ids.get(i), times.get(i), generations.get(i), list);
    }
    return list;
  }

  /** A bounded, least-recently-used map from (repository, head, first-parent) to ancestries. */
  static final class Cache {
    private final LruMap<String, Ancestry> entries;

    Cache(int capacity) {
      this.entries = new LruMap<>(capacity);
    }

    static String key(String repository, String head, boolean firstParent) {
      return repository + '\u0000' + head + (firstParent ? "\u0000fp" : "");
    }

    Ancestry get(String key) {
      return entries.get(key);
    }

    void put(String key, Ancestry value) {
      entries.put(key, value);
    }
  }
}
