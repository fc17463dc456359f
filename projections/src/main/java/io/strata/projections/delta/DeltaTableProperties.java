package io.strata.projections.delta;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The properties of a Delta table that Strata makes, and those that permit what Strata does to a table. Only
 * {@value #TYPE_WIDENING} can be given for now. Setting it to true is the consent Spark asks for before a column's
 * type is widened: it adds the protocol's {@code typeWidening} feature, and after that only Delta 4.0+ readers can
 * read the table. Strata widens a column only when the tracked table has the property set to true (its own making
 * with it, or another engine's {@code ALTER TABLE … SET TBLPROPERTIES}).
 */
public final class DeltaTableProperties {
  /** Delta's table property that enables type widening. */
  public static final String TYPE_WIDENING = "delta.enableTypeWidening";

  /** A property a table is not made with: its name and why. Nothing was made. */
  public static final class Refused extends IllegalArgumentException {
    private final String property;

    Refused(String property, String message) {
      super(message, null);
      this.property = property;
    }

    public String property() {
      return property;
    }
  }

  private DeltaTableProperties() {}

  /**
   * The properties a table is made with, from {@code given} (null: none). Values are normalized ({@code "TRUE"}
   * becomes {@code "true"}). A key Strata does not set, or a value the property does not take, is {@link Refused}.
   */
  public static Map<String, String> checked(Map<String, String> given) {
    Map<String, String> properties = new LinkedHashMap<>();
    if (given == null) {
      return properties;
    }
    for (Map.Entry<String, String> e : given.entrySet()) {
      if (!TYPE_WIDENING.equals(e.getKey())) {
        throw new Refused(e.getKey(), "Strata makes Delta tables with " + TYPE_WIDENING + " only (other properties"
            + " are set by another engine, on the table's path)");
      }
      String value = e.getValue() == null ? "" : e.getValue().trim().toLowerCase(Locale.ROOT);
      if (!value.equals("true") && !value.equals("false")) {
        throw new Refused(e.getKey(), "true or false");
      }
      properties.put(e.getKey(), value);
    }
    return properties;
  }

  /**
   * Refuses widening {@code column} unless the tracked table's {@code properties} permit it (Delta's rule: the property
   * is true): its readers then need Delta 4.0+, which Spark asks the table's owner to accept first.
   */
  static void requireWidening(Map<String, String> properties, String column) {
    if (!"true".equalsIgnoreCase(properties.getOrDefault(TYPE_WIDENING, "").trim())) {
      throw new ClientValues.Refused(column, "the table has not enabled type widening: set its"
          + " property " + TYPE_WIDENING + " = true first (table_properties when Strata makes it, or another engine's"
          + " ALTER TABLE ... SET TBLPROPERTIES), after which only Delta 4.0+ readers read it");
    }
  }
}
