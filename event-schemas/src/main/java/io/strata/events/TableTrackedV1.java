package io.strata.events;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** {@code table.tracked.v1} recorded the columns and key but not the table's full shape. */
final class TableTrackedV1 implements Upcaster {
  @Override
  public String fromType() {
    return EventType.PREFIX + "table.tracked.v1";
  }

  @Override
  public String toType() {
    return EventType.TABLE_TRACKED.type();
  }

  @Override
  public JsonNode upcast(JsonNode data) {
    ObjectNode v2 = data.deepCopy();
    v2.putNull("shape");
    return v2;
  }
}
