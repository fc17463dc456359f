package io.strata.projections.rowdata;

import io.strata.events.CommitIds;
import io.strata.events.TableColumn;
import io.strata.events.TableTracked;
import java.util.List;

/**
 * A tracked table as the data plane knows it: the repository and name it is tracked under, where it
 * lives, its key and its columns.
 */
public record TrackedTable(String repository, String name, String schema, String table, List<String> key,
    List<TableColumn> columns) {

  public TrackedTable {
    key = List.copyOf(key);
    columns = List.copyOf(columns);
  }

  public static TrackedTable of(String repository, TableLayout t) {
    return new TrackedTable(repository, t.name(), t.schema(), t.table(), t.primaryKey(), t.columns());
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
