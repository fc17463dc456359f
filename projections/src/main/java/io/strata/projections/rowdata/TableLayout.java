package io.strata.projections.rowdata;

import io.strata.events.TableColumn;
import io.strata.events.TableShape;
import java.util.List;

/**
 * What the data plane needs of a tracked table: its name in the repository, where it lives and its
 * key and columns. The read model's row implements it, so the data plane depends on no read-model type.
 */
public interface TableLayout {
  String name();

  String schema();

  String table();

  List<String> primaryKey();

  List<TableColumn> columns();

  /** The columns {@code branch} reads: the table's, unless the branch kept columns of its own. */
  default List<TableColumn> columnsOn(String branch) {
    return columns();
  }

  /**
   * The columns {@code branch} added through Strata, in order (the table lacks them, or has others of
   * their names): rows the branch has not written read each as its constant default.
   */
  default List<TableShape.Column> addedOn(String branch) {
    return List.of();
  }

  /**
   * The columns {@code branch} shows under another name than the one they are stored under (in the table and
   * the branch's objects): stored name to shown name; empty for the default branch.
   */
  default java.util.Map<String, String> renamedOn(String branch) {
    return java.util.Map.of();
  }

  /**
   * The table's own columns {@code branch} defines otherwise than the table (NOT NULL set or dropped, a default
   * set or dropped), as it defines them, by stored name; empty for the default branch.
   */
  default List<TableShape.Column> redefinedOn(String branch) {
    return List.of();
  }
}
