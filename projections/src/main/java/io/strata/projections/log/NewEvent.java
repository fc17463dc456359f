package io.strata.projections.log;

import io.strata.events.StrataEvent;
import java.time.Instant;
import java.util.UUID;

/** An event about to be appended, with the envelope fields the command side decides. */
public record NewEvent(
    UUID id, StrataEvent event, Instant time, String actor, String correlationId, String causationId) {

  public static NewEvent of(StrataEvent event, Instant time, String actor, String correlationId) {
    return new NewEvent(UUID.randomUUID(), event, time, actor, correlationId, null);
  }
}
