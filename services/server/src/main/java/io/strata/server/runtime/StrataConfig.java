package io.strata.server.runtime;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

/** Strata's own settings ({@code strata.*}, or {@code STRATA_*} environment variables). */
@ConfigMapping(prefix = "strata")
public interface StrataConfig {
  /** Who commits when a request names nobody. */
  DefaultAuthor defaultAuthor();

  Consistency consistency();

  Projections projections();

  Recovery recovery();

  interface DefaultAuthor {
    @WithDefault("Strata")
    String name();

    @WithDefault("strata@localhost")
    String email();
  }

  interface Consistency {
    /**
     * How long a command waits for the projections to reach its event before answering anyway, and
     * how long a read with {@code X-Strata-Min-Position} waits before answering 503 ProjectionLagging.
     */
    @WithDefault("10s")
    Duration waitTimeout();
  }

  interface Projections {
    /** How often stream heads are polled for events appended by other servers. */
    @WithDefault("500ms")
    Duration pollInterval();
  }

  interface Recovery {
    /**
     * How often the recovery sweep of commits across databases runs besides start-up and commits:
     * it settles what another server's crash, or a storage out of reach at the time, left behind.
     */
    @WithDefault("60s")
    Duration sweepInterval();
  }
}
