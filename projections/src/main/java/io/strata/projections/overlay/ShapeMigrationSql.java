package io.strata.projections.overlay;

import io.strata.events.TableShape;
import io.strata.events.TableShape.Column;
import io.strata.events.TableShape.Constraint;
import io.strata.events.TableShape.Index;
import io.strata.projections.rowdata.ShapeChange;
import io.strata.projections.rowdata.ShapeChange.Kind;
import io.strata.projections.rowdata.TrackedTable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;

/**
 * The DDL that makes a table's shape changes, ordered as a migration must run: what depends on
 * columns goes before them (foreign keys first), columns are dropped, changed and added, then
 * constraints (the primary key first, foreign keys last) and indexes come back. Names are quoted
 * whatever they hold; types and expressions are as the catalog printed them (schema-qualified, see
 * {@code postgres.ShapeCatalog}). A changed generation expression needs PostgreSQL 17
 * ({@code SET EXPRESSION}); a column that becomes generated is dropped and added again.
 */
final class ShapeMigrationSql {
  private final String table;
  private final String schema;

  ShapeMigrationSql(TrackedTable tracked) {
    this.table = name(tracked.schema()) + "." + name(tracked.table());
    this.schema = tracked.schema();
  }

  List<String> statements(List<ShapeChange> changes) {
    List<String> out = new ArrayList<>();
    changes.stream().filter(c -> c.before() instanceof Constraint && c.change() != Kind.added
            && c.change() != Kind.renamed)
        .sorted(Comparator.comparing(c -> !((Constraint) c.before()).kind().equals("foreign_key")))
        .forEach(c -> out.add(alter("DROP CONSTRAINT " + name(c.object()))));
    changes.stream().filter(c -> c.before() instanceof Constraint && c.change() == Kind.renamed)
        .forEach(c -> out.add(alter("RENAME CONSTRAINT " + name(((Constraint) c.before()).name()) + " TO "
            + name(((Constraint) c.after()).name()))));
    changes.stream().filter(c -> c.before() instanceof Index && c.change() != Kind.added)
        .forEach(c -> out.add("DROP INDEX " + name(schema) + "." + name(c.object())));
    changes.stream().filter(c -> c.before() instanceof Column && c.change() == Kind.removed)
        .forEach(c -> out.add(alter("DROP COLUMN " + name(c.object()))));
    // renamed before they are changed: a change names the column as the shape after does
    changes.stream().filter(c -> c.before() instanceof Column && c.change() == Kind.renamed)
        .forEach(c -> out.add(alter("RENAME COLUMN " + name(((Column) c.before()).name()) + " TO "
            + name(((Column) c.after()).name()))));
    changes.stream().filter(c -> c.before() instanceof Column && c.change() == Kind.modified)
        .forEach(c -> out.addAll(alterColumn((Column) c.before(), (Column) c.after())));
    changes.stream().filter(c -> c.after() instanceof Column && c.change() == Kind.added)
        .forEach(c -> out.add(alter("ADD COLUMN " + definition((Column) c.after()))));
    changes.stream().filter(c -> c.after() instanceof Constraint && c.change() != Kind.removed
            && c.change() != Kind.renamed)
        .sorted(Comparator.comparing(c -> order((Constraint) c.after())))
        .forEach(c -> out.add(alter("ADD CONSTRAINT " + name(c.object()) + " "
            + ((Constraint) c.after()).definition())));
    changes.stream().filter(c -> c.after() instanceof Index && c.change() != Kind.removed)
        .forEach(c -> {
          Index i = (Index) c.after();
          out.add("CREATE " + (i.unique() ? "UNIQUE " : "") + "INDEX " + name(i.name()) + " ON " + table
              + " USING " + i.definition());
        });
    return out;
  }

  /**
   * The statements that make a table of {@code shape} here: CREATE TABLE with its columns, then its constraints
   * (the primary key among them) and indexes as {@link #statements} adds them.
   */
  List<String> creation(io.strata.events.TableShape shape) {
    List<String> out = new ArrayList<>();
    out.add("CREATE TABLE " + table + " (" + shape.columns().stream().map(ShapeMigrationSql::definition)
        .collect(java.util.stream.Collectors.joining(", ")) + ")");
    io.strata.events.TableShape bare = new io.strata.events.TableShape(shape.columns(), shape.primaryKey(), List.of(),
        List.of());
    out.addAll(statements(io.strata.projections.rowdata.ShapeDiff.between(bare, shape)));
    return out;
  }

