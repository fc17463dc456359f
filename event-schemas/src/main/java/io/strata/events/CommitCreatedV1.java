package io.strata.events;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** {@code commit.created.v1} had no {@code merge}: its commits merge nothing. */
final class CommitCreatedV1 implements Upcaster {
  @Override
  public String fromType() {
    return EventType.PREFIX + "commit.created.v1";
  }

  @Override
  public String toType() {
    return EventType.PREFIX + "commit.created.v2";
  }

  @Override
  public JsonNode upcast(JsonNode data) {
    ObjectNode v2 = data.deepCopy();
    v2.putNull("merge");
    return v2;
  }
}
