package io.strata.server.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.strata.events.TableShape;
import io.strata.server.application.ColumnOperationInput;
import io.strata.server.domain.SchemaChoices;
import io.strata.server.domain.SchemaMerge;
import io.strata.server.domain.StrataException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A merge's {@code schema_strategy} and {@code schema_resolutions} read into {@link SchemaChoices}, every field
 * checked (422 naming it) before anything is read or changed. A definition is checked for its form here; the
 * table's database defines it (its type as it formats it, its default as it keeps it) when the merge settles.
 */
final class SchemaResolutionsInput {
  /** How many resolutions one request may give: as many conflicts as a refusal lists. */
  static final int MAX = 100;

  private SchemaResolutionsInput() {}

  static SchemaChoices choices(String strategy, List<Requests.SchemaResolution> given) {
    SchemaMerge.Side side = MergeResource.choice("schema_strategy", strategy, SchemaMerge.Side.class, null);
    if (given == null || given.isEmpty()) {
      return SchemaChoices.all(side);
    }
    if (given.size() > MAX) {
      throw StrataException.invalid("schema_resolutions", "at most " + MAX + " resolutions");
    }
    List<SchemaChoices.Resolution> resolutions = new ArrayList<>();
    Set<List<String>> named = new HashSet<>();
    for (int i = 0; i < given.size(); i++) {
      Requests.SchemaResolution r = given.get(i);
      String at = "schema_resolutions[" + i + "]";
      if (r == null) {
        throw StrataException.invalid(at, "a resolution: table, column (or constraint), and take or definition");
      }
      requireName(r.table(), at + ".table");
      if ((r.column() == null) == (r.constraint() == null)) {
        throw StrataException.invalid(at, "names the conflict's column or its constraint (a check or index): one of"
            + " them");
      }
      requireName(r.column() != null ? r.column() : r.constraint(), at + (r.column() != null ? ".column" : ".constraint"));
      if (!named.add(List.of(r.table(), r.column() != null ? "column" : "constraint",
          r.column() != null ? r.column() : r.constraint()))) {
        throw StrataException.invalid(at, "settles a conflict an earlier resolution settles");
      }
      if ((r.take() == null) == (r.definition() == null)) {
        throw StrataException.invalid(at, "takes a side (take: ours or theirs) or gives a definition: one of them");
      }
      if (r.definition() != null && r.column() == null) {
        throw StrataException.invalid(at + ".definition", "a definition settles a column's conflict, not a check's or"
            + " an index's: take ours or theirs");
      }
      SchemaMerge.Side take = MergeResource.choice(at + ".take", r.take(), SchemaMerge.Side.class, null);
      resolutions.add(new SchemaChoices.Resolution(r.table(), r.column(), r.constraint(), take,
          r.definition() == null ? null : definition(r.column(), r.definition(), at + ".definition")));
    }
    return SchemaChoices.of(side, resolutions);
  }

  /** The definition as given (its default's text as the client wrote it): the table's database defines it later. */
  private static TableShape.Column definition(String column, Requests.ColumnDefinition d, String at) {
    JsonNode v = d.defaultValue();
    if (v != null && !v.isNull() && !v.isValueNode()) {
      throw StrataException.invalid(at + ".default", "a JSON string, number or boolean the column's type reads");
    }
    String defaultText = v == null || v.isNull() ? null : v.asText();
    ColumnOperationInput.checkDefinition(d.type(), defaultText, at);
    boolean nullable = d.nullable() == null || d.nullable();
    if (!nullable && defaultText == null) {
      throw StrataException.invalid(at + ".default", "a NOT NULL column needs a default: the rows a branch has not"
          + " written read it");
    }
    return new TableShape.Column(column, d.type(), nullable, null, defaultText, null, null);
  }

  private static void requireName(String name, String at) {
    if (name == null || name.isEmpty() || name.length() > 63 || name.indexOf('\0') >= 0) {
      throw StrataException.invalid(at, "1-63 characters, as the conflict listing names it");
    }
  }
}
