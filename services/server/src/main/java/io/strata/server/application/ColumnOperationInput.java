package io.strata.server.application;

import io.strata.events.TableShape;
import io.strata.projections.rowdata.BranchObjects;
import io.strata.server.domain.BranchSchemaCommand;
import io.strata.server.domain.StrataException;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The checks of a branch's column operations as a client gives them, before anything is read or changed: how many,
 * the names, types and defaults a client may write (every name is quoted wherever it reaches SQL, every type checked
 * by the database too), and the defaults as the database writes them.
 */
public final class ColumnOperationInput {
  /** A column a client may name: Strata's own columns start with two underscores. */
  private static final Pattern COLUMN = Pattern.compile("(?!__)[a-z_][a-z0-9_]{0,62}");
  /**
   * A column a client names that exists already (the table's may be named otherwise: checked against the
   * branch's columns, and quoted wherever it reaches SQL).
   */
  private static final Pattern NAMED = Pattern.compile("(?!__)[^\\x00]{1,63}");
  /**
   * A type name as PostgreSQL writes one: words, a type modifier of numbers, an array suffix; nothing
   * else can reach the SQL (the database then checks it is a type name: {@code to_regtype}).
   */
  private static final Pattern TYPE = Pattern.compile(
      "[a-z][a-z0-9_]*(\\(\\d{1,4}(, ?\\d{1,4})?\\))?( [a-z][a-z0-9_]*(\\(\\d{1,4}(, ?\\d{1,4})?\\))?){0,3}(\\[\\])?");
  static final int MAX_OPERATIONS = 50;
  static final int MAX_DEFAULT_LENGTH = 1000;
  /**
   * The most characters of a default as the database writes it: it travels in every event of the branch's
   * shape, its state, view and write trigger ({@code {1e1000,…}} as numeric[] grows a hundredfold).
   */
  static final int MAX_STORED_DEFAULT_LENGTH = 2000;

  private ColumnOperationInput() {}

  /**
   * A change asked for a column: a new type ({@code null}: kept), nullability ({@code null}: kept), a default
   * ({@code defaultText}: the text its type reads; {@code dropDefault}: none; neither: kept). A column the branch
   * added takes a type and nullability; one of the table's own, nullability and a default.
   */
  public record ColumnChange(String name, String type, Boolean nullable, String defaultText, boolean dropDefault,
      String using) {
    public ColumnChange(String name, String type, Boolean nullable) {
      this(name, type, nullable, null, false, null);
    }

    public ColumnChange(String name, String type, Boolean nullable, String defaultText, boolean dropDefault) {
      this(name, type, nullable, defaultText, dropDefault, null);
    }

    public boolean changesDefault() {
      return defaultText != null || dropDefault;
    }
  }

  /** Refuses (422) an empty list of operations, or one of more than {@link #MAX_OPERATIONS}. */
  static void checkCount(List<?> operations) {
    if (operations == null || operations.isEmpty()) {
      throw StrataException.invalid("operations", "give at least one operation");
    }
    if (operations.size() > MAX_OPERATIONS) {
      throw StrataException.invalid("operations", "at most " + MAX_OPERATIONS + " operations at once");
    }
  }

  /** Refuses (422) names that no column a branch shows can have. */
  static void checkNames(List<String> names) {
    checkCount(names);
    for (int i = 0; i < names.size(); i++) {
      requireShownName(names.get(i), "operations[" + i + "].name");
    }
  }

  /** Refuses (422) renames from a name no column can have, or to one no new column may have. */
  static void checkRenames(List<BranchSchemaCommand.Rename> renames) {
    checkCount(renames);
    for (int i = 0; i < renames.size(); i++) {
      BranchSchemaCommand.Rename r = renames.get(i);
      requireShownName(r.from(), "operations[" + i + "].name");
      requireNewName(r.to(), "operations[" + i + "].new_name");
    }
  }

  static void check(List<BranchObjects.NewColumn> columns) {
    checkCount(columns);
    for (int i = 0; i < columns.size(); i++) {
      BranchObjects.NewColumn c = columns.get(i);
      String at = "operations[" + i + "]";
      checkColumn(c, at);
      if (!c.nullable() && c.defaultText() == null) {
        throw StrataException.invalid(at + ".default", "a NOT NULL column needs a default: the rows the branch has"
            + " not written read it");
      }
    }
  }

