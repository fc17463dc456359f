package io.strata.events;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** {@code table.placed.v1} did not rename the key's constraint at the place: read as the shape recorded before. */
final class TablePlacedV1 implements Upcaster {
  @Override
  public String fromType() {
    return EventType.PREFIX + "table.placed.v1";
  }

  @Override
  public String toType() {
    return EventType.TABLE_PLACED.type();
  }

  @Override
  public JsonNode upcast(JsonNode data) {
    ObjectNode v2 = data.deepCopy();
    v2.putNull("shape");
    return v2;
  }
}
