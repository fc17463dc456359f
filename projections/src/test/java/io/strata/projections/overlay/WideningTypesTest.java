package io.strata.projections.overlay;

import static org.assertj.core.api.Assertions.assertThat;

import io.strata.projections.testing.TestDatabase;
import io.strata.projections.testing.TestPostgres;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The changes of type a branch makes without looking at a row ({@link io.strata.events.ColumnTypes#widens}) keep every value as
 * it reads, held against PostgreSQL itself: for each pair it names, the extreme and ordinary values of the narrower
 * type read the same JSON in the wider one; the pairs it does not name include ones that change a value.
 */
class WideningTypesTest {
  /** Values of each type: its extremes where it has them, and ordinary ones. */
  private static final List<String[]> SAMPLES = List.of(
      new String[] {"smallint", "-32768", "0", "32767"},
      new String[] {"integer", "-2147483648", "7", "2147483647"},
      new String[] {"bigint", "-9223372036854775808", "42", "9223372036854775807"},
      new String[] {"numeric", "0.10", "-1e-20", "123456789012345678901234567890.5"},
      new String[] {"numeric(8,2)", "-999999.99", "1.50", "0"},
      new String[] {"character varying(5)", "", "abcde", "é ü"},
      new String[] {"character varying", "a long text", "", "x"},
      new String[] {"text", "some text", "", " padded "});

  private static final List<String> TYPES = List.of("smallint", "integer", "bigint", "numeric", "numeric(8,2)",
      "numeric(10,2)", "numeric(12,3)", "numeric(7,2)", "character varying(5)", "character varying(3)",
      "character varying(40)", "character varying", "text", "real", "double precision", "date");

  @Test
  void everyPairItNamesKeepsEveryValueAndSomeItDoesNotNameWouldNot() throws Exception {
    TestDatabase db = TestPostgres.shared().newDatabase();
    int widenings = 0;
    try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
        Statement s = c.createStatement()) {
      for (String[] sample : SAMPLES) {
        String from = sample[0];
        for (String to : TYPES) {
          if (!io.strata.events.ColumnTypes.widens(from, to)) {
            continue;
          }
          widenings++;
          for (int i = 1; i < sample.length; i++) {
            String value = "'" + sample[i].replace("'", "''") + "'::" + from;
            try (ResultSet r = s.executeQuery("select to_jsonb(" + value + ")::text, to_jsonb((" + value + ")::" + to
                + ")::text")) {
              r.next();
              assertThat(r.getString(2)).as(from + " -> " + to + ": " + sample[i]).isEqualTo(r.getString(1));
            }
          }
        }
      }
    }
    assertThat(widenings).isGreaterThan(10);
    // narrowing, another scale, another kind: looked at row by row instead
    assertThat(io.strata.events.ColumnTypes.widens("bigint", "integer")).isFalse();
    assertThat(io.strata.events.ColumnTypes.widens("integer", "numeric(12,2)")).isFalse();
    assertThat(io.strata.events.ColumnTypes.widens("numeric(8,2)", "numeric(12,3)")).isFalse();
    assertThat(io.strata.events.ColumnTypes.widens("numeric(8,2)", "numeric(7,2)")).isFalse();
    assertThat(io.strata.events.ColumnTypes.widens("numeric", "numeric(12,2)")).isFalse();
    assertThat(io.strata.events.ColumnTypes.widens("character varying(5)", "character varying(3)")).isFalse();
    assertThat(io.strata.events.ColumnTypes.widens("text", "character varying(40)")).isFalse();
    assertThat(io.strata.events.ColumnTypes.widens("real", "double precision")).isFalse();
    assertThat(io.strata.events.ColumnTypes.widens("integer", "text")).isFalse();
  }
}
