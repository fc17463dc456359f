package io.strata.server.api;

import io.strata.server.domain.ErrorCode;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.Router;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/**
 * Refuses a NUL character ({@code %00}) anywhere in the request's path or query with a JSON 400,
 * before any endpoint sees it. PostgreSQL takes no NUL in text, so such a value can name nothing:
 * let through, it reached the database as a parameter and came back as an unexpected error (500).
 * Checked on the raw URI, so it holds for every endpoint, present and future.
 */
@ApplicationScoped
public class NulGuard {
  static final String BODY = "{\"error\":\"BadRequest\",\"message\":\"the request's path or query holds a NUL"
      + " character (%00), which no name or value may contain\",\"details\":{}}";

  void install(@Observes Router router) {
    router.route().order(-99).handler(ctx -> {
      if (holdsNul(ctx.request().uri())) {
        ctx.response().setStatusCode(ErrorStatuses.of(ErrorCode.BadRequest))
            .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
            .end(RequestIds.withId(BODY, ctx));
        return;
      }
      ctx.next();
    });
  }

  /** A percent-encoded NUL, or a raw one should the HTTP codec ever let it through. */
  static boolean holdsNul(String uri) {
    return uri != null && (uri.contains("%00") || uri.indexOf('\u0000') >= 0);
  }
}
