package io.strata.events;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** {@code table.schema_changed.v1} was recorded while no branch could have columns of its own. */
final class TableSchemaChangedV1 implements Upcaster {
  @Override
  public String fromType() {
    return EventType.PREFIX + "table.schema_changed.v1";
  }

  @Override
  public String toType() {
    return EventType.PREFIX + "table.schema_changed.v2";
  }

  @Override
  public JsonNode upcast(JsonNode data) {
    ObjectNode v2 = data.deepCopy();
    v2.putArray("branch_columns");
    return v2;
  }
}
