package io.strata.server.auth;

import jakarta.enterprise.context.RequestScoped;
import java.util.Optional;

/**
 * The identity the API's {@code AuthFilter} established for the request being handled (token mode only): a
 * request-scoped bean, so that every part of the request reads the same identity through CDI alone.
 */
@RequestScoped
public class RequestIdentity {
  private Identity identity;

  /** Called once per request by the API's authentication filter. */
  public void set(Identity who) {
    this.identity = who;
  }

  /** Empty with STRATA_AUTH=none, or before the filter ran. Read it from the resource method, not later stages. */
  public Optional<Identity> current() {
    return Optional.ofNullable(identity);
  }
}
