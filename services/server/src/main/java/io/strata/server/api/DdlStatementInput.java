package io.strata.server.api;

import com.fasterxml.jackson.databind.node.TextNode;
import io.strata.server.domain.StrataException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * DDL statements given for a branch's table ({@code statements} of a schema change) read into the schema operations
 * they mean, which are then checked as given ones are. Nothing is run: the statements are read here, by the
 * PostgreSQL grammar of the forms a branch takes, and anything else is a 422 naming the statement, where it stops
 * and what is taken. Taken: {@code ALTER TABLE t} with {@code ADD [COLUMN] c type [DEFAULT literal] [NOT NULL |
 * NULL]}, {@code DROP [COLUMN] c}, {@code RENAME [COLUMN] a TO b}, {@code ALTER [COLUMN] c [SET DATA] TYPE type
 * [USING expression]}, {@code ALTER [COLUMN] c SET DEFAULT literal | DROP DEFAULT | SET NOT NULL | DROP NOT NULL},
 * {@code ADD CONSTRAINT n CHECK (expression)}, {@code ADD CONSTRAINT n UNIQUE (a, b)}, {@code DROP CONSTRAINT n}
 * (several, comma-separated); {@code CREATE INDEX n ON t [USING method] (a, b)}; {@code DROP INDEX n}. The table
 * is named as the path names it (any schema before it is not looked at: the path names the branch); unquoted
 * names fold to lower case, as PostgreSQL folds them. A default is a constant the column's type reads (a string,
 * number or boolean literal, a cast after it passed over), as a given operation's is.
 */
final class DdlStatementInput {
  private DdlStatementInput() {}

  /** What may follow a new column's type: its DEFAULT and NOT NULL, taken; the rest, refused. */
  private static final List<String> COLUMN_CONSTRAINTS = List.of("DEFAULT", "NOT", "NULL", "COLLATE", "CHECK",
      "PRIMARY", "REFERENCES", "UNIQUE", "GENERATED", "CONSTRAINT", "STORAGE", "COMPRESSION");

  /** ADD followed by these names a constraint without a name. */
  private static final List<String> UNNAMED = List.of("CHECK", "UNIQUE", "PRIMARY", "FOREIGN", "EXCLUDE");

  /** A type's name alone, as {@link Reader#typeName} writes it: words, a modifier, an array's brackets. */
  private static final java.util.regex.Pattern BARE_TYPE = java.util.regex.Pattern.compile(
      "[a-z_][a-z0-9_]*( [a-z_][a-z0-9_]*){0,3}(\\(\\d{1,4}(,\\d{1,4})?\\))?( [a-z_][a-z0-9_]*){0,3}(\\[\\])?");

  /**
   * The most statements a request takes, the longest one, and the most characters of them all: they are read on the
   * request's event-loop thread, which 100 000 characters keep well under a millisecond.
   */
  static final int MAX_STATEMENTS = 100;
  static final int MAX_LENGTH = 10_000;
  static final int MAX_TOTAL_LENGTH = 100_000;

  /** Operations read from statements: the {@code statements} index each came from, by the operation's. */
  record Read(List<Requests.SchemaOperation> operations, List<Integer> statementOf) {
    /**
     * {@code e} as the client gave the statements: a refusal naming {@code operations[j]} (the operations' own checks)
     * names the statement it was read from too; anything else as it is.
     */
    Throwable located(Throwable e) {
      if (!(e instanceof StrataException x)) {
        return e;
      }
      int j = -1;
      if (x.details().get("field") instanceof String field) {
        java.util.regex.Matcher m = OPERATION_FIELD.matcher(field);
        j = m.matches() ? Integer.parseInt(m.group(1)) : -1;
      } else if (x.details().get("column") instanceof String column) {
        // (a refusal of the shape naming the column: the first operation on it)
        j = java.util.stream.IntStream.range(0, operations.size())
            .filter(k -> column.equals(operations.get(k).name())).findFirst().orElse(-1);
      }
      if (j < 0 || j >= statementOf.size()) {
        return e;
      }
      String at = "statements[" + statementOf.get(j) + "]";
      Map<String, Object> details = new java.util.LinkedHashMap<>(x.details());
      details.put("field", at);
      details.put("operation", "operations[" + j + "]");
      return new StrataException(x.code(), at + ": " + x.getMessage(), Map.copyOf(details));
    }
  }

  private static final java.util.regex.Pattern OPERATION_FIELD = java.util.regex.Pattern.compile(
      "operations\\[(\\d{1,4})\\].*");

  /** {@link #read}'s operations. */
  static List<Requests.SchemaOperation> operations(String table, List<String> statements) {
    return read(table, statements).operations();
  }

