package io.strata.server.auth;

import java.util.Optional;
import org.jboss.resteasy.reactive.server.core.CurrentRequestManager;
import org.jboss.resteasy.reactive.server.core.ResteasyReactiveRequestContext;

/** The identity {@link AuthFilter} established for the request being handled (token mode only). */
public final class RequestIdentity {
  static final String PROPERTY = "strata.identity";

  private RequestIdentity() {}

  /** Empty with STRATA_AUTH=none, or outside a request. Call it from the resource method, not later stages. */
  public static Optional<Identity> current() {
    ResteasyReactiveRequestContext request = CurrentRequestManager.get();
    if (request == null) {
      return Optional.empty();
    }
    return Optional.ofNullable((Identity) request.getContainerRequestContext().getProperty(PROPERTY));
  }
}
