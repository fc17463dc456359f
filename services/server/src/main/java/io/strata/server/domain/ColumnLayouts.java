package io.strata.server.domain;

import io.strata.events.TableColumn;
import java.util.List;
import java.util.Map;

/**
 * What a tracked table's objects (overlays, working logs, views, change sets) are laid out after: its
 * columns' names and types, in order. Nullability is not part of it (a NOT NULL set or dropped is
 * followed and recorded as a schema change). Columns added after the others are versioned once the DDL
 * guard followed them and their shape is recorded ({@link #appended}); any other change of these is not
 * versioned on the default branch yet: operations on such a table, and recording its shape as drift, are
 * refused with one clear error.
 */
public final class ColumnLayouts {
  private ColumnLayouts() {}

  public static List<String> namesAndTypes(List<TableColumn> columns) {
    return columns.stream().map(c -> c.name() + " " + c.type()).toList();
  }

  public static boolean same(List<TableColumn> now, List<TableColumn> recorded) {
    return namesAndTypes(now).equals(namesAndTypes(recorded));
  }

  /**
   * Whether every column of {@code fewer} (name and type) is one of {@code more}, in any order: rows of
   * {@code fewer} move into {@code more} by name (their JSON images), a column they lack keeping the row's
   * value or taking its default.
   */
  public static boolean within(List<TableColumn> more, List<TableColumn> fewer) {
    return new java.util.HashSet<>(namesAndTypes(more)).containsAll(namesAndTypes(fewer));
  }

  /**
   * Whether the table's columns now are those recorded with more after them: columns added on the
   * default branch, which the DDL guard follows (Strata's objects take them in the DDL's transaction).
   */
  public static boolean appended(List<TableColumn> now, List<TableColumn> recorded) {
    List<String> before = namesAndTypes(recorded);
    List<String> after = namesAndTypes(now);
    return after.size() > before.size() && after.subList(0, before.size()).equals(before);
  }

  /**
   * Whether the table's columns now are those recorded, in order, with other types for some, or others after them:
   * types a merge promoted from a branch (Strata's objects take them in the same transaction), with the columns it
   * added.
   */
  public static boolean retyped(List<TableColumn> now, List<TableColumn> recorded) {
    List<String> names = now.stream().map(TableColumn::name).toList();
    List<String> before = recorded.stream().map(TableColumn::name).toList();
    // (and columns added after the others by the same merge)
    return names.size() >= before.size() && names.subList(0, before.size()).equals(before) && !same(now, recorded);
  }

  /** Refuses (422) when the table's columns now are not those recorded for it. */
  public static void requireSame(String table, List<TableColumn> now, List<TableColumn> recorded) {
    if (!same(now, recorded)) {
      throw new StrataException(ErrorCode.ValidationError, "tracked table '" + table + "' changed its columns (now "
          + namesAndTypes(now) + ", recorded " + namesAndTypes(recorded) + "); columns added while no branch reads"
          + " the table are versioned once the DDL guard followed them and their shape is recorded (moments after"
          + " the DDL: try again), other changes of a tracked table's columns are not versioned on the default"
          + " branch yet: revert the DDL (GET …/tables/" + table + "/schema gives the statements), or untrack and"
          + " track the table again", Map.of("table", table));
    }
  }
}
