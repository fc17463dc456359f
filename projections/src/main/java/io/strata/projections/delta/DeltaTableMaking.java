package io.strata.projections.delta;

import io.delta.kernel.TableManager;
import io.delta.kernel.exceptions.TableNotFoundException;
import io.delta.kernel.types.BinaryType;
import io.delta.kernel.types.BooleanType;
import io.delta.kernel.types.DataType;
import io.delta.kernel.types.DateType;
import io.delta.kernel.types.DecimalType;
import io.delta.kernel.types.DoubleType;
import io.delta.kernel.types.FloatType;
import io.delta.kernel.types.IntegerType;
import io.delta.kernel.types.LongType;
import io.delta.kernel.types.ShortType;
import io.delta.kernel.types.StringType;
import io.delta.kernel.types.StructType;
import io.delta.kernel.types.TimestampType;
import io.delta.kernel.utils.CloseableIterable;
import io.smallrye.mutiny.Uni;
import io.strata.events.TableShape;
import io.strata.projections.rowdata.BranchObjects;
import io.strata.projections.rowdata.Tracking;
import io.strata.projections.rowdata.UnitOfWork;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Making a Delta table to track: its columns' types named as for a PostgreSQL table ({@code bigint}, {@code text},
 * {@code numeric(12,2)}, …) or as Delta names them ({@code long}, {@code string}, {@code decimal(12,2)}, …), written
 * as Delta's own; the key's columns NOT NULL. Kernel writes the table's first version (protocol 1/2, no data; 3/7
 * with type widening enabled: {@link DeltaTableProperties}), which any Delta engine then reads and writes at its
 * path. Delta tables have no column defaults Strata writes.
 */
final class DeltaTableMaking {
  private static final Pattern DECIMAL = Pattern.compile("(?:numeric|decimal)\\s*\\(\\s*(\\d{1,2})\\s*(?:,\\s*(\\d{1,2})\\s*)?\\)");

  /** The Delta type a column's type names; null when Delta has none Strata writes. */
  static DataType type(String name) {
    String t = name.trim().toLowerCase(Locale.ROOT).replaceAll("\\s+", " ");
    Matcher d = DECIMAL.matcher(t);
    if (d.matches()) {
      int precision = Integer.parseInt(d.group(1));
      int scale = d.group(2) == null ? 0 : Integer.parseInt(d.group(2));
      return precision >= 1 && precision <= 38 && scale <= precision ? new DecimalType(precision, scale) : null;
    }
    return switch (t) {
      case "bigint", "int8", "long" -> LongType.LONG;
      case "integer", "int", "int4" -> IntegerType.INTEGER;
      case "smallint", "int2", "short" -> ShortType.SHORT;
      case "byte", "tinyint" -> io.delta.kernel.types.ByteType.BYTE;
      case "text", "varchar", "character varying", "string" -> StringType.STRING;
      case "boolean", "bool" -> BooleanType.BOOLEAN;
      case "double precision", "float8", "double" -> DoubleType.DOUBLE;
      case "real", "float4", "float" -> FloatType.FLOAT;
      case "date" -> DateType.DATE;
      case "timestamp with time zone", "timestamptz", "timestamp" -> TimestampType.TIMESTAMP;
      case "bytea", "binary" -> BinaryType.BINARY;
      default -> null;
    };
  }

  /** A Delta type's name as its schema JSON writes it ({@code long}, {@code decimal(12,2)}, …). */
  static String name(DataType type) {
    return type instanceof DecimalType d ? "decimal(" + d.getPrecision() + "," + d.getScale() + ")" : type.toString();
  }

  /** How Delta defines {@code columns}: its type names; a type it lacks, or a default, refused by column. */
  static List<TableShape.Column> define(List<BranchObjects.NewColumn> columns) {
    return columns.stream().map(c -> {
      DataType type = type(c.type());
      if (type == null) {
        throw new BranchObjects.Undefinable(c.name(), "type " + c.type() + " has no Delta type Strata writes (bigint,"
            + " integer, smallint, text, boolean, double precision, real, numeric(p,s), date, timestamptz, bytea)");
      }
      if (c.defaultText() != null) {
        throw new BranchObjects.Undefinable(c.name(), "a Delta table's columns have no defaults");
      }
      return new TableShape.Column(c.name(), name(type), c.nullable(), null, null, null, null);
    }).toList();
  }

  public Uni<Void> create(UnitOfWork x, String schema, String path, List<TableShape.Column> columns,
      List<String> key, java.util.Map<String, String> properties) {
    java.util.Map<String, String> checked = DeltaTableProperties.checked(properties);
    DeltaUnit unit = DeltaUnit.of(x);
    return unit.blocking(() -> {
      DeltaTable table = unit.storage().table(path);
      try {
        table.latest();
        throw new Tracking.TableExists("a Delta table exists at " + table.root());
      } catch (TableNotFoundException free) {
        // the place is free
      }
      StructType struct = new StructType();
      for (TableShape.Column c : columns) {
        struct = struct.add(c.name(), type(c.type()), c.nullable() && !key.contains(c.name()));
      }
      // delta.enableTypeWidening = true: Kernel adds the typeWidening feature (reader 3, writer 7), as Spark does
      TableManager.buildCreateTableTransaction(table.root().toString(), struct, DeltaCommit.ENGINE)
          .withTableProperties(checked).build(unit.storage().engine()).commit(unit.storage().engine(), CloseableIterable.emptyIterable());
      return null;
    });
  }

  /** Drops a table it made, when tracking it was refused afterwards: only while it holds no rows. */
  public Uni<Void> dropMade(UnitOfWork x, String schema, String path) {
    DeltaUnit unit = DeltaUnit.of(x);
    return unit.blocking(() -> {
      DeltaTable table = unit.storage().table(path);
      try {
        if (!table.files(table.latest()).isEmpty()) {
          return null; // written to since: it stays
        }
      } catch (TableNotFoundException gone) {
        return null;
      }
      unit.storage().deleteTree(table.root().toString());
      return null;
    });
  }
}
