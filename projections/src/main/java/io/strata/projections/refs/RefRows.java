package io.strata.projections.refs;

import io.strata.events.Author;
import java.time.Instant;
import java.util.List;

/** Rows of the ref projections. */
public final class RefRows {
  private RefRows() {}

  public record RepositoryRow(String name, String description, String defaultBranch, Instant createdAt, String head) {}

  public record BranchRow(
      String name, String head, boolean isProtected, String createdFrom, Instant createdAt, Instant updatedAt) {}

  public record TagRow(String name, String commit, String message, Author tagger, Instant createdAt) {}

  public record Page<T>(List<T> items, long total) {}
}
