package io.strata.server.application;

import io.strata.events.StrataEvent;
import io.strata.server.domain.RepositoryState;
import java.time.Instant;
import java.util.List;

/**
 * The caller's rendering of what a command appended (pure: it runs inside the append). The API's renders
 * its HTTP answer; the application keeps the reply opaque (it never chooses nor reads a status) and
 * stores it under an Idempotency-Key, so that a retry replays it exactly. In-process callers render
 * what they need.
 */
@FunctionalInterface
public interface Answer {
  /** For the steps a command runs for itself (a rebase's own appends, recovery records): nobody reads it. */
  Answer NONE = (events, position, after, time) -> Reply.NONE;

  /**
   * @param events what the command appended (empty when it changed nothing)
   * @param position the global position of its last event (or the stream's latest when none)
   * @param after the repository's state after the whole batch the command was appended in
   * @param time the time recorded on its events
   */
  Reply reply(List<StrataEvent> events, long position, RepositoryState after, Instant time);

  /** Status and body object (serialised as JSON; null for an empty body): the caller's, opaque here. */
  record Reply(int status, Object body) {
    static final Reply NONE = new Reply(0, null);
  }
}
