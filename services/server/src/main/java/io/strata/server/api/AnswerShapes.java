package io.strata.server.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * The shapes of answers the server writes as JSON trees or maps rather than records (a merge's
 * conflicts, a page of rows or of events), so that /openapi.json can name them. Only the document
 * uses these records; the tests hold every answer to it (ContractValidation), so a shape that drifts
 * from what the server writes fails the build.
 */
final class AnswerShapes {
  private AnswerShapes() {}

  /** One field of a conflicting row: its value at the merge base, on ours and on theirs. */
  @Schema(name = "ConflictField")
  record ConflictField(
      String name,
      @Schema(nullable = true, description = "The value at the merge base (JSON text; null: absent)") String base,
      @Schema(nullable = true,
      description = "The value on the branch merged into (JSON text; null: absent)") String ours,
      @Schema(nullable = true, description = "The value on the source (JSON text; null: absent)") String theirs) {}

  /** A conflict of a merge in progress, as its listing shows it and a resolution names it. */
  @Schema(name = "MergeConflict")
  record MergeConflict(
      String table,
      @Schema(description = "The row's key as a JSON array of the key columns' values (JSON text)") String key,
      @Schema(enumeration = {"modify_modify", "delete_modify", "modify_delete", "add_add", "constraint"}) String type,
      @JsonInclude(JsonInclude.Include.NON_NULL)
      @Schema(description = "With type constraint: the constraint that refused the merged row") String constraint,
      List<ConflictField> fields) {}

  /** {@code GET …/merge}: the merge in progress and a page of its conflicts. */
  @Schema(name = "MergeInProgressPage")
  record MergeInProgressPage(
      String branch, String source, String sourceCommit, String base, String head, String strategy, long conflicts,
      List<String> tables, List<MergeConflict> items, long total, boolean hasMore) {}

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