  /** The operations {@code statements} mean for table {@code table}, in order, with where each was read. */
  static Read read(String table, List<String> statements) {
    if (statements.isEmpty() || statements.size() > MAX_STATEMENTS) {
      throw StrataException.invalid("statements", "give 1 to " + MAX_STATEMENTS + " statements");
    }
    if (statements.stream().mapToLong(t -> t == null ? 0 : t.length()).sum() > MAX_TOTAL_LENGTH) {
      throw StrataException.invalid("statements", "at most " + MAX_TOTAL_LENGTH + " characters in all");
    }
    List<Requests.SchemaOperation> operations = new ArrayList<>();
    List<Integer> statementOf = new ArrayList<>();
    for (int i = 0; i < statements.size(); i++) {
      String s = statements.get(i);
      String at = "statements[" + i + "]";
      if (s == null || s.isBlank() || s.length() > MAX_LENGTH) {
        throw StrataException.invalid(at, "a DDL statement of at most " + MAX_LENGTH + " characters");
      }
      List<Requests.SchemaOperation> read = new Reader(s, at, table).statement();
      operations.addAll(read);
      for (int k = 0; k < read.size(); k++) {
        statementOf.add(i);
      }
    }
    // (a request does one kind of operation, as given ones do)
    java.util.Set<String> kinds = new java.util.TreeSet<>();
    operations.forEach(o -> kinds.add(o.op() + (Boolean.TRUE.equals(o.unique()) ? " (unique)" : "")));
    if (kinds.size() > 1) {
      throw StrataException.invalid("statements", "one kind of change a request: these make " + String.join(", ",
          kinds) + " operations; send each kind in a request of its own");
    }
    return new Read(List.copyOf(operations), List.copyOf(statementOf));
  }

  /** One statement, read token by token ({@link DdlTokens}). */
  private static final class Reader {
    private final DdlTokens tokens;
    private final String at;
    private final String table;

    Reader(String statement, String at, String table) {
      this.tokens = new DdlTokens(statement, at);
      this.at = at;
      this.table = table;
    }

    List<Requests.SchemaOperation> statement() {
      List<Requests.SchemaOperation> ops;
      if (tokens.takeWords("ALTER", "TABLE")) {
        tokens.takeWords("IF", "EXISTS");
        tokens.takeWords("ONLY");
        requireTable();
        ops = alterActions();
      } else if (tokens.takeWords("CREATE", "UNIQUE")) {
        throw refused("a unique index on a branch is not built: add a unique constraint (ALTER TABLE … ADD CONSTRAINT"
            + " n UNIQUE (…))");
      } else if (tokens.takeWords("CREATE", "INDEX")) {
        ops = List.of(createIndex());
      } else if (tokens.takeWords("DROP", "INDEX")) {
        tokens.takeWords("CONCURRENTLY");
        tokens.takeWords("IF", "EXISTS");
        String name = qualifiedLast();
        tokens.takeWords("RESTRICT");
        ops = List.of(op(BranchSchemaResource.DROP_INDEX, name));
      } else {
        throw refused("the statements a branch's table takes are ALTER TABLE, CREATE INDEX and DROP INDEX");
      }
      tokens.takeSymbol(";");
      if (!tokens.atEnd()) {
        throw refused("one statement an entry");
      }
      return ops;
    }

    /** The table's name, schema-qualified or not: the path's table. */
    private void requireTable() {
      String name = qualifiedLast();
      if (!name.equals(table)) {
        throw StrataException.invalid(at, "the statement names table " + name + ", this path table " + table);
      }
    }

    /** A name, perhaps after a schema's: its last part. */
    private String qualifiedLast() {
      String name = tokens.name();
      while (tokens.takeSymbol(".")) {
        name = tokens.name();
      }
      return name;
    }

