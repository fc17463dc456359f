package io.strata.projections.tables;

import io.strata.events.TableColumn;
import io.strata.events.TableSchemaChanged;
import io.strata.events.TableShape;
import io.strata.events.TableTracked;
import io.strata.projections.rowdata.TableLayout;
import java.time.Instant;
import java.util.List;

/**
 * A tracked table, as projected: the facts its events recorded (content as of the last commit), when it
 * was tracked, and the newest DDL command on it a recorded schema change covers ({@code ddlThrough}, its
 * id in the table's database; 0: none), and the live branches whose columns are not the table's
 * ({@code branchColumns}), the columns live branches added through Strata ({@code branchAdded}) and those
 * they show under other names ({@code branchRenamed}).
 */
public record TableRow(TableTracked facts, Instant trackedAt, long ddlThrough,
    List<TableSchemaChanged.BranchColumns> branchColumns, List<BranchAdded> branchAdded,
    List<BranchRenamed> branchRenamed, Made made, Long placedPosition) implements TableLayout {

  /**
   * A table made through Strata on {@code branch} (not the default one) and not yet in the default branch: its
   * place there ({@code schema.table} of its storage) and the live branches that have it. Null for every other
   * table, which every branch has.
   */
  public record Made(String branch, String schema, String table, List<String> branches) {
    public Made {
      branches = List.copyOf(branches);
    }
  }

  /**
   * Whether Strata made the table on a branch (made there still, or placed into the default branch by a merge since):
   * its making is a migration ({@code CREATE TABLE}), where a table tracked in place existed before.
   */
  public boolean madeOnBranch() {
    return made != null || placedPosition != null;
  }

  /** The schema the table has (or is to have) on the default branch. */
  public String placeSchema() {
    return made == null ? schema() : made.schema();
  }

  /** The name the table has (or is to have) on the default branch. */
  public String placeTable() {
    return made == null ? table() : made.table();
  }

  /** Whether {@code branch} has the table: every branch has it, unless it is made on branches. */
  public boolean on(String branch) {
    return made == null || made.branches().contains(branch);
  }

  /** The columns a live branch shows under other names: stored name to shown name. */
  public record BranchRenamed(String branch, java.util.Map<String, String> renamed) {
    public BranchRenamed {
      renamed = java.util.Map.copyOf(renamed);
    }
  }

  /**
   * The columns a live branch added (their definitions: rows it has not written read their constant default),
   * the table's own it defines otherwise ({@code redefined}: nullability, default) and the rules it added ({@code
   * constraints}: CHECK constraints, and indexes as rules of kind {@link TableShape#INDEX}).
   */
  public record BranchAdded(String branch, List<TableShape.Column> columns, List<TableShape.Column> redefined,
      List<TableShape.Constraint> constraints) {
    public BranchAdded {
      columns = List.copyOf(columns);
      redefined = redefined == null ? List.of() : List.copyOf(redefined);
      constraints = constraints == null ? List.of() : List.copyOf(constraints);
    }
  }

  public TableRow {
    branchColumns = branchColumns == null ? List.of() : List.copyOf(branchColumns);
    branchAdded = branchAdded == null ? List.of() : List.copyOf(branchAdded);
    branchRenamed = branchRenamed == null ? List.of() : List.copyOf(branchRenamed);
  }

  /** The table's facts as the event that recorded them (content as of the last commit). */
  public TableTracked toEvent() {
    return facts;
  }

  @Override
  public String name() {
    return facts.name();
  }

  public String storage() {
    return facts.storage();
  }

  @Override
  public String schema() {
    return facts.schema();
  }

  @Override
  public String table() {
    return facts.table();
  }

  @Override
  public List<String> primaryKey() {
    return facts.primaryKey();
  }

  @Override
  public List<TableColumn> columns() {
    return facts.columns();
  }

  @Override
  public List<TableColumn> columnsOn(String branch) {
    return branchColumns.stream().filter(b -> b.branch().equals(branch)).findFirst()
        .map(TableSchemaChanged.BranchColumns::columns).orElse(columns());
  }

  @Override
  public List<TableShape.Column> addedOn(String branch) {
    return branchAdded.stream().filter(b -> b.branch().equals(branch)).findFirst().map(BranchAdded::columns)
        .orElse(List.of());
  }

  @Override
  public java.util.Map<String, String> renamedOn(String branch) {
    return branchRenamed.stream().filter(b -> b.branch().equals(branch)).findFirst().map(BranchRenamed::renamed)
        .orElse(java.util.Map.of());
  }

  /** The rules {@code branch} added to the table (not the table's own): checks, and indexes (kind index). */
  public List<TableShape.Constraint> constraintsOn(String branch) {
    return branchAdded.stream().filter(b -> b.branch().equals(branch)).findFirst().map(BranchAdded::constraints)
        .orElse(List.of());
  }

  @Override
  public List<TableShape.Column> redefinedOn(String branch) {
    return branchAdded.stream().filter(b -> b.branch().equals(branch)).findFirst().map(BranchAdded::redefined)
        .orElse(List.of());
  }

  /**
   * The same table with {@code branch}'s columns, the columns it added, those it renamed and the table's own it
   * defines otherwise set.
   */
  public TableRow withBranchShape(String branch, List<TableColumn> columns, List<TableShape.Column> added,
      java.util.Map<String, String> renamed, List<TableShape.Column> redefined) {
    TableRow shaped = withBranchShape(branch, columns, added, renamed);
    List<BranchAdded> adds = new java.util.ArrayList<>(shaped.branchAdded.stream()
        .filter(b -> !b.branch().equals(branch)).toList());
    adds.add(new BranchAdded(branch, added, redefined, constraintsOn(branch)));
    return new TableRow(facts, trackedAt, ddlThrough, shaped.branchColumns, adds, shaped.branchRenamed, made, placedPosition);
  }

  /** The same table with {@code branch}'s columns, the columns it added and those it renamed set. */
  public TableRow withBranchShape(String branch, List<TableColumn> columns, List<TableShape.Column> added,
      java.util.Map<String, String> renamed) {
    List<BranchRenamed> renames = new java.util.ArrayList<>(branchRenamed.stream()
        .filter(b -> !b.branch().equals(branch)).toList());
    if (!renamed.isEmpty()) {
      renames.add(new BranchRenamed(branch, renamed));
    }
    TableRow shaped = withBranchShape(branch, columns, added);
    return new TableRow(facts, trackedAt, ddlThrough, shaped.branchColumns, shaped.branchAdded, renames, made, placedPosition);
  }

  /** The same table with {@code branch}'s columns and the columns it added set (a reset moving them). */
  public TableRow withBranchShape(String branch, List<TableColumn> columns, List<TableShape.Column> added) {
    List<TableSchemaChanged.BranchColumns> own = new java.util.ArrayList<>(branchColumns.stream()
        .filter(b -> !b.branch().equals(branch)).toList());
    own.add(new TableSchemaChanged.BranchColumns(branch, columns));
    List<BranchAdded> adds = new java.util.ArrayList<>(branchAdded.stream().filter(b -> !b.branch().equals(branch))
        .toList());
    adds.add(new BranchAdded(branch, added, redefinedOn(branch), constraintsOn(branch)));
    return new TableRow(facts, trackedAt, ddlThrough, own, adds, branchRenamed, made, placedPosition);
  }

  public long rowCount() {
    return facts.rowCount();
  }

  public String rowSum() {
    return facts.rowSum();
  }

  public String contentHash() {
    return facts.contentHash();
  }

  public String location() {
    return "postgresql://" + storage() + "/" + schema() + "." + table();
  }
}
