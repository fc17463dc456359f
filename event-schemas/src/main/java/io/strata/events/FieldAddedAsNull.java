package io.strata.events;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * An old version of a type that lacked {@code field}, which the next version added as nullable: read with it null.
 *
 * @param fromType the old version, e.g. {@code io.strata.commit.created.v1}
 * @param toType the version it reads as
 */
record FieldAddedAsNull(String fromType, String toType, String field) implements Upcaster {
  /** {@code type}'s version {@code version}, read as the next one. */
  FieldAddedAsNull(EventType type, int version, String field) {
    this(type.storedTypes().get(version - 1), type.storedTypes().get(version), field);
  }

  @Override
  public JsonNode upcast(JsonNode data) {
    ObjectNode next = data.deepCopy();
    next.putNull(field);
    return next;
  }
}
