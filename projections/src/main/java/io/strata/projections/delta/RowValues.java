package io.strata.projections.delta;

import io.delta.kernel.data.ColumnVector;
import io.delta.kernel.types.BinaryType;
import io.delta.kernel.types.BooleanType;
import io.delta.kernel.types.ByteType;
import io.delta.kernel.types.DataType;
import io.delta.kernel.types.DateType;
import io.delta.kernel.types.DecimalType;
import io.delta.kernel.types.DoubleType;
import io.delta.kernel.types.FloatType;
import io.delta.kernel.types.IntegerType;
import io.delta.kernel.types.LongType;
import io.delta.kernel.types.ShortType;
import io.delta.kernel.types.StringType;
import io.delta.kernel.types.TimestampNTZType;
import io.delta.kernel.types.TimestampType;
import java.math.BigDecimal;
import java.util.List;

/**
 * A column's values as Java values and back: the primitive types of Delta's schema (numbers, strings, booleans,
 * decimals, binary; dates as days since the epoch, timestamps as microseconds). Nested types (struct, array, map)
 * are not versioned by key yet: a table with one is refused by name.
 */
final class RowValues {

  private RowValues() {
  }

  /** Row {@code row}'s value of {@code vector} (null when null). */
  static Object read(ColumnVector vector, int row) {
    if (vector.isNullAt(row)) {
      return null;
    }
    DataType type = vector.getDataType();
    if (type instanceof LongType || type instanceof TimestampType || type instanceof TimestampNTZType) {
      return vector.getLong(row);
    } else if (type instanceof IntegerType || type instanceof DateType) {
      return vector.getInt(row);
    } else if (type instanceof StringType) {
      return vector.getString(row);
    } else if (type instanceof BooleanType) {
      return vector.getBoolean(row);
    } else if (type instanceof DoubleType) {
      return vector.getDouble(row);
    } else if (type instanceof FloatType) {
      return vector.getFloat(row);
    } else if (type instanceof ShortType) {
      return vector.getShort(row);
    } else if (type instanceof ByteType) {
      return vector.getByte(row);
    } else if (type instanceof DecimalType) {
      return vector.getDecimal(row);
    } else if (type instanceof BinaryType) {
      return vector.getBinary(row);
    }
    throw unsupported(type);
  }

  /**
   * An integer of a narrower type than the merge core may hold (a side that widened the column): never cut, refused
   * (the merge writes nothing) when it does not fit.
   */
  private static long fitting(com.fasterxml.jackson.databind.JsonNode v, long min, long max, DataType type) {
    long value = v.asLong();
    if (!v.canConvertToLong() || value < min || value > max) {
      throw new IllegalArgumentException("the value " + v + " does not fit the column's type " + type
          + " (another side widened it): widen it here first");
    }
    return value;
  }

  /** A value of {@code type} as the merge core's JSON holds it ({@code DeltaMerge.json}), back as a Java value. */
  static Object fromJson(com.fasterxml.jackson.databind.JsonNode v, DataType type) {
    if (type instanceof LongType || type instanceof TimestampType || type instanceof TimestampNTZType) {
      return v.asLong();
    } else if (type instanceof IntegerType || type instanceof DateType) {
      return (int) fitting(v, Integer.MIN_VALUE, Integer.MAX_VALUE, type);
    } else if (type instanceof ShortType) {
      return (short) fitting(v, Short.MIN_VALUE, Short.MAX_VALUE, type);
    } else if (type instanceof ByteType) {
      return (byte) fitting(v, Byte.MIN_VALUE, Byte.MAX_VALUE, type);
    } else if (type instanceof DoubleType) {
      return v.asDouble();
    } else if (type instanceof FloatType) {
      return (float) v.asDouble();
    } else if (type instanceof BooleanType) {
      return v.asBoolean();
    } else if (type instanceof DecimalType d) {
      // the column's own scale: Kernel writes wide decimals by their unscaled value
      return new BigDecimal(v.asText()).setScale(d.getScale(), java.math.RoundingMode.UNNECESSARY);
    } else if (type instanceof BinaryType) {
      try {
        return v.binaryValue();
      } catch (java.io.IOException e) {
        throw new IllegalArgumentException(e);
      }
    } else if (type instanceof StringType) {
      return v.asText();
    }
    throw unsupported(type);
  }

