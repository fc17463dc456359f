package io.strata.events;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import java.util.Comparator;
import java.util.List;

/**
 * A tracked table's shape, normalised so that equal shapes compare (and hash) equal: its columns in
 * order (type as PostgreSQL formats it, nullability, collation, default, generation expression, identity), its
 * primary key, its other constraints and its indexes, both sorted by name and written without the
 * table's own schema and name. Recorded when a table is tracked; {@link #hash()} is its address.
 *
 * <p>{@code constraints} and {@code indexes} are null in a shape rebuilt from a table tracked before
 * shapes were recorded (only its columns' names, types and nullability and its key are known).
 */
public record TableShape(
    List<Column> columns,
    List<String> primaryKey,
    List<Constraint> constraints,
    List<Index> indexes) {

  /**
   * A column. {@code collation} is the column's when it is not its type's default ({@code null}: the
   * type's); {@code defaultValue} the default's expression ({@code null}: none); {@code generated} the
   * expression of a stored generated column; {@code identity} {@code always} or {@code by default}.
   */
  public record Column(
      String name,
      String type,
      boolean nullable,
      @JsonInclude(JsonInclude.Include.ALWAYS) String collation,
      @JsonInclude(JsonInclude.Include.ALWAYS) String defaultValue,
      @JsonInclude(JsonInclude.Include.ALWAYS) String generated,
      @JsonInclude(JsonInclude.Include.ALWAYS) String identity) {

    /** The same definition under another name (a column a branch shows renamed). */
    public Column named(String newName) {
      return new Column(newName, type, nullable, collation, defaultValue, generated, identity);
    }

    /** The column as the tracked table's columns list it. */
    public TableColumn asTableColumn() {
      return new TableColumn(name, type, nullable);
    }
  }

  /** The kind of the primary key's constraint. */
  public static final String PRIMARY_KEY = "primary_key";

  /**
   * A primary-key, unique, check, foreign-key or exclusion constraint: its kind ({@code primary_key},
   * {@code unique}, {@code check}, {@code foreign_key}, {@code exclusion}) and definition as PostgreSQL prints it.
   */
  public record Constraint(String name, String kind, String definition) {}

  /** An index not backing a constraint: whether unique, and its method, columns and predicate ({@code btree (v) WHERE …}). */
  public record Index(String name, boolean unique, String definition) {
    /** The index as a rule a branch adds ({@link #INDEX}): a branch's indexes are never unique. */
    public Constraint asRule() {
      return new Constraint(name, INDEX, definition);
    }

    /** The index a rule of kind {@link #INDEX} is. */
    public static Index ofRule(Constraint rule) {
      if (!INDEX.equals(rule.kind())) {
        throw new IllegalArgumentException("not an index: " + rule);
      }
      return new Index(rule.name(), false, rule.definition());
    }
  }

  /**
   * The kind of a rule a branch adds that is an index of its own, not a constraint: a branch keeps its CHECK
   * constraints and indexes as one list of rules (merged three ways by name); a shape lists it among its indexes.
   */
  public static final String INDEX = "index";

  public TableShape {
    columns = List.copyOf(columns);
    primaryKey = List.copyOf(primaryKey);
    constraints = constraints == null ? null
        : constraints.stream().sorted(Comparator.comparing(Constraint::name)).toList();
    indexes = indexes == null ? null : indexes.stream().sorted(Comparator.comparing(Index::name)).toList();
  }

  /** The shape known of a table tracked before shapes were recorded: columns and key only. */
  public static TableShape ofColumns(List<TableColumn> columns, List<String> primaryKey) {
    return new TableShape(columns.stream().map(c -> new Column(c.name(), c.type(), c.nullable(), null, null, null, null))
        .toList(), primaryKey, null, null);
  }

  /** The same shape with its primary key's constraint named {@code name} (unchanged when it has none, or is partial). */
  public TableShape withKeyConstraint(String name) {
    return constraints == null ? this : new TableShape(columns, primaryKey, constraints.stream()
        .map(c -> c.kind().equals(PRIMARY_KEY) ? new Constraint(name, c.kind(), c.definition()) : c).toList(), indexes);
  }

  /** Whether only the columns and key are known (see the class comment). */
  public boolean partial() {
    return constraints == null || indexes == null;
  }

  /** The columns as the tracked table lists them (name, type, nullability). */
  public List<TableColumn> tableColumns() {
    return columns.stream().map(Column::asTableColumn).toList();
  }

  /** SHA-256 of the shape's canonical JSON (the event's encoding: fields in declaration order, lists sorted). */
  public String hash() {
    try {
      return CommitIds.sha256Hex(EventCodec.mapper().writeValueAsString(this));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a table shape cannot be encoded", e);
    }
  }
}