    /** ALTER TABLE's actions; the ALTER COLUMN actions on one column read as one alter_column. */
    private List<Requests.SchemaOperation> alterActions() {
      List<Requests.SchemaOperation> ops = new ArrayList<>();
      Map<String, Integer> altered = new LinkedHashMap<>();
      do {
        if (tokens.takeWords("ADD", "CONSTRAINT")) {
          ops.add(addConstraint(tokens.name()));
        } else if (tokens.takeWords("ADD")) {
          if (!tokens.takeWords("COLUMN") && UNNAMED.stream().anyMatch(tokens::peekWords)) {
            throw refused("a branch's constraint is named: ADD CONSTRAINT n CHECK (…) or ADD CONSTRAINT n UNIQUE (…)");
          }
          if (tokens.peekWords("IF", "NOT", "EXISTS")) {
            throw refused("ADD COLUMN IF NOT EXISTS is not taken: a branch's column is added once");
          }
          ops.add(addColumn());
        } else if (tokens.takeWords("DROP", "CONSTRAINT")) {
          ops.add(op(BranchSchemaResource.DROP_CONSTRAINT, tokens.name()));
          tokens.takeWords("RESTRICT");
        } else if (tokens.takeWords("DROP")) {
          tokens.takeWords("COLUMN");
          ops.add(op(BranchSchemaResource.DROP_COLUMN, tokens.name()));
          tokens.takeWords("RESTRICT");
        } else if (tokens.takeWords("RENAME")) {
          if (tokens.peekWords("TO")) {
            throw refused("a branch's table keeps its name");
          }
          if (!ops.isEmpty()) {
            throw refused("RENAME is an ALTER TABLE of its own, as PostgreSQL has it");
          }
          tokens.takeWords("COLUMN");
          String from = tokens.name();
          tokens.requireWords("TO");
          ops.add(new Requests.SchemaOperation(BranchSchemaResource.RENAME_COLUMN, from, null, null, null,
              tokens.name(), null, null, null, null, null, null));
          if (tokens.peekSymbol(",")) {
            throw refused("RENAME is an ALTER TABLE of its own, as PostgreSQL has it");
          }
        } else if (tokens.takeWords("ALTER")) {
          tokens.takeWords("COLUMN");
          String column = tokens.name();
          Requests.SchemaOperation change = alterColumn(column);
          Integer earlier = altered.get(column);
          if (earlier == null) {
            altered.put(column, ops.size());
            ops.add(change);
          } else {
            ops.set(earlier, joined(ops.get(earlier), change));
          }
        } else {
          throw refused("an ALTER TABLE action a branch takes: ADD [COLUMN], DROP [COLUMN], RENAME [COLUMN],"
              + " ALTER [COLUMN], ADD CONSTRAINT (CHECK or UNIQUE), DROP CONSTRAINT");
        }
      } while (tokens.takeSymbol(","));
      return ops;
    }

    private Requests.SchemaOperation addColumn() {
      String name = tokens.name();
      String type = typeName(tokens.spanUntil(COLUMN_CONSTRAINTS));
      if (type.isEmpty()) {
        throw refused("a column's type");
      }
      TextNode defaultValue = null;
      Boolean nullable = null;
      boolean defaulted = false;
      while (true) {
        if (tokens.peekWords("DEFAULT") && defaulted
            || (tokens.peekWords("NOT", "NULL") || tokens.peekWords("NULL")) && nullable != null) {
          throw refused("a column's DEFAULT and NULL or NOT NULL once each");
        }
        if (tokens.takeWords("DEFAULT")) {
          defaultValue = literal(type);
          defaulted = true;
        } else if (tokens.takeWords("NOT", "NULL")) {
          nullable = false;
        } else if (tokens.takeWords("NULL")) {
          nullable = true;
        } else {
          break;
        }
      }
      if (!tokens.atEnd() && !tokens.peekSymbol(",") && !tokens.peekSymbol(";")) {
        throw refused("a branch's new column takes a type, DEFAULT and NOT NULL alone (a constraint is added by"
            + " ADD CONSTRAINT)");
      }
      return new Requests.SchemaOperation(BranchSchemaResource.ADD_COLUMN, name, type, nullable, defaultValue,
          null, null, null, null, null, null, null);
    }

    private Requests.SchemaOperation alterColumn(String column) {
      if (tokens.takeWords("SET", "DATA", "TYPE") || tokens.takeWords("TYPE")) {
        String type = typeName(tokens.spanUntil(List.of("USING", "COLLATE")));
        if (tokens.peekWords("COLLATE")) {
          throw refused("a column's collation on a branch is not taken");
        }
        if (type.isEmpty()) {
          throw refused("the column's new type");
        }
        String using = tokens.takeWords("USING") ? tokens.spanUntil(List.of()) : null;
        if (using != null && using.isEmpty()) {
          throw refused("the expression after USING");
        }
        return new Requests.SchemaOperation(BranchSchemaResource.ALTER_COLUMN, column, type, null, null, null, null,
            null, null, null, null, using);
      }
      if (tokens.takeWords("SET", "DEFAULT")) {
        TextNode value = literal(null);
        // (SET DEFAULT NULL: no default, as DROP DEFAULT)
        return new Requests.SchemaOperation(BranchSchemaResource.ALTER_COLUMN, column, null, null, value, null,
            value == null ? Boolean.TRUE : null, null, null, null, null, null);
      }
      if (tokens.takeWords("DROP", "DEFAULT")) {
        return new Requests.SchemaOperation(BranchSchemaResource.ALTER_COLUMN, column, null, null, null, null, true,
            null, null, null, null, null);
      }
      boolean set = tokens.takeWords("SET", "NOT", "NULL");
      if (set || tokens.takeWords("DROP", "NOT", "NULL")) {
        return new Requests.SchemaOperation(BranchSchemaResource.ALTER_COLUMN, column, null, !set, null, null, null,
            null, null, null, null, null);
      }
      throw refused("an ALTER COLUMN a branch takes: [SET DATA] TYPE … [USING …], SET DEFAULT, DROP DEFAULT,"
          + " SET NOT NULL, DROP NOT NULL");
    }

