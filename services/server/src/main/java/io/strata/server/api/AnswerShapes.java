package io.strata.server.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * The shapes of answers the server writes as JSON trees or maps rather than records (a page of rows
 * or of events), so that /openapi.json can name them. Only the document
 * uses these records; the tests hold every answer to it (ContractValidation), so a shape that drifts
 * from what the server writes fails the build.
 */
final class AnswerShapes {
  private AnswerShapes() {}

  /** A page of rows; {@code next} is the {@code after} of the next page. */
  @Schema(name = "RowPage")
  record RowPage(
      @Schema(description = "Rows: column name to value") List<JsonNode> items,
      @Schema(nullable = true, description = "The cursor of the next page (send it as after); null: this is the last")
      String next) {}

  /** One event of the feed, as a CloudEvent (structured JSON). */
  @Schema(name = "CloudEvent", additionalProperties = Schema.True.class)
  record CloudEvent(
      String specversion, String id, String source, String type,
      @JsonInclude(JsonInclude.Include.NON_NULL) String subject, String time, String datacontenttype,
      @JsonInclude(JsonInclude.Include.NON_NULL) String repository,
      @Schema(description = "The event's version in its stream (CloudEvents extensions are strings)")
      String streamversion,
      @Schema(description = "The event's log position, as a string: send it as after or Last-Event-ID")
      String position, String actor,
      @JsonInclude(JsonInclude.Include.NON_NULL) String correlationid,
      @JsonInclude(JsonInclude.Include.NON_NULL) String causationid,
      @Schema(description = "The event's payload: its fields depend on type") JsonNode data) {}

  /** A page of the event feed; {@code next} is the position to ask {@code after} next. */
  @Schema(name = "EventPage")
  record EventPage(List<CloudEvent> items, long next) {}
}
