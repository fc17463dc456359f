package io.strata.events;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * A check of a promotion request ran on its merge preview for a pair of commits (a SQL check Strata ran, or an
 * external one its system posted): {@code status} {@code passed}, {@code failed} or {@code error}, a one-line
 * {@code summary}, and up to the check's {@code max_rows} rows of its output.
 */
public record CheckRunCompleted(int number, String name, String sourceCommit, String targetHead, String status,
    String summary, List<JsonNode> output, long durationMs, boolean external) implements StrataEvent {
  public CheckRunCompleted {
    output = output == null ? List.of() : List.copyOf(output);
  }

  @Override
  public String subject() {
    return "promotions/" + number;
  }
}
