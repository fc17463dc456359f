package io.strata.server.api;

import io.strata.server.domain.ErrorCode;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.Router;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/**
 * Refuses oversized bodies with a JSON 413 before reading them. Metadata commands are small; the
 * server-wide limit (quarkus.http.limits.max-body-size) stays larger for row batches.
 */
@ApplicationScoped
public class BodyLimits {
  public static final long MAX_COMMAND_BODY = 1024 * 1024;

  void install(@Observes Router router) {
    router.route().order(-100).handler(ctx -> {
      String length = ctx.request().getHeader(HttpHeaders.CONTENT_LENGTH);
      if (length != null && ctx.request().path().startsWith("/api/") && !ctx.request().path().endsWith(":batch")) {
        long size;
        try {
          size = Long.parseLong(length.trim());
        } catch (NumberFormatException e) {
          size = Long.MAX_VALUE;
        }
        if (size > MAX_COMMAND_BODY) {
          ctx.response().setStatusCode(ErrorStatuses.of(ErrorCode.PayloadTooLarge))
              .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
              .putHeader(HttpHeaders.CONNECTION, "close")
              .end(RequestIds.withId("{\"error\":\"PayloadTooLarge\",\"message\":\"request body exceeds "
                  + MAX_COMMAND_BODY + " bytes\",\"details\":{\"limit\":" + MAX_COMMAND_BODY + "}}", ctx));
          return;
        }
      }
      ctx.next();
    });
  }
}
