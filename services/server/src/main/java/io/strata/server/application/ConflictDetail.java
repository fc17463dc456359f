package io.strata.server.application;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.strata.projections.rowdata.Merges;
import java.util.List;

/**
 * A merge conflict as answers show it. The key and the field values are JSON values (the key an array of
 * the key columns' values, in key order, as resolutions take it back), not JSON text inside strings, so
 * that a client compares and sends them back without parsing twice.
 *
 * @param constraint what refused the merged row (a {@code constraint} conflict only)
 */
public record ConflictDetail(String table, JsonNode key, String type,
    @JsonInclude(JsonInclude.Include.NON_NULL) String constraint, List<Field> fields) {
  /** Parses the JSON text the conflict tables keep; the mapper's settings do not matter to reading a tree. */
  private static final ObjectMapper TREES = new ObjectMapper();

  /**
   * One column of a conflict: its value at the base, on ours (the target) and on theirs (the source); null
   * when the column is SQL NULL there or the side has no row (the conflict's {@code type} says which side).
   */
  public record Field(String name, JsonNode base, JsonNode ours, JsonNode theirs) {}

  public static ConflictDetail of(Merges.Conflict c) {
    return new ConflictDetail(c.table(), value(c.key()), c.type(), c.refusedBy(), c.fields().stream()
        .map(f -> new Field(f.name(), value(f.base()), value(f.ours()), value(f.theirs()))).toList());
  }

  private static JsonNode value(String jsonText) {
    if (jsonText == null) {
      return null;
    }
    try {
      return TREES.readTree(jsonText);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a conflict table holds text that is not JSON: " + e.getOriginalMessage(), e);
    }
  }
}
