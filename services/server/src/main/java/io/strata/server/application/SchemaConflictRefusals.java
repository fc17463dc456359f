package io.strata.server.application;

import io.strata.events.TableShape;
import io.strata.server.domain.ErrorCode;
import io.strata.server.domain.SchemaMerge;
import io.strata.server.domain.StrataException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** How a schema merge's refusals read: the 409 SchemaConflict with each conflict's three definitions. */
final class SchemaConflictRefusals {
  private SchemaConflictRefusals() {}

  static StrataException refusal(List<SchemaMerge.Conflict> open, String source, String target) {
    SchemaMerge.Conflict first = open.get(0);
    boolean data = first.kind() == SchemaMerge.Kind.SCHEMA_DATA;
    // schema_data: the side that kept the column changed its values, the other dropped it
    String changedBy = first.theirs() == null ? target : source;
    return new StrataException(ErrorCode.SchemaConflict, open.size() + " schema conflict(s) merging '"
        + source + "' into '" + target + "', the first: " + first.kind().wire() + " on column '"
        + first.column() + "' of table '" + first.table() + "' (" + named(first.ours(), first.column())
        + definition(first.ours()) + " on '" + target + "', " + named(first.theirs(), first.column())
        + definition(first.theirs()) + " on '" + source + "'" + (data
            ? ", whose values '" + changedBy + "' changed since the base" : "")
        + (!data ? "); settle them with schema_strategy ours or theirs, or each with schema_resolutions (a side,"
            + " or a column's definition)" : first.theirs() == null
            ? "); settle them with schema_strategy ours, or each with a schema_resolutions take ours (the column stays"
                + " on '" + target + "' with its values)"
            : "); settle them with schema_strategy ours, or each with a schema_resolutions take ours (the values go"
                + " with the column)")
        + ", or change the columns on one side first",
        Map.of("schema_conflicts", open.stream().limit(SchemaMerges.LISTED).map(SchemaConflictRefusals::detail).toList(),
            "schema_conflict_count", open.size()));
  }
  /** "named 'x' " when the side shows column {@code column} under another name (renamed on its branch). */
  private static String named(TableShape.Column c, String column) {
    return c == null || c.name().equals(column) ? "" : "named '" + c.name() + "' ";
  }

  static String definition(TableShape.Column c) {
    return c == null ? "absent" : c.type() + (c.nullable() ? "" : " not null")
        + (c.defaultValue() == null ? "" : " default " + c.defaultValue());
  }

  /** A conflict as the error's details list it. */
  private static Map<String, Object> detail(SchemaMerge.Conflict c) {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("table", c.table());
    d.put("column", c.column());
    d.put("type", c.kind().wire());
    d.put("base", column(c.base()));
    d.put("ours", column(c.ours()));
    d.put("theirs", column(c.theirs()));
    return d;
  }

  private static Map<String, Object> column(TableShape.Column c) {
    if (c == null) {
      return null;
    }
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("name", c.name()); // the name the side shows the column under (renamed on its branch: not the column's)
    d.put("type", c.type());
    d.put("nullable", c.nullable());
    d.put("default", c.defaultValue());
    return d;
  }
}
