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
   * absolute URI, each as the log that holds it names it. A file both hold with other deletion vectors is in both:
   * its rows differ.
   */
  record FileChanges(Map<String, ChangedFiles.Logged> removedFiles, Map<String, ChangedFiles.Logged> addedFiles) {
    Set<String> removed() {
      return removedFiles.keySet();
    }

    Set<String> added() {
      return addedFiles.keySet();
    }
  }

  /** The files {@code fromFiles} (of table {@code from}) and {@code toFiles} (of {@code to}) differ in. */
  static FileChanges files(DeltaTable from, List<DeltaFile> fromFiles, DeltaTable to, List<DeltaFile> toFiles) {
    Map<String, DeltaFile> before = new HashMap<>();
    fromFiles.forEach(f -> before.put(f.identity(from.root()), f));
    Map<String, DeltaFile> after = new HashMap<>();
    toFiles.forEach(f -> after.put(f.identity(to.root()), f));
    Map<String, ChangedFiles.Logged> removed = new HashMap<>();
    before.forEach((identity, file) -> {
      if (!after.containsKey(identity)) {
        removed.put(file.absolute(from.root()), new ChangedFiles.Logged(file, from.root(), true));
      }
    });
    Map<String, ChangedFiles.Logged> added = new HashMap<>();
    after.forEach((identity, file) -> {
      if (!before.containsKey(identity)) {
        added.put(file.absolute(to.root()), new ChangedFiles.Logged(file, to.root(), true));
      }
    });
    return new FileChanges(removed, added);
  }

  /**
   * The files version {@code fromVersion} of {@code from} and {@code toVersion} of {@code to} differ in: from the
   * commits since their common point where those say ({@link ChangedFiles}), else by listing both versions' files.
   * {@code tables}: the table at a root, for a branch's base (null when unknown).
   */
  static FileChanges files(DeltaTable from, long fromVersion, DeltaTable to, long toVersion,
      java.util.function.Function<String, DeltaTable> tables) {
    return ChangedFiles.between(from, fromVersion, to, toVersion, tables).orElseGet(() -> files(from,
        from.files(from.at(fromVersion)), to, to.files(to.at(toVersion))));
  }

  /** The changes and the files they were read from. */
  record Diff(List<Change> changes, FileChanges files) {}

  /**
   * The changes between version {@code fromVersion} of {@code from} and {@code toVersion} of {@code to} (the same
   * table, or a branch of it and its base), by {@code key}, in key order.
   */
  public static List<Change> between(DeltaTable from, long fromVersion, DeltaTable to, long toVersion,
      List<String> key) {
    return diff(from, fromVersion, to, toVersion, key, known(from, to)).changes();
  }

  /** {@link #between}, with the files read; {@code tables} as {@link #files}. */
  static Diff diff(DeltaTable from, long fromVersion, DeltaTable to, long toVersion, List<String> key,
      java.util.function.Function<String, DeltaTable> tables) {
    FileChanges files = files(from, fromVersion, to, toVersion, tables);
    Map<List<Object>, Map<String, Object>> left = files.removed().isEmpty() ? Map.of()
        : from.rowsOf(from.at(fromVersion), absolute(files.removedFiles()), key);
    Map<List<Object>, Map<String, Object>> came = files.added().isEmpty() ? Map.of()
        : to.rowsOf(to.at(toVersion), absolute(files.addedFiles()), key);
    return new Diff(between(left, came), files);
  }

  /** The tables at hand, by root: a branch's base among them is traced without listing. */
  public static java.util.function.Function<String, DeltaTable> known(DeltaTable... tables) {
    return root -> {
      for (DeltaTable t : tables) {
        if (DeltaFile.uri(t.root().toString()).equals(DeltaFile.uri(root.endsWith("/") ? root : root + "/"))) {
          return t;
        }
      }
      return null;
    };
  }

  private static List<DeltaFile> absolute(Map<String, ChangedFiles.Logged> files) {
    return files.values().stream().map(ChangedFiles.Logged::absolute).toList();
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
