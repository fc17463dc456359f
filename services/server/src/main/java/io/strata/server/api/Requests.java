package io.strata.server.api;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;

/** What the API accepts (bound by {@link Bodies}): unknown fields and wrong types are a 400 naming the field. */
public final class Requests {
  private Requests() {}

  public record AuthorInput(String name, String email) {}

  public record CreateRepository(String name, String description, String defaultBranch) {}

  public record CreateBranch(String name, String from, @JsonProperty("protected") Boolean isProtected) {}

  public record PatchBranch(@JsonProperty("protected") Boolean isProtected) {}

  public record CreateCommit(
      String message, AuthorInput author, String expectedHead, Boolean all, List<String> tables, Boolean allowEmpty) {}

  /**
   * A storage to register: a PostgreSQL connection ({@code type} {@code postgresql}, the default: url or host, port,
   * database, username, the password named) or a place Delta Lake tables live ({@code type} {@code delta}: url
   * {@code file:///directory} or {@code s3://bucket/prefix}, and for S3 the endpoint, region, path style and the
   * keys named).
   */
  public record AddStorage(
      String name, String type, String url, String host, Integer port, String database, String username,
      String passwordEnv, String passwordFile, String endpoint, String region, Boolean pathStyle,
      String accessKeyEnv, String secretKeyEnv, String secretKeyFile) {}

  public record TrackTable(String name, String location, List<String> primaryKey, AuthorInput author) {}

  /**
   * A table to make and track: its name in the repository, where it is made ({@code postgresql://<storage>/<schema>.
   * <table>}, {@code postgresql://local/public.<name>} when not given), its columns in order and its key; a Delta
   * table's properties ({@code delta.enableTypeWidening} only).
   */
  public record CreateTable(String name, String location, List<NewColumn> columns, List<String> primaryKey,
      Map<String, String> tableProperties, AuthorInput author) {}

  /** A column of a table to make: a PostgreSQL type, nullable unless said, an optional constant default. */
  public record NewColumn(String name, String type, Boolean nullable, @JsonProperty("default") JsonNode defaultValue) {}

  /** Records a table's drift; {@code expectedHash}: the recorded shape's hash the caller looked at. */
  public record RecordDrift(String expectedHash, AuthorInput author) {}

  public record TableSelection(List<String> tables) {}

  public record Query(String sql, String ref, Integer limit, Boolean working) {}

  public record CreateTag(String name, String ref, String message, AuthorInput author) {}

  /**
   * A merge; {@code schemaStrategy} settles its schema conflicts to one side, {@code schemaResolutions} each it names
   * (those left open refuse it, 409).
   */
  public record Merge(String source, String strategy, String fastForward, String message, Boolean noCommit,
      Boolean dryRun, String expectedHead, AuthorInput author, String schemaStrategy,
      List<SchemaResolution> schemaResolutions) {}

  /**
   * One schema conflict's settlement: of {@code column} (or of check or index {@code constraint}) of {@code table},
   * as a conflict listing names it; to side {@code take} ({@code ours} or {@code theirs}) or, a column's, to
   * {@code definition}.
   */
  public record SchemaResolution(String table, String column, String constraint, String take,
      ColumnDefinition definition) {}

  /** A column's definition given to settle a conflict: its type, whether it takes nulls (default true), its default. */
  public record ColumnDefinition(String type, Boolean nullable, @JsonProperty("default") JsonNode defaultValue) {}

  /** A conflict resolution: {@code key} as the conflict listing shows it (a JSON array, or one value). */
  /**
   * Schema operations on a branch, in order, checked before anything changes; {@code validateOnly}: checked
   * and decided, nothing changed.
   */
  public record ChangeBranchSchema(List<SchemaOperation> operations,
      @org.eclipse.microprofile.openapi.annotations.media.Schema(description = "In place of operations: DDL"
          + " statements (ALTER TABLE, CREATE INDEX, DROP INDEX on this table), read into the operations they mean"
          + " and checked as those are; nothing is run as given") List<String> statements, Boolean validateOnly) {}

  /**
   * One schema operation: {@code add_column} with the column's name, type, nullability (default true) and
   * default (a JSON string, number or boolean its type reads; none or null: no default), {@code
   * alter_column} with the name of a column the branch added and its new type, nullability or both, or of one
   * of the table's own and its wider type, nullability, default ({@code default}) or {@code drop_default} ({@code
   * using}, with a type: an expression of a column the branch added since its head converting its values), {@code
   * drop_column} with the name of a column the branch added, or of one of the table's own but for its key, or
   * {@code rename_column} with the name of a column the branch shows (but for the key) and its {@code new_name},
   * {@code add_constraint} with a CHECK constraint's {@code name} and its {@code check} expression, or with a unique
   * constraint's {@code name}, {@code unique: true} and the {@code columns} it holds unique, {@code
   * drop_constraint} with the name of a check or unique constraint the branch added, {@code add_index} with an index's {@code name},
   * its {@code columns} and {@code method} (default btree), {@code drop_index} with the name of an index the branch
   * added.
   */
  public record SchemaOperation(String op, String name, String type, Boolean nullable,
      @JsonProperty("default") JsonNode defaultValue, String newName, Boolean dropDefault, String check,
      List<String> columns, String method, Boolean unique, String using) {}

  public record Resolution(String table, JsonNode key, String field, String take, JsonNode value) {}

  public record ContinueMerge(String message, AuthorInput author) {}

  public record Reset(String to, String mode, String expectedHead, Boolean force) {}

  public record Stash(String message, List<String> tables, AuthorInput author) {}

  public record Rebase(String onto, AuthorInput author) {}

  public record ApplyStash(String strategy) {}

  /**
   * A revert or cherry-pick of {@code commit} (any ref to it); {@code schemaStrategy} and {@code schemaResolutions}
   * settle its schema conflicts as a merge's.
   */
  public record ApplyCommit(String commit, Integer mainline, Boolean noCommit, String message, String strategy,
      String expectedHead, AuthorInput author, Boolean allowEmpty, String schemaStrategy,
      List<SchemaResolution> schemaResolutions) {}

  public record CreateToken(String name, String role, List<String> repositories, String expiresAt) {}
}
