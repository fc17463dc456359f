package io.strata.server.api;

import io.strata.server.domain.ErrorCode;
import io.strata.server.runtime.ListenerPolicy;
import io.strata.server.runtime.StrataConfig;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.Router;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * With STRATA_AUTH=none on a loopback listener (the default), only requests addressed to this machine
 * are answered. Listening on 127.0.0.1 keeps other hosts out, but not a web page: a name its author
 * controls can be made to resolve to 127.0.0.1 (DNS rebinding), and the browser then sends that name as
 * the Host. Requiring a loopback Host refuses those; an operator who opened the listener chose
 * otherwise, and tokens protect the token mode.
 */
@ApplicationScoped
public class LoopbackHostGuard {
  static final String BODY = "{\"error\":\"Forbidden\",\"message\":\"with STRATA_AUTH=none this server answers"
      + " only requests addressed to it as localhost or a loopback address\",\"details\":{\"header\":\"Host\"}}";

  @Inject StrataConfig config;

  @ConfigProperty(name = "quarkus.http.host", defaultValue = "127.0.0.1")
  String listenerHost;

  void install(@Observes Router router) {
    if (config.auth() != StrataConfig.AuthMode.NONE || !ListenerPolicy.isLoopback(listenerHost)) {
      return;
    }
    router.route().order(-98).handler(ctx -> {
      String host = ctx.request().getHeader(HttpHeaders.HOST);
      if (host != null && !ListenerPolicy.isLoopback(hostName(host))) {
        ctx.response().setStatusCode(ErrorStatuses.of(ErrorCode.Forbidden))
            .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
            .end(RequestIds.withId(BODY, ctx));
        return;
      }
      ctx.next();
    });
  }

  /** The name in a Host header, without its port ({@code [::1]:8000} → {@code [::1]}). */
  static String hostName(String host) {
    String h = host.trim();
    if (h.startsWith("[")) {
      int end = h.indexOf(']');
      return end < 0 ? h : h.substring(0, end + 1);
    }
    int colon = h.indexOf(':');
    return colon < 0 ? h : h.substring(0, colon);
  }
}
