package io.strata.server.api;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Context;
import io.strata.server.runtime.Tracing;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.jboss.logging.MDC;

/**
 * With tracing on ({@link Tracing}), a server span for every API request, child of the caller's {@code traceparent}
 * when it sends one, named by its method and route template ({@code POST /api/v1/repositories/{repo}/branches}); its
 * trace id is {@code trace_id} in the request's log lines. The service routes ({@code /q/*}) are not traced.
 */
@ApplicationScoped
public class RequestSpans {
  /** Where Quarkus REST leaves the matched route template, in the request's context (the HTTP metrics read it). */
  private static final String TEMPLATE = "UrlPathTemplate";

  @Inject Tracing tracing;

  void install(@Observes Router router) {
    if (tracing.enabled()) {
      router.route().order(-102).handler(this::trace);
    }
  }

  private void trace(RoutingContext ctx) {
    if (ctx.request().path().startsWith("/q/")) {
      ctx.next();
      return;
    }
    String method = ctx.request().method().name();
    Context parent = tracing.extract(ctx.request()::getHeader);
    Span span = tracing.start("HTTP " + method, SpanKind.SERVER, parent);
    span.setAttribute("http.request.method", method);
    span.setAttribute("url.path", ctx.request().path());
    Tracing.enter(parent.with(span));
    io.vertx.core.Context request = io.vertx.core.Vertx.currentContext();
    MDC.put(Tracing.MDC_KEY, span.getSpanContext().getTraceId());
    ctx.addEndHandler(done -> {
      Object template = request == null ? null : request.getLocal(TEMPLATE);
      if (template != null) {
        span.updateName(method + " " + template);
        span.setAttribute("http.route", template.toString());
      }
      int status = ctx.response().getStatusCode();
      span.setAttribute("http.response.status_code", status);
      if (status >= 500) {
        span.setStatus(StatusCode.ERROR);
      }
      span.end();
      MDC.remove(Tracing.MDC_KEY);
    });
    ctx.next();
  }
}
