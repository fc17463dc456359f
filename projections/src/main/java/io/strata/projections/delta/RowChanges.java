package io.strata.projections.delta;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The row changes from one version of a table to another, from the files that differ (docs/delta.md, §4): only the
 * rows of files one side has and the other lacks are read; a key only among the rows that left is deleted, only among
 * those that came inserted, among both with other values updated (with the fields that changed), among both with the
 * same values untouched (a rewrite of its file).
 */
public final class RowChanges {

  /** One key's change: before and after (null for an insert and a delete), the fields that differ. */
  public record Change(List<Object> key, Map<String, Object> before, Map<String, Object> after,
      List<String> changedFields) {
    public String kind() {
      return before == null ? "insert" : after == null ? "delete" : "update";
    }
  }

  private RowChanges() {
  }

  /**
   * The files of {@code from} the other lacks ({@code removed}) and of {@code to} the other lacks ({@code added}), by
   * absolute URI. A file both hold with other deletion vectors is in both: its rows differ.
   */
  public record FileChanges(Set<String> removed, Set<String> added) {}

  /** The files {@code fromFiles} (of table {@code from}) and {@code toFiles} (of {@code to}) differ in. */
  public static FileChanges files(DeltaTable from, List<DeltaFile> fromFiles, DeltaTable to, List<DeltaFile> toFiles) {
    Map<String, String> before = new HashMap<>();
    fromFiles.forEach(f -> before.put(f.identity(from.root()), f.absolute(from.root())));
    Map<String, String> after = new HashMap<>();
    toFiles.forEach(f -> after.put(f.identity(to.root()), f.absolute(to.root())));
    Set<String> removed = new HashSet<>();
    before.forEach((identity, file) -> {
      if (!after.containsKey(identity)) {
        removed.add(file);
      }
    });
    Set<String> added = new HashSet<>();
    after.forEach((identity, file) -> {
      if (!before.containsKey(identity)) {
        added.add(file);
      }
    });
    return new FileChanges(Set.copyOf(removed), Set.copyOf(added));
  }

  /**
   * The changes between version {@code fromVersion} of {@code from} and {@code toVersion} of {@code to} (the same
   * table, or a branch of it and its base), by {@code key}, in key order.
   */
  public static List<Change> between(DeltaTable from, long fromVersion, DeltaTable to, long toVersion,
      List<String> key) {
    var fromSnapshot = from.at(fromVersion);
    var toSnapshot = to.at(toVersion);
    FileChanges files = files(from, from.files(fromSnapshot), to, to.files(toSnapshot));
    Map<List<Object>, Map<String, Object>> left = from.rows(fromSnapshot, files.removed(), key);
    Map<List<Object>, Map<String, Object>> came = to.rows(toSnapshot, files.added(), key);
    return between(left, came);
  }

  /** The changes from rows {@code left} (those that were) to {@code came} (those that are), by key. */
  public static List<Change> between(Map<List<Object>, Map<String, Object>> left,
      Map<List<Object>, Map<String, Object>> came) {
    List<Change> changes = new ArrayList<>();
    left.forEach((key, before) -> {
      Map<String, Object> after = came.get(key);
      if (after == null) {
        changes.add(new Change(key, before, null, List.copyOf(before.keySet())));
      } else {
        // a column one side's schema lacks (added since) reads null there: changed only by a value
        List<String> changed = new ArrayList<>();
        before.forEach((column, value) -> {
          if (!equal(value, after.get(column))) {
            changed.add(column);
          }
        });
        after.forEach((column, value) -> {
          if (!before.containsKey(column) && value != null) {
            changed.add(column);
          }
        });
        if (!changed.isEmpty()) {
          changes.add(new Change(key, before, after, changed));
        }
      }
    });
    came.forEach((key, after) -> {
      if (!left.containsKey(key)) {
        changes.add(new Change(key, null, after, List.copyOf(after.keySet())));
      }
    });
    changes.sort(Comparator.comparing(Change::key, RowChanges::compareKeys));
    return changes;
  }

  private static boolean equal(Object a, Object b) {
    if (a instanceof byte[] x && b instanceof byte[] y) {
      return java.util.Arrays.equals(x, y);
    }
    if (a instanceof java.math.BigDecimal x && b instanceof java.math.BigDecimal y) {
      return x.compareTo(y) == 0;
    }
    // a column widened between the states (an integer read as a long, a float as a double): the same value
    if (a instanceof Number x && b instanceof Number y && a.getClass() != b.getClass()
        && !(a instanceof java.math.BigDecimal) && !(b instanceof java.math.BigDecimal)) {
      return x instanceof Float || x instanceof Double || y instanceof Float || y instanceof Double
          ? x.doubleValue() == y.doubleValue() : x.longValue() == y.longValue();
    }
    return Objects.equals(a, b);
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  static int compareKeys(List<Object> a, List<Object> b) {
    for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
      Object x = a.get(i);
      Object y = b.get(i);
      if (x == null || y == null) {
        int c = x == null ? (y == null ? 0 : -1) : 1;
        if (c != 0) {
          return c;
        }
      } else if (x instanceof Comparable cx && x.getClass() == y.getClass()) {
        int c = cx.compareTo(y);
        if (c != 0) {
          return c;
        }
      } else {
        int c = String.valueOf(x).compareTo(String.valueOf(y));
        if (c != 0) {
          return c;
        }
      }
    }
    return Integer.compare(a.size(), b.size());
  }
}
