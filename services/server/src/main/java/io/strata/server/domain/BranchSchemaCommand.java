package io.strata.server.domain;

import io.strata.events.TableShape;
import java.util.List;
import java.util.Map;

/**
 * A table's shape on a branch other than the default one, changed through the API (schema operations), decided by
 * {@link BranchSchemaDecider}: columns added, dropped, altered, redefined or renamed, checks and indexes added or
 * dropped, the table not touched.
 */
public sealed interface BranchSchemaCommand extends TableCommand permits BranchSchemaCommand.AddBranchColumns,
    BranchSchemaCommand.DropBranchColumns, BranchSchemaCommand.AlterBranchColumns,
    BranchSchemaCommand.RenameBranchColumns, BranchSchemaCommand.RedefineBranchColumns,
    BranchSchemaCommand.AddBranchConstraints, BranchSchemaCommand.DropBranchConstraints,
    BranchSchemaCommand.TakeTableColumns {
  String table();

  String branch();

  boolean validateOnly();

  /**
   * Gives a branch other than the default one columns of the table it does not read because the table gained them
   * while the branch kept the columns it had ({@code names}): a merge of a source that reads them takes them first. Its
   * objects read them from the table again (zero-copy), in the table's order and definitions. Never a client's: a
   * column the branch dropped is not one of them.
   */
  public record TakeTableColumns(String table, String branch, List<String> names) implements BranchSchemaCommand {
    public TakeTableColumns {
      names = List.copyOf(names);
    }

    @Override
    public boolean validateOnly() {
      return false;
    }
  }

  /**
   * Adds columns to what a branch other than the default one reads of a tracked table (their
   * definitions normalised by the table's database: type as it formats it, default as the constant
   * expression it keeps), without touching the table: the branch's objects take them. {@code validateOnly}:
   * decided, nothing appended.
   */
  public record AddBranchColumns(String table, String branch, List<TableShape.Column> columns, boolean validateOnly)
      implements BranchSchemaCommand {
    public AddBranchColumns {
      columns = List.copyOf(columns);
    }
  }

  /**
   * Drops columns a branch added ({@code names}, in order) from its shape of {@code table}: its objects
   * lose them, the table is not touched. {@code validateOnly}: decided, nothing appended.
   */
  public record DropBranchColumns(String table, String branch, List<String> names, boolean validateOnly)
      implements BranchSchemaCommand {
    public DropBranchColumns {
      names = List.copyOf(names);
    }
  }

  /**
   * Changes the type or nullability of columns a branch added: {@code columns} are their definitions after
   * (normalised by the table's database), {@code from} the definitions they were worked out from, which the
   * branch must still have (else the shape moved meanwhile: 409); {@code using}, the expressions that convert
   * columns' values (by name; a column not named is cast). {@code validateOnly}: decided, nothing appended.
   */
  public record AlterBranchColumns(String table, String branch, List<TableShape.Column> from,
      List<TableShape.Column> columns, java.util.Map<String, String> using, boolean validateOnly)
      implements BranchSchemaCommand {
    public AlterBranchColumns {
      from = List.copyOf(from);
      columns = List.copyOf(columns);
      using = java.util.Map.copyOf(using);
    }

    public AlterBranchColumns(String table, String branch, List<TableShape.Column> from,
        List<TableShape.Column> columns, boolean validateOnly) {
      this(table, branch, from, columns, java.util.Map.of(), validateOnly);
    }
  }

  /**
   * Changes the nullability or default of columns of the table's own on a branch: {@code columns} are their
   * definitions after (the default normalised by the table's database), {@code from} the definitions the branch
   * had when the change was worked out (the table's, or its own), which it must still have (else 409). By
   * stored name. {@code validateOnly}: decided, nothing appended.
   */
  public record RedefineBranchColumns(String table, String branch, List<TableShape.Column> from,
      List<TableShape.Column> columns, boolean validateOnly) implements BranchSchemaCommand {
    public RedefineBranchColumns {
      from = List.copyOf(from);
      columns = List.copyOf(columns);
    }
  }

  /**
   * Adds rules of a branch's own: CHECK constraints its rows keep to, as the table's database defined them, or
   * indexes (rules of kind {@link TableShape#INDEX}); per rule the stored names of the columns it names ({@code
   * named}). {@code validateOnly}: decided, nothing
   * appended.
   */
  public record AddBranchConstraints(String table, String branch, List<TableShape.Constraint> checks,
      Map<String, List<String>> named, boolean validateOnly) implements BranchSchemaCommand {
    public AddBranchConstraints {
      checks = List.copyOf(checks);
      named = Map.copyOf(named);
    }
  }

  /**
   * Drops rules a branch added, by name: of {@code kind} ({@code check}, or {@link TableShape#INDEX}; null: either,
   * as a merge carries drops). {@code validateOnly}: decided, nothing appended.
   */
  public record DropBranchConstraints(String table, String branch, List<String> names, String kind,
      boolean validateOnly) implements BranchSchemaCommand {
    public DropBranchConstraints {
      names = List.copyOf(names);
    }
  }

  /**
   * Shows columns of a branch's shape of {@code table} under other names: each rename names the column as the
   * branch shows it ({@code from}) and the name it shows it under after ({@code to}), in order. The column keeps
   * the name it is stored under: no row, image or object but the branch's views changes. {@code validateOnly}:
   * decided, nothing appended.
   */
  public record RenameBranchColumns(String table, String branch, List<Rename> renames, Map<String, String> renamedAfter,
      boolean validateOnly) implements BranchSchemaCommand {
    public RenameBranchColumns {
      renames = List.copyOf(renames);
      renamedAfter = renamedAfter == null ? null : Map.copyOf(renamedAfter);
    }

    /** Renames in order, each checked against the names the previous ones left (as SQL's RENAME COLUMN). */
    public RenameBranchColumns(String table, String branch, List<Rename> renames, boolean validateOnly) {
      this(table, branch, renames, null, validateOnly);
    }

    /**
     * The branch showing its columns under the names {@code renamedAfter} gives them (stored name to shown
     * name; every column it renames), checked as a whole: a merge carrying renames, a swap among them.
     */
    public static RenameBranchColumns toNames(String table, String branch, Map<String, String> renamedAfter) {
      return new RenameBranchColumns(table, branch, List.of(), renamedAfter, false);
    }
  }

  /** One column shown under another name: {@code from} (as the branch shows it now) becomes {@code to}. */
  public record Rename(String from, String to) {}
}
