package io.strata.projections.delta;

import io.delta.kernel.data.ArrayValue;
import io.delta.kernel.data.ColumnVector;
import io.delta.kernel.data.MapValue;
import io.delta.kernel.data.Row;
import io.delta.kernel.types.DataType;
import io.delta.kernel.types.StringType;
import io.delta.kernel.types.StructType;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Kernel's public row and map interfaces over plain values: what {@link DeltaTable} hands Kernel to read one file it
 * knows from its log entry (a scan-file row) without listing the snapshot. Values are stored by field name; a field
 * not given reads as null.
 */
final class KernelRows {
  private KernelRows() {}

  /** A row of {@code schema} holding {@code values} by field name (a nested struct: a row; a map: a map value). */
  static Row of(StructType schema, Map<String, ?> values) {
    Object[] ordered = new Object[schema.length()];
    values.forEach((name, value) -> {
      int at = schema.indexOf(name);
      if (at < 0) {
        throw new IllegalArgumentException("Kernel's " + schema + " has no field " + name);
      }
      ordered[at] = value;
    });
    return new ValuesRow(schema, ordered);
  }

  /** A map of strings to strings (a file's partition values). */
  static MapValue stringMap(Map<String, String> map) {
    List<String> keys = new ArrayList<>(map.keySet());
    List<String> values = new ArrayList<>();
    keys.forEach(k -> values.add(map.get(k)));
    return new MapValue() {
      @Override
      public int getSize() {
        return keys.size();
      }

      @Override
      public ColumnVector getKeys() {
        return new Strings(keys);
      }

      @Override
      public ColumnVector getValues() {
        return new Strings(values);
      }
    };
  }

  private record Strings(List<String> values) implements ColumnVector {
    @Override
    public DataType getDataType() {
      return StringType.STRING;
    }

    @Override
    public int getSize() {
      return values.size();
    }

    @Override
    public void close() {}

    @Override
    public boolean isNullAt(int rowId) {
      return values.get(rowId) == null;
    }

    @Override
    public String getString(int rowId) {
      return values.get(rowId);
    }
  }

  private record ValuesRow(StructType schema, Object[] values) implements Row {
    @Override
    public StructType getSchema() {
      return schema;
    }

    @Override
    public boolean isNullAt(int ordinal) {
      return values[ordinal] == null;
    }

    @Override
    public boolean getBoolean(int ordinal) {
      return (Boolean) values[ordinal];
    }

    @Override
    public byte getByte(int ordinal) {
      return ((Number) values[ordinal]).byteValue();
    }

    @Override
    public short getShort(int ordinal) {
      return ((Number) values[ordinal]).shortValue();
    }

    @Override
    public int getInt(int ordinal) {
      return ((Number) values[ordinal]).intValue();
    }

    @Override
    public long getLong(int ordinal) {
      return ((Number) values[ordinal]).longValue();
    }

    @Override
    public float getFloat(int ordinal) {
      return ((Number) values[ordinal]).floatValue();
    }

    @Override
    public double getDouble(int ordinal) {
      return ((Number) values[ordinal]).doubleValue();
    }

    @Override
    public String getString(int ordinal) {
      return (String) values[ordinal];
    }

    @Override
    public BigDecimal getDecimal(int ordinal) {
      return (BigDecimal) values[ordinal];
    }

    @Override
    public byte[] getBinary(int ordinal) {
      return (byte[]) values[ordinal];
    }

    @Override
    public Row getStruct(int ordinal) {
      return (Row) values[ordinal];
    }

    @Override
    public ArrayValue getArray(int ordinal) {
      return (ArrayValue) values[ordinal];
    }

    @Override
    public MapValue getMap(int ordinal) {
      return (MapValue) values[ordinal];
    }
  }
}
