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
 * correlationid, causationid}) around the event's JSON {@code data}. A server event (on {@link
 * #SERVER_STREAM}) has the source {@link #SERVER_SOURCE} and no {@code repository}.
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

  /**
   * The stream of server events (e.g. a webhook endpoint disabled). No repository can be named so:
   * repository names start with a letter or digit.
   */
  public static final String SERVER_STREAM = "$server";

  /** The CloudEvents {@code source} of every server event. */
  public static final String SERVER_SOURCE = "/strata/server";

  /** The CloudEvents {@code source} of every event of a stream: its repository's, or the server's. */
  public static String sourceOf(String stream) {
    return SERVER_STREAM.equals(stream) ? SERVER_SOURCE : "/strata/repositories/" + stream;
  }

  /** The {@code repository} of the events of a stream: its name, or null for the server's stream. */
  public static String repositoryOf(String stream) {
    return SERVER_STREAM.equals(stream) ? null : stream;
  }

  private static final JsonFormat JSON_FORMAT = new JsonFormat();

  /** The event in the CloudEvents JSON format (structured mode): the body of SSE events and webhooks. */
  public byte[] toCloudEventJson() {
    return JSON_FORMAT.serialize(toCloudEvent());
  }

  /** {@link #toCloudEventJson()} as text, as the feed and webhooks keep it. */
  public String toCloudEventJsonText() {
    return new String(toCloudEventJson(), java.nio.charset.StandardCharsets.UTF_8);
  }

  public CloudEvent toCloudEvent() {
    CloudEventBuilder builder =
        CloudEventBuilder.v1()
            .withId(id.toString())
            .withSource(URI.create(source))
            .withType(type)
            .withSubject(subject)
            .withTime(time.atOffset(ZoneOffset.UTC))
            .withDataContentType(DATA_CONTENT_TYPE);
    if (repository != null) { // extensions added in the same order as always: repository events stay byte-identical
      builder.withExtension("repository", repository);
    }
    builder
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
