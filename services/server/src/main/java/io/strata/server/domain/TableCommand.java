package io.strata.server.domain;

import io.strata.events.Author;
import io.strata.events.TableSchemaChanged;
import io.strata.events.TableShape;
import io.strata.events.TableColumn;
import java.util.List;

/** Storages and tracked tables: {@link TableDecider}. */
public sealed interface TableCommand extends Commands.Command permits TableCommand.AddStorage,
    TableCommand.RemoveStorage, TableCommand.TrackTable, TableCommand.UntrackTable, TableCommand.RecordSchemaChange,
    TableCommand.RecordSchemaDrift, BranchSchemaCommand, TableCommand.PlaceTable, TableCommand.DropTable,
    TableCommand.LeaveTable, TableCommand.HoldOwedUniques {
  /**
   * Registers a storage connection (already validated and checked to connect): where it is, and where
   * its password is read at connect time (never the password).
   */
  public record AddStorage(io.strata.events.StorageAdded storage) implements TableCommand {
    public String name() {
      return storage.name();
    }
  }

  public record RemoveStorage(String name) implements TableCommand {}

  /**
   * The work of holding table {@code name}'s own unique constraints on {@code branch}, owed since a hold passed the
   * branch over (done in the command's transaction, against the state it is decided on): nothing is recorded.
   */
  public record HoldOwedUniques(String name, String branch) implements TableCommand {}

  /**
   * Tracks a table whose catalog facts the command side has read (its place, key, columns and full
   * shape) and whose rows it measured (count, row-hash sum); recorded by a commit on the default branch.
   */
  public record TrackTable(String name, String storage, String schema, String table, List<String> primaryKey,
      List<TableColumn> columns, TableShape shape, long rowCount, String rowSum, Author author, Making making)
      implements TableCommand {
    public TrackTable {
      primaryKey = List.copyOf(primaryKey);
      columns = List.copyOf(columns);
    }

    /** A table found in its storage, not made by Strata. */
    public TrackTable(String name, String storage, String schema, String table, List<String> primaryKey,
        List<TableColumn> columns, TableShape shape, long rowCount, String rowSum, Author author) {
      this(name, storage, schema, table, primaryKey, columns, shape, rowCount, rowSum, author, null);
    }
  }

  /**
   * A table Strata made, on {@code branch}: at its place ({@code schema.table}) when that is the default branch;
   * on another, at a place of Strata's own (the command's), its place the default branch gets it at by a merge.
   */
  public record Making(String branch, String schema, String table) {}

  public record UntrackTable(String name, Author author) implements TableCommand {}

  /**
   * Records the shape a tracked table has after DDL made on it (the default branch's working state)
   * that its backend followed ({@code statements}, oldest first): nothing when the recorded shape is
   * that one already (the DDL changed nothing Strata records, or another server recorded it first),
   * when its columns are not the recorded ones (DDL let past the guard: drift, reported as such) or
   * when the table is no longer tracked; nothing either when a change through a newer command
   * ({@code ddlThrough}: the newest command's id in the table's database) is recorded already.
   *
   * @param columnsFollowed whether what versions the table records its rows in the shape's columns (the
   *     DDL guard followed the columns added): else columns added are drift, not a followed change
   * @param migration the statements that turn the recorded shape into {@code shape}, as the caller wrote
   *     them from the state it decides in (see {@link TableSchemaChanged#migration})
   */
  public record RecordSchemaChange(String name, TableShape shape,
      List<TableSchemaChanged.Statement> statements, long ddlThrough, boolean columnsFollowed, List<String> migration)
      implements TableCommand {
    public RecordSchemaChange {
      statements = List.copyOf(statements);
      migration = List.copyOf(migration);
    }

    /** Without migration statements: for a decision that records none (tests of the rules alone). */
    public RecordSchemaChange(String name, TableShape shape, List<TableSchemaChanged.Statement> statements,
        long ddlThrough, boolean columnsFollowed) {
      this(name, shape, statements, ddlThrough, columnsFollowed, List.of());
    }
  }

  /**
   * Records the shape a tracked table has now, found without the DDL guard's help (DDL made where the
   * guard is not installed, or by a session that turned it off: drift), as its shape on the default
   * branch. Refused when {@code expectedShapeHash} is given and the recorded shape is another one by now,
   * when the table's columns are not the recorded ones (column changes are not versioned on the default
   * branch yet) and when its key no longer identifies its rows ({@code keyHolds}, read with the shape);
   * nothing when the shape is recorded already. {@code ddlThrough}: the newest DDL command the guard filed
   * for the table when the shape was read (0: none), so that a follower's round that read fewer commands
   * records nothing over it.
   */
  public record RecordSchemaDrift(String name, TableShape shape, boolean keyHolds, long ddlThrough,
      String expectedShapeHash, Author author, List<String> migration) implements TableCommand {
    public RecordSchemaDrift {
      migration = List.copyOf(migration);
    }
  }

  /**
   * Drops table {@code name} from branch {@code branch} (not the default one), where it was made on a branch and is
   * not yet in the default branch, and no other branch has it: it goes from the repository (a commit on the branch
   * records it).
   */
  public record DropTable(String name, String branch, Author author) implements TableCommand {}

  /**
   * Branch {@code branch} (not the default one) gives up table {@code name}, made on a branch and not yet in the
   * default branch, which other branches keep: {@code commit} on it records the deletion of every row it had of it.
   */
  public record LeaveTable(String name, String branch, Commands.CreateCommit commit) implements TableCommand {}

  /**
   * Records that table {@code name}, made on a branch, is at its place on the default branch now (a merge into it
   * moved it there before its rows), its key's constraint named {@code keyConstraint} there (null: as recorded):
   * nothing when it is not made on a branch (placed already).
   */
  public record PlaceTable(String name, String keyConstraint) implements TableCommand {}
}
