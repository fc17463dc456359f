package io.strata.projections.rowdata;

import io.strata.events.CommitIds;
import io.strata.events.TableColumn;
import io.strata.events.TableShape;
import io.strata.events.TableTracked;
import java.util.List;

/**
 * A tracked table as the data plane knows it: the repository and name it is tracked under, where it
 * lives, its key and its columns (the table's own: its default branch's).
 *
 * @param refColumns the columns of the ref a role works on, where they differ from the table's (a
 *     branch forked before the table gained a column keeps its own); null when they are the table's.
 *     Roles that work on two refs at once (merges) take two tables of one shape.
 * @param refAdded the columns among {@code refColumns} that the ref's branch added through Strata (rows it
 *     has not written read each as its constant default); empty for the table's own columns
 * @param refRenamed the columns the ref's branch shows under another name (stored name to shown name): its
 *     view, its query views and its rows read through the API show them so; everything else (the branch's
 *     objects, images, change sets) keeps the stored name
 * @param refRedefined the table's own columns the ref's branch defines otherwise (NOT NULL set or dropped, a
 *     default set or dropped), as it defines them, by stored name: the rows it writes take its rules and
 *     defaults; the rows it reads from the table are the table's
 */
public record TrackedTable(String repository, String name, String schema, String table, List<String> key,
    List<TableColumn> columns, List<TableColumn> refColumns, List<TableShape.Column> refAdded,
    java.util.Map<String, String> refRenamed, List<TableShape.Column> refRedefined) {

  public TrackedTable {
    key = List.copyOf(key);
    columns = List.copyOf(columns);
    refColumns = refColumns == null || refColumns.equals(columns) && (refAdded == null || refAdded.isEmpty()) ? null
        : List.copyOf(refColumns);
    refAdded = refAdded == null ? List.of() : List.copyOf(refAdded);
    refRenamed = refRenamed == null ? java.util.Map.of() : java.util.Map.copyOf(refRenamed);
    refRedefined = refRedefined == null ? List.of() : List.copyOf(refRedefined);
  }

  /** A table worked on at a ref whose columns are {@code refColumns}, showing those {@code refRenamed} names so. */
  public TrackedTable(String repository, String name, String schema, String table, List<String> key,
      List<TableColumn> columns, List<TableColumn> refColumns, List<TableShape.Column> refAdded,
      java.util.Map<String, String> refRenamed) {
    this(repository, name, schema, table, key, columns, refColumns, refAdded, refRenamed, List.of());
  }

  /** A table worked on at a ref whose columns are {@code refColumns}, of which it added {@code refAdded}. */
  public TrackedTable(String repository, String name, String schema, String table, List<String> key,
      List<TableColumn> columns, List<TableColumn> refColumns, List<TableShape.Column> refAdded) {
    this(repository, name, schema, table, key, columns, refColumns, refAdded, java.util.Map.of());
  }

  /** A table worked on at a ref whose columns are {@code refColumns}, none of them added by the ref. */
  public TrackedTable(String repository, String name, String schema, String table, List<String> key,
      List<TableColumn> columns, List<TableColumn> refColumns) {
    this(repository, name, schema, table, key, columns, refColumns, List.of());
  }

  /** A table whose refs all have its columns. */
  public TrackedTable(String repository, String name, String schema, String table, List<String> key,
      List<TableColumn> columns) {
    this(repository, name, schema, table, key, columns, null, List.of());
  }

  /** The same table, worked on at a ref whose columns are {@code ref} (the table's own: none of its own). */
  public TrackedTable atRefColumns(List<TableColumn> ref) {
    return new TrackedTable(repository, name, schema, table, key, columns, ref, List.of());
  }

  public static TrackedTable of(String repository, TableLayout t) {
    return new TrackedTable(repository, t.name(), t.schema(), t.table(), t.primaryKey(), t.columns());
  }

  /** The table as {@code branch} reads it: with the columns it kept or added of its own, if any. */
  public static TrackedTable on(String repository, TableLayout t, String branch) {
    return new TrackedTable(repository, t.name(), t.schema(), t.table(), t.primaryKey(), t.columns(),
        t.columnsOn(branch), t.addedOn(branch), t.renamedOn(branch), t.redefinedOn(branch));
  }

  /** The same table, its ref showing the columns {@code renamed} names under those names. */
  public TrackedTable withRenamed(java.util.Map<String, String> renamed) {
    return new TrackedTable(repository, name, schema, table, key, columns, refColumns, refAdded, renamed, refRedefined);
  }

  /** The same table, its ref defining the table's own columns as {@code redefined} does. */
  public TrackedTable withRedefined(List<TableShape.Column> redefined) {
    return new TrackedTable(repository, name, schema, table, key, columns, refColumns, refAdded, refRenamed, redefined);
  }

  /**
   * The stored name of a column named {@code name} where stored names come first (conflict listings name the
   * columns so): {@code name} itself when the ref has a column stored so, else the column it shows as
   * {@code name}, else {@code name} (no column: the caller's lookup refuses it).
   */
  public String stored(String name) {
    if (columnsOnRef().stream().anyMatch(c -> c.name().equals(name))) {
      return name;
    }
    return refRenamed.entrySet().stream().filter(e -> e.getValue().equals(name)).map(java.util.Map.Entry::getKey)
        .findFirst().orElse(name);
  }

  /** The name the ref shows column {@code stored} under. */
  public String shown(String stored) {
    return refRenamed.getOrDefault(stored, stored);
  }

  /**
   * The ref's columns once {@code restored}, columns of the table it does not read, are given back: the
   * table's it reads then, in the table's order, and after them those it added.
   */
  public List<TableColumn> columnsRestoring(List<TableColumn> restored) {
    return TableColumn.restoring(columns, columnsOnRef(), restored.stream().map(TableColumn::name).toList());
  }

  /** The columns of the ref a role works on: its own, else the table's. */
  public List<TableColumn> columnsOnRef() {
    return refColumns != null ? refColumns : columns;
  }

  public static TrackedTable of(String repository, TableTracked t) {
    return new TrackedTable(repository, t.name(), t.schema(), t.table(), t.primaryKey(), t.columns());
  }

  /**
   * The short id that names everything Strata keeps beside the table: stable for a repository and
   * table name, never a user name, so object names stay short and safe.
   */
  public String id() {
    return idOf(repository, name);
  }

  /** The short id of a tracked table: stable for a repository and table name. */
  public static String idOf(String repository, String name) {
    return "t" + CommitIds.sha256Hex(repository + "\u0000" + name).substring(0, 12);
  }

  /** The short id of a branch of this table's repository (see {@link #branchIdOf}). */
  public String branchId(String branch) {
    return branchIdOf(repository, branch);
  }

  /** The short id of a branch: stable for a repository and branch name. */
  public static String branchIdOf(String repository, String branch) {
    return CommitIds.sha256Hex(repository + "\u0000branch\u0000" + branch).substring(0, 10);
  }
}
