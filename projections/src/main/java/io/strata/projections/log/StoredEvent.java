package io.strata.projections.log;

import com.fasterxml.jackson.databind.JsonNode;
import io.strata.events.EventCodec;
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

  /** The event as published: CloudEvents attributes around its data in the type's current version. */
  public EventEnvelope toEnvelope() {
    EventCodec.Current current = CODEC.current(type, data);
    return new EventEnvelope(
        eventId, EventEnvelope.sourceOf(streamId), current.type(), subject, time, streamId, streamVersion,
        position, actor, correlationId, causationId, current.data());
  }

  private static final EventCodec CODEC = new EventCodec();
}
