package io.strata.projections.graph;

import com.fasterxml.jackson.databind.JsonNode;
import io.strata.events.Author;
import java.time.Instant;
import java.util.List;

/** A commit as the commit graph projection holds it. */
public record CommitRow(
    String id,
    List<String> parents,
    String tree,
    String message,
    Author author,
    Instant createdAt,
    int generation,
    String branch,
    JsonNode stats,
    JsonNode changes) {}
