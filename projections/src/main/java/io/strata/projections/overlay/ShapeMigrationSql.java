package io.strata.projections.overlay;

import io.strata.events.TableShape;
import io.strata.events.TableShape.Column;
import io.strata.events.TableShape.Constraint;
import io.strata.events.TableShape.Index;
import io.strata.projections.postgres.Sql;
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
 * constraints (the primary key first, foreign keys last) and indexes come back. Names are quoted;
 * types and expressions are as the catalog printed them (schema-qualified, see
 * {@code postgres.ShapeCatalog}).
 */
final class ShapeMigrationSql {
  private final String table;
  private final String schema;

  ShapeMigrationSql(TrackedTable tracked) {
    this.table = Sql.qualified(tracked.schema(), tracked.table());
    this.schema = tracked.schema();
  }

  List<String> statements(List<ShapeChange> changes) {
    List<String> out = new ArrayList<>();
    changes.stream().filter(c -> c.before() instanceof Constraint && c.change() != Kind.added)
        .sorted(Comparator.comparing(c -> !((Constraint) c.before()).kind().equals("foreign_key")))
        .forEach(c -> out.add(alter("DROP CONSTRAINT " + Sql.quote(c.object()))));
    changes.stream().filter(c -> c.before() instanceof Index && c.change() != Kind.added)
        .forEach(c -> out.add("DROP INDEX " + Sql.qualified(schema, c.object())));
    changes.stream().filter(c -> c.before() instanceof Column && c.change() == Kind.removed)
        .forEach(c -> out.add(alter("DROP COLUMN " + Sql.quote(c.object()))));
    changes.stream().filter(c -> c.before() instanceof Column && c.change() == Kind.modified)
        .forEach(c -> out.addAll(alterColumn((Column) c.before(), (Column) c.after())));
    changes.stream().filter(c -> c.after() instanceof Column && c.change() == Kind.added)
        .forEach(c -> out.add(alter("ADD COLUMN " + definition((Column) c.after()))));
    changes.stream().filter(c -> c.after() instanceof Constraint && c.change() != Kind.removed)
        .sorted(Comparator.comparing(c -> order((Constraint) c.after())))
        .forEach(c -> out.add(alter("ADD CONSTRAINT " + Sql.quote(c.object()) + " "
            + ((Constraint) c.after()).definition())));
    changes.stream().filter(c -> c.after() instanceof Index && c.change() != Kind.removed)
        .forEach(c -> {
          Index i = (Index) c.after();
          out.add("CREATE " + (i.unique() ? "UNIQUE " : "") + "INDEX " + Sql.quote(i.name()) + " ON " + table
              + " USING " + i.definition());
        });
    return out;
  }

  private static int order(Constraint c) {
    return switch (c.kind()) {
      case TableShape.PRIMARY_KEY -> 0;
      case "foreign_key" -> 2;
      default -> 1;
    };
  }

  private List<String> alterColumn(Column before, Column after) {
    String column = "ALTER COLUMN " + Sql.quote(after.name()) + " ";
    List<String> out = new ArrayList<>();
    if (before.generated() == null && after.generated() != null) {
      // a stored column cannot become generated in place
      out.add(alter("DROP COLUMN " + Sql.quote(before.name())));
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
    if (!before.type().equals(after.type())) {
      out.add(alter(column + "TYPE " + after.type() + " USING " + Sql.quote(after.name()) + "::" + after.type()));
    }
    if (before.generated() != null && after.generated() != null && !before.generated().equals(after.generated())) {
      out.add(alter(column + "SET EXPRESSION AS (" + after.generated() + ")"));
    }
    if (after.defaultValue() != null && !Objects.equals(before.defaultValue(), after.defaultValue())) {
      out.add(alter(column + "SET DEFAULT " + after.defaultValue()));
    }
    if (after.identity() != null && !after.identity().equals(before.identity())) {
      out.add(alter(column + (before.identity() == null ? "ADD GENERATED " + after.identity().toUpperCase() + " AS IDENTITY"
          : "SET GENERATED " + after.identity().toUpperCase())));
    }
    if (before.nullable() != after.nullable()) {
      out.add(alter(column + (after.nullable() ? "DROP NOT NULL" : "SET NOT NULL")));
    }
    return out;
  }

  private static String definition(Column c) {
    StringBuilder d = new StringBuilder(Sql.quote(c.name())).append(' ').append(c.type());
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
