package io.strata.server.application;

import io.strata.events.StrataEvent;
import io.strata.server.domain.RepositoryState;
import java.time.Instant;
import java.util.List;

/** Builds a command's HTTP answer from what it appended (pure: it runs inside the append). */
@FunctionalInterface
public interface Answer {
  /**
   * @param events what the command appended (empty when it changed nothing)
   * @param position the global position of its last event (or the stream's latest when none)
   * @param after the repository's state after the whole batch the command was appended in
   * @param time the time recorded on its events
   */
  Reply reply(List<StrataEvent> events, long position, RepositoryState after, Instant time);

  /** Status and body object (serialised as JSON; null for an empty body). */
  record Reply(int status, Object body) {}
}
