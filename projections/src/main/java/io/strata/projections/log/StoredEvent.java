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

  /**
   * Streams are named after their repository; the server's own stream ({@link
   * EventEnvelope#SERVER_STREAM}, which no repository can be named) answers its stream id.
   */
  public String repository() {
    return streamId;
  }

  /** Whether this is a server event, not one of a repository. */
  public boolean serverEvent() {
    return EventEnvelope.SERVER_STREAM.equals(streamId);
  }

  /**
   * The event as published: CloudEvents attributes around its data in the type's current version (a
   * server event with the source {@code /strata/server} and no {@code repository}).
   */
  public EventEnvelope toEnvelope() {
    EventCodec.Current current = CODEC.current(type, data);
    return new EventEnvelope(
        eventId, EventEnvelope.sourceOf(streamId), current.type(), subject, time,
        EventEnvelope.repositoryOf(streamId), streamVersion,
        position, actor, correlationId, causationId, current.data());
  }

  private static final EventCodec CODEC = new EventCodec();
}
