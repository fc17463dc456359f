package io.strata.events;

import java.time.Instant;
import java.util.List;

/**
 * A commit was created and, when {@code branch} is set, that branch's head moved to it. The {@code id}
 * is {@link CommitIds#of} of the other content fields, so the same content always gives the same id.
 */
public record CommitCreated(
    String id,
    String branch,
    List<String> parents,
    String tree,
    String message,
    Author author,
    Instant createdAt,
    CommitStats stats,
    List<TableChange> changes)
    implements StrataEvent {

  public CommitCreated {
    parents = List.copyOf(parents);
    changes = changes == null ? List.of() : List.copyOf(changes);
  }

  @Override
  public String subject() {
    return "commits/" + id;
  }
}
