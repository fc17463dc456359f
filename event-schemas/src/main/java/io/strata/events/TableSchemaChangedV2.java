package io.strata.events;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** {@code table.schema_changed.v2} carried no migration statements: read as none. */
final class TableSchemaChangedV2 implements Upcaster {
  @Override
  public String fromType() {
    return EventType.PREFIX + "table.schema_changed.v2";
  }

  @Override
  public String toType() {
    return EventType.TABLE_SCHEMA_CHANGED.type();
  }

  @Override
  public JsonNode upcast(JsonNode data) {
    ObjectNode v3 = data.deepCopy();
    v3.putArray("migration");
    return v3;
  }
}