  /** The statement that drops the table. */
  List<String> removal() {
    return List.of("DROP TABLE " + table);
  }

  private static int order(Constraint c) {
    return switch (c.kind()) {
      case TableShape.PRIMARY_KEY -> 0;
      case "foreign_key" -> 2;
      default -> 1;
    };
  }

  private List<String> alterColumn(Column before, Column after) {
    String column = "ALTER COLUMN " + name(after.name()) + " ";
    List<String> out = new ArrayList<>();
    if (before.generated() == null && after.generated() != null) {
      // a stored column cannot become generated in place (ShapeDiff flags this as destructive)
      out.add(alter("DROP COLUMN " + name(before.name())));
      out.add(alter("ADD COLUMN " + definition(after)));
      return out;
    }
    if (before.defaultValue() != null && !Objects.equals(before.defaultValue(), after.defaultValue())) {
      out.add(alter(column + "DROP DEFAULT"));
    }
    if (before.identity() != null && after.identity() == null) {
      out.add(alter(column + "DROP IDENTITY"));
    }
    if (before.generated() != null && after.generated() == null) {
      out.add(alter(column + "DROP EXPRESSION"));
    }
    if (!before.type().equals(after.type()) || !Objects.equals(before.collation(), after.collation())) {
      // a generated column is recomputed: PostgreSQL refuses a USING for it
      out.add(alter(column + "TYPE " + typed(after) + (after.generated() != null ? ""
          : " USING " + name(after.name()) + "::" + after.type())));
    }
    if (before.generated() != null && after.generated() != null && !before.generated().equals(after.generated())) {
      out.add(alter(column + "SET EXPRESSION AS (" + after.generated() + ")")); // PostgreSQL 17 and later
    }
    if (after.defaultValue() != null && !Objects.equals(before.defaultValue(), after.defaultValue())) {
      out.add(alter(column + "SET DEFAULT " + after.defaultValue()));
    }
    if (before.nullable() != after.nullable()) {
      // before an identity is added: PostgreSQL adds one only to a NOT NULL column
      out.add(alter(column + (after.nullable() ? "DROP NOT NULL" : "SET NOT NULL")));
    }
    if (after.identity() != null && before.identity() == null) {
      out.add(alter(column + "ADD GENERATED " + after.identity().toUpperCase() + " AS IDENTITY"));
      // the new sequence starts past the values the column already holds
      out.add("SELECT setval(pg_get_serial_sequence('" + table.replace("'", "''") + "', '"
          + after.name().replace("'", "''") + "'), coalesce(max(" + name(after.name()) + "), 0) + 1, false) FROM "
          + table);
    } else if (after.identity() != null && !after.identity().equals(before.identity())) {
      out.add(alter(column + "SET GENERATED " + after.identity().toUpperCase()));
    }
    return out;
  }

  /** Any name the catalog holds, double-quoted with its quotes doubled (these statements are printed, not run). */
  private static String name(String identifier) {
    return '"' + identifier.replace("\"", "\"\"") + '"';
  }

  private static String typed(Column c) {
    return c.collation() == null ? c.type() : c.type() + " COLLATE " + c.collation();
  }

  private static String definition(Column c) {
    StringBuilder d = new StringBuilder(name(c.name())).append(' ').append(typed(c));
    if (c.generated() != null) {
      d.append(" GENERATED ALWAYS AS (").append(c.generated()).append(") STORED");
    }
    if (c.identity() != null) {
      d.append(" GENERATED ").append(c.identity().toUpperCase()).append(" AS IDENTITY");
    }
    if (c.defaultValue() != null) {
      d.append(" DEFAULT ").append(c.defaultValue());
    }
    if (!c.nullable()) {
      d.append(" NOT NULL");
    }
    return d.toString();
  }

  private String alter(String action) {
    return "ALTER TABLE " + table + " " + action;
  }
}
