package io.strata.projections.delta;

import com.fasterxml.jackson.databind.JsonNode;
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
import io.delta.kernel.types.StructField;
import io.delta.kernel.types.TimestampNTZType;
import io.delta.kernel.types.TimestampType;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;

/**
 * A value a client gives for a column of a Delta table (a REST write, a resolution's value), held to the column's
 * type before anything is written: an integer in its range, a decimal within its precision and scale, a date or a
 * timestamp in ISO form (or as days / microseconds since the epoch), text as text; never a value quietly made into
 * another. A refusal names the column.
 */
public final class ClientValues {

  /** A value the column does not take: nothing was written. */
  public static final class Refused extends IllegalArgumentException {
    private final String column;

    Refused(String column, String message) {
      super("column '" + column + "': " + message, null);
      this.column = column;
    }

    public String column() {
      return column;
    }
  }

  private ClientValues() {
  }

  static Object of(JsonNode v, StructField field) {
    String column = field.getName();
    if (v == null || v.isNull()) {
      if (!field.isNullable()) {
        throw new Refused(column, "takes no null");
      }
      return null;
    }
    DataType type = field.getDataType();
    try {
      if (type instanceof LongType) {
        return integral(v, column, Long.MIN_VALUE, Long.MAX_VALUE);
      } else if (type instanceof IntegerType) {
        return (int) integral(v, column, Integer.MIN_VALUE, Integer.MAX_VALUE);
      } else if (type instanceof ShortType) {
        return (short) integral(v, column, Short.MIN_VALUE, Short.MAX_VALUE);
      } else if (type instanceof ByteType) {
        return (byte) integral(v, column, Byte.MIN_VALUE, Byte.MAX_VALUE);
      } else if (type instanceof DoubleType) {
        double d = number(v, column).doubleValue();
        if (Double.isInfinite(d)) {
          throw new Refused(column, "is out of range for a double");
        }
        return d;
      } else if (type instanceof FloatType) {
        double d = number(v, column).doubleValue();
        if (Math.abs(d) > Float.MAX_VALUE) {
          throw new Refused(column, "is out of range for a float");
        }
        return (float) d;
      } else if (type instanceof BooleanType) {
        if (!v.isBoolean()) {
          throw new Refused(column, "takes true or false");
        }
        return v.booleanValue();
      } else if (type instanceof DecimalType d) {
        BigDecimal value = number(v, column);
        BigDecimal scaled;
        try {
          scaled = value.setScale(d.getScale(), RoundingMode.UNNECESSARY);
        } catch (ArithmeticException e) {
          throw new Refused(column, "has more than " + d.getScale() + " decimal places");
        }
        if (scaled.precision() > d.getPrecision()) {
          throw new Refused(column, "does not fit decimal(" + d.getPrecision() + "," + d.getScale() + ")");
        }
        return scaled;
      } else if (type instanceof StringType) {
        if (!v.isValueNode()) {
          throw new Refused(column, "takes text, not " + v.getNodeType().name().toLowerCase());
        }
        return v.asText();
      } else if (type instanceof BinaryType) {
        if (!v.isTextual()) {
          throw new Refused(column, "takes base64 text");
        }
        return v.binaryValue();
      } else if (type instanceof DateType) {
        return v.isIntegralNumber() ? (int) integral(v, column, Integer.MIN_VALUE, Integer.MAX_VALUE)
            : (int) LocalDate.parse(text(v, column)).toEpochDay();
      } else if (type instanceof TimestampType) {
        return v.isIntegralNumber() ? integral(v, column, Long.MIN_VALUE, Long.MAX_VALUE)
            : micros(OffsetDateTime.parse(text(v, column)).toInstant());
      } else if (type instanceof TimestampNTZType) {
        return v.isIntegralNumber() ? integral(v, column, Long.MIN_VALUE, Long.MAX_VALUE)
            : micros(LocalDateTime.parse(text(v, column)).toInstant(ZoneOffset.UTC));
      }
    } catch (DateTimeParseException | java.io.IOException | ArithmeticException e) {
      throw new Refused(column, "is not a " + type + " value");
    }
    throw new Refused(column, "is of type " + type + ", which Strata does not write yet");
  }

  private static long integral(JsonNode v, String column, long min, long max) {
    BigDecimal n = number(v, column);
    BigInteger i;
    try {
      i = n.toBigIntegerExact();
    } catch (ArithmeticException e) {
      throw new Refused(column, "takes a whole number");
    }
    if (i.compareTo(BigInteger.valueOf(min)) < 0 || i.compareTo(BigInteger.valueOf(max)) > 0) {
      throw new Refused(column, "is out of range");
    }
    return i.longValueExact();
  }

  private static BigDecimal number(JsonNode v, String column) {
    if (v.isNumber()) {
      try {
        return v.decimalValue();
      } catch (NumberFormatException e) { // an infinity, or NaN, that the JSON number stood for
        throw new Refused(column, "is not a finite number");
      }
    }
    if (v.isTextual()) {
      try {
        String t = v.asText().strip();
        if (t.length() > 100) {
          throw new Refused(column, "is not a number");
        }
        return new BigDecimal(t);
      } catch (NumberFormatException e) {
        throw new Refused(column, "is not a number");
      }
    }
    throw new Refused(column, "takes a number");
  }

  private static String text(JsonNode v, String column) {
    if (!v.isTextual()) {
      throw new Refused(column, "takes ISO text or a number");
    }
    return v.asText();
  }

  private static long micros(Instant instant) {
    return ChronoUnit.MICROS.between(Instant.EPOCH, instant);
  }
}
