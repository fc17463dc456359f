package io.strata.projections.runtime;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A bounded map that evicts its least recently used entry when full; safe to share between threads.
 * For caches of facts that never change once known (an id's ancestry, an event's body, the content a
 * tree hash stands for), which therefore need eviction but no invalidation.
 */
public final class LruMap<K, V> {
  private final Map<K, V> entries;

  public LruMap(int capacity) {
    this.entries = new LinkedHashMap<>(Math.min(capacity, 1024) * 2, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<K, V> eldest) {
        return size() > capacity;
      }
    };
  }

  /** The value kept for {@code key}, or null; marks it as used. */
  public synchronized V get(K key) {
    return entries.get(key);
  }

  public synchronized void put(K key, V value) {
    entries.put(key, value);
  }
}
