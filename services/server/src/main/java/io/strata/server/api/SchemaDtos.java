package io.strata.server.api;

import io.strata.events.TableColumn;
import io.strata.events.TableShape;
import io.strata.projections.rowdata.ShapeChange;
import io.strata.server.domain.ColumnLayouts;
import io.strata.server.queries.SchemaDiffs;
import io.strata.server.queries.SchemaMigrations;
import io.strata.server.queries.TableSchemas;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * The wire shapes of table schemas: a table's recorded shape against the live one, shapes diffed
 * between refs, the repository's drift and its recording, and the schema history as migrations.
 */
public final class SchemaDtos {
  private SchemaDtos() {}

  /**
   * {@code GET …/tables/{table}/schema}: the shape Strata recorded for the table against the table as
   * it is now, and the DDL made since (drift).
   */
  public record TableSchemaDto(
      String table,
      @Schema(description = "Whether the table still exists in its storage") boolean exists,
      @Schema(description = "Whether the table is as recorded: it exists and no change was found") boolean inSync,
      @Schema(description = "The table was tracked before Strata recorded full shapes: only the columns' names,"
          + " types and nullability are recorded and compared") boolean partial,
      String recordedHash,
      ShapeDto recorded,
      @Schema(nullable = true) String liveHash,
      @Schema(nullable = true, type = SchemaType.OBJECT, description = "The table now; null when it is gone")
      ShapeDto live,
      @Schema(description = "What turned the recorded shape into the live one") List<ShapeChangeDto> changes,
      @Schema(description = "What turns the live shape back into the recorded one, change by change (a revert"
          + " drops what was added since: see destructive)") List<ShapeChangeDto> revert,
      @Schema(description = "Statements that turn the table back into its recorded shape, in order, to run in one"
          + " transaction (as one script): the first lets them past the database's DDL guard, which would refuse"
          + " the steps between one by one")
      List<String> revertSql) {

    public static TableSchemaDto of(String table, TableSchemas.Drift d) {
      return new TableSchemaDto(table, d.live() != null, d.inSync(), d.recorded().partial(), d.recorded().hash(),
          ShapeDto.of(d.recorded()), d.live() == null ? null : d.live().hash(), d.live() == null ? null
              : ShapeDto.of(d.live()), d.changes().stream().map(ShapeChangeDto::of).toList(),
          d.revert().stream().map(ShapeChangeDto::of).toList(), d.revertSql());
    }
  }

  /**
   * {@code GET …/drift}: the tracked tables whose live shape is not the default branch's recorded one
   * (DDL made past the DDL guard, or where it is not installed), with the statements that record or revert it.
   */
  public record SchemaDriftDto(
      @Schema(description = "Whether every tracked table is as recorded") boolean inSync,
      @Schema(description = "The tables that are not, by name") List<TableDriftDto> tables) {
    static SchemaDriftDto of(List<TableSchemas.TableDrift> drifts) {
      return new SchemaDriftDto(drifts.isEmpty(), drifts.stream().map(TableDriftDto::of).toList());
    }
  }

  /** One tracked table's drift from its recorded shape. */
  public record TableDriftDto(String table,
      @Schema(description = "Where it is: <storage>/<schema>.<table>") String location,
      @Schema(description = "Whether the table still exists in its storage") boolean exists,
      @Schema(description = "Whether the shape found may be recorded as the default branch's (POST"
          + " …/tables/{table}/schema/record): it exists, its columns' names and types are the recorded ones and its"
          + " key still identifies its rows")
      boolean recordable,
      @Schema(nullable = true, description = "Why it may not be recorded; null when it may") String why,
      String recordedHash,
      @Schema(nullable = true, description = "null when the table is gone") String liveHash,
      @Schema(description = "Whether a change is destructive") boolean destructive,
      @Schema(description = "What turned the recorded shape into the live one") List<ShapeChangeDto> changes,
      @Schema(description = "The migration that makes the change, in order: what a migration file recording it holds")
      List<String> migrationSql,
      @Schema(description = "Statements that turn the table back into its recorded shape, in order, as one script"
          + " (the first lets them past the database's DDL guard)") List<String> revertSql) {
    static TableDriftDto of(TableSchemas.TableDrift d) {
      TableSchemas.Drift drift = d.drift();
      String why = drift.live() == null ? "the table no longer exists: untrack it"
          : d.recordable() ? null
          : !ColumnLayouts.same(drift.live().tableColumns(), drift.recorded().tableColumns())
              ? "its columns' names or types changed, which the default branch does not version yet: revert them"
          : "its key (" + String.join(", ", d.table().primaryKey()) + ") no longer identifies its rows (NOT NULL"
              + " columns under a valid unique index over exactly those): revert the change";
      return new TableDriftDto(d.table().name(), d.table().storage() + "/" + d.table().schema() + "."
          + d.table().table(), drift.live() != null, d.recordable(), why, drift.recorded().hash(),
          drift.live() == null ? null : drift.live().hash(),
          drift.changes().stream().anyMatch(c -> c.change().destructive()),
          drift.changes().stream().map(ShapeChangeDto::of).toList(), drift.forwardSql(), drift.revertSql());
    }
  }

