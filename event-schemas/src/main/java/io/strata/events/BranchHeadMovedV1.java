package io.strata.events;

import com.fasterxml.jackson.databind.JsonNode;

/** {@code branch.head_moved.v1} knew only fast-forwards, which v2 names alike: its data reads unchanged. */
final class BranchHeadMovedV1 implements Upcaster {
  @Override
  public String fromType() {
    return EventType.PREFIX + "branch.head_moved.v1";
  }

  @Override
  public String toType() {
    return EventType.BRANCH_HEAD_MOVED.type();
  }

  @Override
  public JsonNode upcast(JsonNode data) {
    return data;
  }
}
