package io.strata.events;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Turns the stored {@code data} of an old event type version into the next version's shape, so
 * readers only ever see current records. Registered in {@link EventCodec#UPCASTERS}.
 */
public interface Upcaster {
  /** The type this upcaster reads, e.g. {@code io.strata.commit.created.v1}. */
  String fromType();

  /** The type it produces, e.g. {@code io.strata.commit.created.v2}. */
  String toType();

  JsonNode upcast(JsonNode data);
}