  /** Refuses (422 at {@code at}) a column whose name, type or default no table may have. */
  static void checkColumn(BranchObjects.NewColumn c, String at) {
    requireNewName(c.name(), at + ".name");
    checkDefinition(c.type(), c.defaultText(), at);
  }

  /** Refuses (422 at {@code at}) a type or a default no column may have (its name left to the caller). */
  public static void checkDefinition(String type, String defaultText, String at) {
    requireType(type, at + ".type");
    if (defaultText != null && defaultText.length() > MAX_DEFAULT_LENGTH) {
      throw StrataException.invalid(at + ".default", "at most " + MAX_DEFAULT_LENGTH + " characters");
    }
  }

  static void checkChanges(List<ColumnChange> changes) {
    checkCount(changes);
    for (int i = 0; i < changes.size(); i++) {
      ColumnChange c = changes.get(i);
      String at = "operations[" + i + "]";
      requireShownName(c.name(), at + ".name");
      if (c.type() != null) {
        requireType(c.type(), at + ".type");
      }
      if (c.using() != null && c.type() == null) {
        throw StrataException.invalid(at + ".using", "using converts the column's values to its new type: give the"
            + " type too");
      }
      if (c.type() == null && c.nullable() == null && !c.changesDefault()) {
        throw StrataException.invalid(at, "give the column's new type, its nullability or its default");
      }
      if (c.defaultText() != null && c.dropDefault()) {
        throw StrataException.invalid(at + ".drop_default", "give a default or drop it, not both");
      }
      if (c.defaultText() != null && c.defaultText().length() > MAX_DEFAULT_LENGTH) {
        throw StrataException.invalid(at + ".default", "at most " + MAX_DEFAULT_LENGTH + " characters");
      }
      if (c.using() != null && (c.using().isBlank() || c.using().length() > MAX_USING_LENGTH)) {
        throw StrataException.invalid(at + ".using", "an expression of at most " + MAX_USING_LENGTH + " characters");
      }
      if (c.using() != null && c.changesDefault()) {
        throw StrataException.invalid(at + ".using", "a conversion converts the column's default too: give no"
            + " default with it");
      }
    }
  }

  /** The longest conversion expression ({@code using}) taken: it travels in the event that records it. */
  static final int MAX_USING_LENGTH = 1000;

  /** Refuses (422) a default the database writes longer than {@link #MAX_STORED_DEFAULT_LENGTH}. */
  static void requireStoredDefaultsFit(List<TableShape.Column> defined) {
    requireStoredDefaultsFit(defined, "operations");
  }

  /** As above, the columns given as {@code field} (a request's list). */
  static void requireStoredDefaultsFit(List<TableShape.Column> defined, String field) {
    for (int i = 0; i < defined.size(); i++) {
      requireStoredDefaultFits(defined.get(i), field + "[" + i + "]");
    }
  }

  /** Refuses (422 at {@code at}.default) column {@code c} whose default the database writes out too long. */
  static void requireStoredDefaultFits(TableShape.Column c, String at) {
    if (c.defaultValue() != null && c.defaultValue().length() > MAX_STORED_DEFAULT_LENGTH) {
      throw StrataException.invalid(at + ".default", "column '" + c.name() + "': its default as"
          + " the database writes it has " + c.defaultValue().length() + " characters, more than "
          + MAX_STORED_DEFAULT_LENGTH);
    }
  }

  /** Refuses (422 at {@code at}) a name no column a branch shows can have. */
  private static void requireShownName(String name, String at) {
    if (name == null || !NAMED.matcher(name).matches()) {
      throw StrataException.invalid(at, "the name of a column the branch has (1-63 characters, not starting with two"
          + " underscores)");
    }
  }

  /** Refuses (422 at {@code at}) a name a new column may not have. */
  private static void requireNewName(String name, String at) {
    if (name == null || !COLUMN.matcher(name).matches()) {
      throw StrataException.invalid(at, "column names are 1-63 characters of a-z 0-9 _, not starting with a digit nor"
          + " with two underscores (Strata's own columns)");
    }
  }

  /** Refuses (422 at {@code at}) what is not a type name as PostgreSQL writes one. */
  private static void requireType(String type, String at) {
    if (type == null || type.length() > 100 || !TYPE.matcher(type).matches()) {
      throw StrataException.invalid(at, "a PostgreSQL type name in lowercase, as format_type writes it (text, bigint,"
          + " numeric(12,2), character varying(20), timestamp with time zone, integer[])");
    }
  }
}
