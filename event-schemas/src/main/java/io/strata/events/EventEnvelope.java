package io.strata.events;

import com.fasterxml.jackson.databind.JsonNode;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.cloudevents.jackson.JsonCloudEventData;
import io.cloudevents.jackson.JsonFormat;
import java.net.URI;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.UUID;

/**
 * An event as stored and published: the CloudEvents attributes ({@code id, source, type, subject,
 * time, datacontenttype}) and Strata's extensions ({@code repository, streamversion, position, actor,
 * correlationid, causationid}) around the event's JSON {@code data}.
 */
public record EventEnvelope(
    UUID id,
    String source,
    String type,
    String subject,
    Instant time,
    String repository,
    long streamVersion,
    long position,
    String actor,
    String correlationId,
    String causationId,
    JsonNode data) {

  public static final String DATA_CONTENT_TYPE = "application/json";
  public static final String SPEC_VERSION = "1.0";

  /** The CloudEvents {@code source} of every event about one repository. */
  public static String sourceOf(String repository) {
    return "/strata/repositories/" + repository;
  }

  private static final JsonFormat JSON_FORMAT = new JsonFormat();

  /** The event in the CloudEvents JSON format (structured mode): the body of SSE events and webhooks. */
  public byte[] toCloudEventJson() {
    return JSON_FORMAT.serialize(toCloudEvent());
  }

  public CloudEvent toCloudEvent() {
    CloudEventBuilder builder =
        CloudEventBuilder.v1()
            .withId(id.toString())
            .withSource(URI.create(source))
            .withType(type)
            .withSubject(subject)
            .withTime(time.atOffset(ZoneOffset.UTC))
            .withDataContentType(DATA_CONTENT_TYPE)
            .withExtension("repository", repository)
            .withExtension("streamversion", streamVersion)
            .withExtension("position", position)
            .withExtension("actor", actor)
            .withData(JsonCloudEventData.wrap(data));
    if (correlationId != null) {
      builder.withExtension("correlationid", correlationId);
    }
    if (causationId != null) {
      builder.withExtension("causationid", causationId);
    }
    return builder.build();
  }
}
