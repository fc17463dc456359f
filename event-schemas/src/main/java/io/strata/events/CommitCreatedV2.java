package io.strata.events;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** {@code commit.created.v2} had no {@code applied}: its commits revert or cherry-pick nothing. */
final class CommitCreatedV2 implements Upcaster {
  @Override
  public String fromType() {
    return EventType.PREFIX + "commit.created.v2";
  }

  @Override
  public String toType() {
    return EventType.COMMIT_CREATED.type();
  }

  @Override
  public JsonNode upcast(JsonNode data) {
    ObjectNode v3 = data.deepCopy();
    v3.putNull("applied");
    return v3;
  }
}