  /** A column of {@code values} of {@code type}, as Kernel's writers read it. */
  static ColumnVector vector(DataType type, List<Object> values) {
    if (!supported(type)) {
      throw unsupported(type);
    }
    return new ColumnVector() {
      @Override
      public DataType getDataType() {
        return type;
      }

      @Override
      public int getSize() {
        return values.size();
      }

      @Override
      public void close() {
      }

      @Override
      public boolean isNullAt(int row) {
        return values.get(row) == null;
      }

      @Override
      public boolean getBoolean(int row) {
        return (Boolean) values.get(row);
      }

      @Override
      public byte getByte(int row) {
        return ((Number) values.get(row)).byteValue();
      }

      @Override
      public short getShort(int row) {
        return ((Number) values.get(row)).shortValue();
      }

      @Override
      public int getInt(int row) {
        return ((Number) values.get(row)).intValue();
      }

      @Override
      public long getLong(int row) {
        return ((Number) values.get(row)).longValue();
      }

      @Override
      public float getFloat(int row) {
        return ((Number) values.get(row)).floatValue();
      }

      @Override
      public double getDouble(int row) {
        return ((Number) values.get(row)).doubleValue();
      }

      @Override
      public String getString(int row) {
        return (String) values.get(row);
      }

      @Override
      public BigDecimal getDecimal(int row) {
        Object v = values.get(row);
        BigDecimal d = v instanceof BigDecimal b ? b : new BigDecimal(v.toString());
        // Kernel writes decimals wider than 18 digits by their unscaled value: the column's scale, exactly
        return d.setScale(((DecimalType) type).getScale(), java.math.RoundingMode.UNNECESSARY);
      }

      @Override
      public byte[] getBinary(int row) {
        return (byte[]) values.get(row);
      }
    };
  }

  /** {@code value} (as {@link #read} gives it) of {@code type} as Kernel's literal: a partition's value. */
  static io.delta.kernel.expressions.Literal literal(DataType type, Object value) {
    if (value == null) {
      return io.delta.kernel.expressions.Literal.ofNull(type);
    }
    if (type instanceof LongType) {
      return io.delta.kernel.expressions.Literal.ofLong(((Number) value).longValue());
    } else if (type instanceof IntegerType) {
      return io.delta.kernel.expressions.Literal.ofInt(((Number) value).intValue());
    } else if (type instanceof ShortType) {
      return io.delta.kernel.expressions.Literal.ofShort(((Number) value).shortValue());
    } else if (type instanceof ByteType) {
      return io.delta.kernel.expressions.Literal.ofByte(((Number) value).byteValue());
    } else if (type instanceof StringType) {
      return io.delta.kernel.expressions.Literal.ofString((String) value);
    } else if (type instanceof BooleanType) {
      return io.delta.kernel.expressions.Literal.ofBoolean((Boolean) value);
    } else if (type instanceof DoubleType) {
      return io.delta.kernel.expressions.Literal.ofDouble(((Number) value).doubleValue());
    } else if (type instanceof FloatType) {
      return io.delta.kernel.expressions.Literal.ofFloat(((Number) value).floatValue());
    } else if (type instanceof DateType) {
      return io.delta.kernel.expressions.Literal.ofDate(((Number) value).intValue());
    } else if (type instanceof TimestampType) {
      return io.delta.kernel.expressions.Literal.ofTimestamp(((Number) value).longValue());
    } else if (type instanceof TimestampNTZType) {
      return io.delta.kernel.expressions.Literal.ofTimestampNtz(((Number) value).longValue());
    } else if (type instanceof DecimalType d) {
      BigDecimal v = value instanceof BigDecimal b ? b : new BigDecimal(value.toString());
      return io.delta.kernel.expressions.Literal.ofDecimal(v.setScale(d.getScale(),
          java.math.RoundingMode.UNNECESSARY), d.getPrecision(), d.getScale());
    } else if (type instanceof BinaryType) {
      return io.delta.kernel.expressions.Literal.ofBinary((byte[]) value);
    }
    throw unsupported(type);
  }

  static boolean supported(DataType type) {
    return type instanceof LongType || type instanceof TimestampType || type instanceof TimestampNTZType
        || type instanceof IntegerType || type instanceof DateType || type instanceof StringType
        || type instanceof BooleanType || type instanceof DoubleType || type instanceof FloatType
        || type instanceof ShortType || type instanceof ByteType || type instanceof DecimalType
        || type instanceof BinaryType;
  }

  private static UnsupportedOperationException unsupported(DataType type) {
    return new UnsupportedOperationException("columns of type " + type + " are not versioned by key yet");
  }
}
