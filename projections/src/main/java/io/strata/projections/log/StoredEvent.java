package io.strata.projections.log;

import com.fasterxml.jackson.databind.JsonNode;
import io.strata.events.EventEnvelope;
import java.time.Instant;
import java.util.UUID;

/** An event as read back from the log. */
public record StoredEvent(
    long position,
    String streamId,
    long streamVersion,
    UUID eventId,
    String type,
    String subject,
    Instant time,
    String actor,
    String correlationId,
    String causationId,
    JsonNode data) {

  /** Streams are named after their repository. */
  public String repository() {
    return streamId;
  }

  public EventEnvelope toEnvelope() {
    return new EventEnvelope(
        eventId, EventEnvelope.sourceOf(streamId), type, subject, time, streamId, streamVersion,
        position, actor, correlationId, causationId, data);
  }
}
