package io.strata.server.domain;

import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The names a branch shows its columns under ({@code rename_column}: stored name to shown name) where they
 * meet columns they were not decided against — a branch created at a commit, a hard reset to one, a read of
 * one, after the table gained columns since. Pure.
 */
public final class ShownNames {
  private ShownNames() {}

  /**
   * {@code renamed} for a ref whose columns are {@code stored} (their stored names): the renames of columns it
   * has, without those whose shown name another of its columns is shown under too (that column keeps its name:
   * a rename to a name the table has taken since is dropped, and so, in turn, is one that then meets it).
   * Chains and swaps of names stay as they were.
   */
  public static Map<String, String> consistent(Map<String, String> renamed, Collection<String> stored) {
    Map<String, String> out = new TreeMap<>(renamed);
    out.keySet().retainAll(stored);
    while (true) {
      Map<String, List<String>> byShown = new HashMap<>();
      for (String c : stored) {
        byShown.computeIfAbsent(out.getOrDefault(c, c), k -> new java.util.ArrayList<>()).add(c);
      }
      boolean dropped = false;
      for (List<String> same : byShown.values()) {
        if (same.size() > 1) {
          for (String c : same) {
            dropped |= out.remove(c) != null;
          }
        }
      }
      if (!dropped) {
        return out;
      }
    }
  }
}
