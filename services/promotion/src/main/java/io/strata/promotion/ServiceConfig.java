package io.strata.promotion;

import io.smallrye.config.ConfigMapping;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** The promotion service's settings (application.properties maps each to its environment variable). */
@ConfigMapping(prefix = "strata.promotion")
public interface ServiceConfig {
  /** The Strata server, e.g. {@code http://strata:8000}. */
  String serverUrl();

  /** The service's token; or {@link #tokenFile()}. */
  Optional<String> token();

  Optional<String> tokenFile();

  /** Its name in the log when the server takes no tokens (sent as X-User-Id, which a token overrides). */
  String actor();

  /** The repositories it promotes; empty: every repository the token sees. */
  Optional<List<String>> repositories();

  Duration resync();

  /** A feed silent this long is taken for dead and opened again (above the server's heartbeat, 15 s by default). */
  Duration feedSilence();

  int workers();

  Duration requestTimeout();

  /** A directory of policy files, {@code <repository>.yaml} (or .yml, .json); unset: none are applied. */
  Optional<String> policyDir();

  Duration policyPoll();
}