  /** {@code GET …/migrations}: a ref's schema history as versioned migrations (Flyway's V<n>__<name>.sql). */
  public record MigrationsDto(
      @Schema(nullable = true, description = "The ref the export starts after; null: the start of the history")
      String from,
      String to,
      @Schema(nullable = true) String fromCommit,
      String toCommit,
      @Schema(description = "Oldest first") List<MigrationDto> migrations) {
    static MigrationsDto of(SchemaMigrations.Export e) {
      return new MigrationsDto(e.from(), e.to(), e.fromCommit(), e.toCommit(), e.migrations().stream()
          .map(m -> new MigrationDto(m.version(), m.description(), m.fileName(), m.commit(), m.message(), m.tables(),
              m.untracked(), m.sql())).toList());
    }
  }

  /** One migration: a commit whose recorded shapes differ from its first parent's. */
  public record MigrationDto(
      @Schema(description = "The commit's generation: strictly increasing along a first-parent history") long version,
      @Schema(description = "The commit message's first line in lower case, words joined by underscores")
      String description,
      @Schema(description = "V<version>__<description>.sql") String fileName,
      String commit,
      String message,
      @Schema(description = "The tables it changes") List<String> tables,
      @Schema(description = "Tables whose change is not written: no longer tracked, their place is not known")
      List<String> untracked,
      @Schema(description = "The file's text: a comment naming the commit, then each statement ended by ';'")
      String sql) {}

  /** {@code POST …/tables/{table}/schema/record}: the table's recorded shape before and after. */
  public record DriftRecordedDto(String table,
      @Schema(description = "Whether a schema change was recorded (false: the shape found was recorded already)")
      boolean recorded,
      @Schema(description = "The hash of the shape recorded now") String shapeHash,
      @Schema(description = "The hash of the shape recorded before") String previousShapeHash,
      long position) {}

  /** {@code GET …/diff/schema}: how the tracked tables' shapes differ between two refs. */
  public record SchemaDiffDto(String from, String to, String fromCommit, String toCommit,
      @Schema(description = "The tables whose shape differs, by name") List<TableSchemaDiffDto> tables) {
    static SchemaDiffDto of(SchemaDiffs.SchemaDiff d) {
      return new SchemaDiffDto(d.from(), d.to(), d.fromCommit(), d.toCommit(),
          d.tables().stream().map(TableSchemaDiffDto::of).toList());
    }
  }

  /** One table's shape difference between two refs. */
  public record TableSchemaDiffDto(String table,
      @Schema(description = "added or removed: the table is tracked at one ref only (statements only for a table"
          + " Strata made on a branch: CREATE TABLE, DROP TABLE; tracking in place is not a migration); modified: its"
          + " shape differs") ShapeChange.Kind changeType,
      @Schema(nullable = true, description = "The shape's hash at from; null when not tracked there") String fromHash,
      @Schema(nullable = true, description = "The shape's hash at to; null when not tracked there") String toHash,
      @Schema(description = "Whether any change is destructive (or the table is removed)") boolean destructive,
      List<ShapeChangeDto> changes,
      @Schema(description = "The statements that turn from's shape into to's, in migration order (empty for a"
          + " table no longer tracked: its place is not known)") List<String> up,
      @Schema(description = "The statements that turn to's shape back into from's") List<String> down) {
    static TableSchemaDiffDto of(SchemaDiffs.TableDiff d) {
      return new TableSchemaDiffDto(d.table(), d.changeType(), d.fromHash(), d.toHash(), d.destructive(),
          d.changes().stream().map(ShapeChangeDto::of).toList(), d.up(), d.down());
    }
  }

