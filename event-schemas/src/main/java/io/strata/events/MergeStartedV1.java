package io.strata.events;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** {@code merge.started.v1} knew only merges. */
final class MergeStartedV1 implements Upcaster {
  @Override
  public String fromType() {
    return EventType.PREFIX + "merge.started.v1";
  }

  @Override
  public String toType() {
    return EventType.MERGE_STARTED.storedTypes().get(1);
  }

  @Override
  public JsonNode upcast(JsonNode data) {
    ObjectNode v2 = data.deepCopy();
    v2.put("operation", "merge");
    v2.putNull("mainline");
    return v2;
  }
}
