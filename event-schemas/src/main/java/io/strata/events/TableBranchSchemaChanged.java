package io.strata.events;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A tracked table's shape changed on a branch other than the default one, through Strata (not DDL on the
 * table itself, which is {@link TableSchemaChanged}): the operations done, in order, and what the branch
 * reads of the table after them. The table is not touched: the branch's own objects take the change, and
 * rows the branch has not written read a column it added as that column's constant default.
 *
 * @param operations what this change did, in order ({@code add_column}, {@code drop_column} of a column the
 *     branch added, {@code alter_column} of a column the branch added: its type or nullability; of one of the
 *     table's own: its nullability or default)
 * @param columns the branch's columns after the change, in order
 * @param added every column the branch added and still has (not only this change's), in order: its
 *     definition, whose {@code default_value} is the constant the branch's rows not written on it read
 * @param renamed every column the branch shows under another name (not only this change's): the name it is
 *     stored under (in {@code columns} and {@code added}, and in the table for a column of its own) to the
 *     name the branch shows (since v3; empty before)
 * @param redefined every column of the table's own the branch defines otherwise than the table (NOT NULL set or
 *     dropped, a default set or dropped), as the branch defines it, by stored name: rows it has not written read
 *     the table's values; the rows it writes take its rules (since v4; empty before)
 * @param constraints every CHECK constraint the branch added to the table (not the table's own), which the rows
 *     it writes keep to and every row it read when it was added kept to (since v4; empty before)
 * @param indexes every index the branch added to the table (not the table's own): its overlay holds it over the
 *     rows the branch writes, and a merge into the default branch builds it on the table (since v5; empty before)
 */
public record TableBranchSchemaChanged(
    String name,
    String branch,
    List<Operation> operations,
    List<TableColumn> columns,
    List<TableShape.Column> added,
    Map<String, String> renamed,
    List<TableShape.Column> redefined,
    List<TableShape.Constraint> constraints,
    List<TableShape.Index> indexes)
    implements StrataEvent {

  /** The operation that adds a column: {@link Operation#op()}. */
  public static final String ADD_COLUMN = "add_column";
  /** The operation that drops a column the branch added, or one of the table's own it read. */
  public static final String DROP_COLUMN = "drop_column";
  /**
   * The operation that changes the type or nullability of a column the branch added (since v2), or the
   * nullability or default of one of the table's own (since v4).
   */
  public static final String ALTER_COLUMN = "alter_column";
  /**
   * The operation that shows a column under another name on the branch (since v3): the column keeps the name
   * it is stored under, so no row is written and every ref that shares its rows reads them as before.
   */
  public static final String RENAME_COLUMN = "rename_column";
  /** The operation that adds a CHECK constraint the branch's rows keep to (since v4). */
  public static final String ADD_CONSTRAINT = "add_constraint";
  /** The operation that drops a CHECK constraint the branch added (since v4). */
  public static final String DROP_CONSTRAINT = "drop_constraint";
  /** The operation that adds an index of the branch's own (since v5). */
  public static final String ADD_INDEX = "add_index";
  /** The operation that drops an index the branch added (since v5). */
  public static final String DROP_INDEX = "drop_index";

  /**
   * One schema operation: its kind and the column it concerns (for {@code add_column}, its definition; for
   * {@code drop_column}, the definition it had; for {@code alter_column}, its definition after; for
   * {@code rename_column}, its definition under the new name, and {@code from} the name it was shown under;
   * {@code using}, for an {@code alter_column} that converted the column's values, the expression it converted them
   * with, as the client gave it).
   */
  public record Operation(String op,
      @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
      TableShape.Column column,
      @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL) String from,
      @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
      TableShape.Constraint constraint,
      @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
      TableShape.Index index,
      @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
      String using) {
    public Operation(String op, TableShape.Column column) {
      this(op, column, null, null, null, null);
    }

    public Operation(String op, TableShape.Column column, String from) {
      this(op, column, from, null, null, null);
    }

    public Operation(String op, TableShape.Column column, String from, TableShape.Constraint constraint,
        TableShape.Index index) {
      this(op, column, from, constraint, index, null);
    }

    /**
     * An {@code alter_column} of a column the branch added since its head that converted its values with
     * {@code using} (since v6): an expression of the column alone, applied to every value the branch held of it
     * and to its constant default.
     */
    public static Operation converting(TableShape.Column column, String using) {
      return new Operation(ALTER_COLUMN, column, null, null, null, using);
    }

    /**
     * An operation on a rule the branch added: a CHECK constraint ({@code add_constraint}, {@code
     * drop_constraint}), or an index given as a rule of kind {@link TableShape#INDEX} ({@code add_index}, {@code
     * drop_index}: {@code op} is the constraint's operation, named for the index).
     */
    public static Operation onConstraint(String op, TableShape.Constraint constraint) {
      if (TableShape.INDEX.equals(constraint.kind())) {
        return new Operation(ADD_CONSTRAINT.equals(op) ? ADD_INDEX : DROP_INDEX, null, null, null,
            TableShape.Index.ofRule(constraint));
      }
      return new Operation(op, null, null, constraint, null);
    }
  }

  public TableBranchSchemaChanged(String name, String branch, List<Operation> operations, List<TableColumn> columns,
      List<TableShape.Column> added) {
    this(name, branch, operations, columns, added, Map.of(), List.of(), List.of(), List.of());
  }

  public TableBranchSchemaChanged(String name, String branch, List<Operation> operations, List<TableColumn> columns,
      List<TableShape.Column> added, Map<String, String> renamed) {
    this(name, branch, operations, columns, added, renamed, List.of(), List.of(), List.of());
  }

  public TableBranchSchemaChanged(String name, String branch, List<Operation> operations, List<TableColumn> columns,
      List<TableShape.Column> added, Map<String, String> renamed, List<TableShape.Column> redefined) {
    this(name, branch, operations, columns, added, renamed, redefined, List.of(), List.of());
  }

  /**
   * The change, the branch's rules after it given as one list ({@code rules}: its CHECK constraints and its indexes
   * as rules of kind {@link TableShape#INDEX}, as {@link #rules()} answers them).
   */
  public TableBranchSchemaChanged(String name, String branch, List<Operation> operations, List<TableColumn> columns,
      List<TableShape.Column> added, Map<String, String> renamed, List<TableShape.Column> redefined,
      List<TableShape.Constraint> rules) {
    this(name, branch, operations, columns, added, renamed, redefined,
        rules == null ? List.of() : rules.stream().filter(r -> !TableShape.INDEX.equals(r.kind())).toList(),
        rules == null ? List.of() : rules.stream().filter(r -> TableShape.INDEX.equals(r.kind()))
            .map(TableShape.Index::ofRule).toList());
  }

  public TableBranchSchemaChanged {
    operations = List.copyOf(operations);
    columns = List.copyOf(columns);
    added = List.copyOf(added);
    renamed = renamed == null ? Map.of() : java.util.Collections.unmodifiableMap(new TreeMap<>(renamed));
    redefined = redefined == null ? List.of() : List.copyOf(redefined);
    constraints = constraints == null ? List.of() : List.copyOf(constraints);
    indexes = indexes == null ? List.of() : List.copyOf(indexes);
  }

  /**
   * The rules the branch added, as one list: its CHECK constraints, then its indexes as rules of kind {@link
   * TableShape#INDEX} (how the branch's state keeps them: one list, merged three ways by name).
   */
  public List<TableShape.Constraint> rules() {
    java.util.List<TableShape.Constraint> all = new java.util.ArrayList<>(constraints);
    indexes.forEach(i -> all.add(i.asRule()));
    return List.copyOf(all);
  }

  @Override
  public String subject() {
    return "branches/" + branch + "/tables/" + name;
  }
}