    /** Two ALTER COLUMN actions on one column as one alter_column; both setting one thing: 422. */
    private Requests.SchemaOperation joined(Requests.SchemaOperation a, Requests.SchemaOperation b) {
      if (a.type() != null && b.type() != null || a.nullable() != null && b.nullable() != null
          || (a.defaultValue() != null || a.dropDefault() != null) && (b.defaultValue() != null || b.dropDefault() != null)) {
        throw StrataException.invalid(at, "column " + a.name() + " is altered twice in the same way");
      }
      return new Requests.SchemaOperation(a.op(), a.name(), a.type() != null ? a.type() : b.type(),
          a.nullable() != null ? a.nullable() : b.nullable(),
          a.defaultValue() != null ? a.defaultValue() : b.defaultValue(), null,
          a.dropDefault() != null ? a.dropDefault() : b.dropDefault(), null, null, null, null,
          a.using() != null ? a.using() : b.using());
    }

    private Requests.SchemaOperation addConstraint(String name) {
      if (tokens.takeWords("CHECK")) {
        String check = tokens.parenthesized();
        if (tokens.peekWords("NOT", "VALID") || tokens.peekWords("NO", "INHERIT")) {
          throw refused("a branch's check holds for every row it reads: NOT VALID and NO INHERIT are not taken");
        }
        return new Requests.SchemaOperation(BranchSchemaResource.ADD_CONSTRAINT, name, null, null, null, null, null,
            check, null, null, null, null);
      }
      if (tokens.takeWords("UNIQUE")) {
        if (tokens.peekWords("NULLS")) {
          throw refused("a branch's unique constraint treats nulls as distinct: NULLS NOT DISTINCT is not taken");
        }
        List<String> columns = tokens.names();
        if (!tokens.atEnd() && !tokens.peekSymbol(",") && !tokens.peekSymbol(";")) {
          throw refused("a branch's unique constraint is UNIQUE (columns) alone: INCLUDE, DEFERRABLE and index"
              + " parameters are not taken");
        }
        return new Requests.SchemaOperation(BranchSchemaResource.ADD_CONSTRAINT, name, null, null, null, null, null,
            null, columns, null, true, null);
      }
      throw refused("a branch's constraints are CHECK (…) and UNIQUE (…)");
    }

    private Requests.SchemaOperation createIndex() {
      tokens.takeWords("CONCURRENTLY");
      if (tokens.takeWords("IF", "NOT", "EXISTS")) {
        throw refused("CREATE INDEX IF NOT EXISTS is not taken: a branch's index is made once");
      }
      if (tokens.peekWords("ON")) {
        throw refused("a branch's index is named");
      }
      String name = tokens.name();
      tokens.requireWords("ON");
      tokens.takeWords("ONLY");
      requireTable();
      String method = null;
      if (tokens.takeWords("USING")) {
        method = tokens.name();
      }
      List<String> columns = tokens.names();
      if (!tokens.atEnd() && !tokens.peekSymbol(";")) {
        throw refused("a branch's index is on columns alone: INCLUDE, WHERE, WITH, TABLESPACE and expressions are"
            + " not taken");
      }
      return new Requests.SchemaOperation(BranchSchemaResource.ADD_INDEX, name, null, null, null, null, null, null,
          columns, method, null, null);
    }

    /**
     * A default: a string, number or boolean literal, or NULL (none); a cast after it to a type (to {@code type}, the
     * new column's, when given) passed over, the column's type reading the constant as the cast would.
     */
    private TextNode literal(String type) {
      TextNode value = tokens.literal();
      if (tokens.takeSymbol("::")) {
        String cast = typeName(tokens.spanUntil(COLUMN_CONSTRAINTS));
        if (!BARE_TYPE.matcher(cast).matches() || type != null && !cast.equals(type)) {
          throw refused("a constant default, cast to the column's type at most (an expression is not taken on a"
              + " branch)");
        }
      }
      return value;
    }

    /** A type as written, in the form a given operation's takes: lower case, single spaces, {@code varchar(20)}. */
    private static String typeName(String written) {
      return written.contains("\"") ? written : written.toLowerCase(java.util.Locale.ROOT).replaceAll("\\s+", " ")
          .replaceAll(" ?\\( ?", "(").replaceAll(" ?\\)", ")").replaceAll(" ?, ?", ",").replaceAll(" ?\\[ ?\\]", "[]");
    }

    private static Requests.SchemaOperation op(String op, String name) {
      return new Requests.SchemaOperation(op, name, null, null, null, null, null, null, null, null, null, null);
    }

    private StrataException refused(String message) {
      return tokens.refused(message);
    }
  }
}