  /** A table's shape: columns in order, primary key, other constraints and indexes (sorted by name). */
  public record ShapeDto(List<ShapeColumnDto> columns, List<String> primaryKey,
      @Schema(nullable = true, description = "null when not recorded (see partial)") List<TableShape.Constraint> constraints,
      @Schema(nullable = true, description = "null when not recorded (see partial)") List<TableShape.Index> indexes) {
    static ShapeDto of(TableShape s) {
      return new ShapeDto(s.columns().stream().map(ShapeColumnDto::of).toList(), s.primaryKey(), s.constraints(),
          s.indexes());
    }
  }

  /** {@code POST …/branches/{branch}/tables/{table}/schema}: what a branch reads of a table after the change. */
  public record BranchSchemaChangedDto(String table, String branch,
      @Schema(description = "Whether the operations were only checked (nothing changed)") boolean validateOnly,
      @Schema(description = "The columns the operations added, as the table's database defined them (type as it"
          + " formats it, default as the constant it keeps)") List<ShapeColumnDto> added,
      @Schema(description = "The columns the operations altered, as the table's database defined them after the"
          + " change (a new type's default converted)") List<ShapeColumnDto> altered,
      @Schema(description = "The columns the operations dropped, in order") List<String> dropped,
      @Schema(description = "The columns the operations renamed, in order: the name the branch showed and the"
          + " one it shows now") List<RenamedColumnDto> renamed,
      @Schema(description = "The branch's columns of the table after the change, in order, named as it shows them"
          + " (its columns now, for a check alone)") List<TableColumn> columns,
      @Schema(description = "The CHECK constraints the branch added to the table after the change (not the table's"
          + " own), as the table's database defined them") List<TableShape.Constraint> constraints,
      @Schema(description = "The indexes the branch added to the table after the change (not the table's own): the"
          + " method and columns as PostgreSQL prints them") List<TableShape.Index> indexes,
      long position) {
    /** The answer; {@code rules}: the branch's CHECK constraints and indexes (rules of kind index), as it keeps them. */
    static BranchSchemaChangedDto of(String table, String branch, boolean validateOnly, List<TableShape.Column> added,
        List<TableShape.Column> altered, List<String> dropped, List<RenamedColumnDto> renamed, List<TableColumn> columns,
        List<TableShape.Constraint> rules, long position) {
      return new BranchSchemaChangedDto(table, branch, validateOnly, added.stream().map(ShapeColumnDto::of).toList(),
          altered.stream().map(ShapeColumnDto::of).toList(), List.copyOf(dropped), List.copyOf(renamed), columns,
          rules.stream().filter(r -> !TableShape.INDEX.equals(r.kind())).toList(),
          rules.stream().filter(r -> TableShape.INDEX.equals(r.kind())).map(TableShape.Index::ofRule).toList(),
          position);
    }
  }

  /** A column a branch shows under another name: the name it showed ({@code from}) and the new one ({@code to}). */
  public record RenamedColumnDto(String from, String to) {}

  /** A column of a shape: type as PostgreSQL formats it, collation, default and generation expressions, identity. */
  public record ShapeColumnDto(String name, String type, boolean nullable,
      @Schema(nullable = true, description = "The column's collation when not its type's default") String collation,
      @Schema(nullable = true) String defaultValue, @Schema(nullable = true) String generated,
      @Schema(nullable = true, enumeration = {"always", "by default"}) String identity) {
    static ShapeColumnDto of(TableShape.Column c) {
      return new ShapeColumnDto(c.name(), c.type(), c.nullable(), c.collation(), c.defaultValue(), c.generated(),
          c.identity());
    }
  }

  /** One change of a table's shape: the object, what it was and became, and whether it is destructive. */
  public record ShapeChangeDto(ShapeChange.Kind changeType, ShapeChange.ObjectType objectType, String object,
      @Schema(nullable = true, type = SchemaType.OBJECT, description = "The object before (a column, constraint or"
          + " index); null when added") Object before,
      @Schema(nullable = true, type = SchemaType.OBJECT, description = "The object after; null when removed")
      Object after,
      @Schema(description = "Loses data (a dropped column, a type that may not hold every value, a column becoming"
          + " generated) or lets in duplicates the old shape kept out (a dropped or replaced primary key, unique"
          + " key, exclusion constraint or unique index)") boolean destructive,
      @Schema(nullable = true, description = "What makes it destructive, or may make it fail on existing rows")
      String why,
      @Schema(description = "The statements that make this change") List<String> sql) {
    static ShapeChangeDto of(TableSchemas.Change c) {
      ShapeChange s = c.change();
      return new ShapeChangeDto(s.change(), s.objectType(), s.object(), s.before(), s.after(), s.destructive(), s.why(),
          c.sql());
    }
  }
}
