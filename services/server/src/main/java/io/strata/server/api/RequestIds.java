package io.strata.server.api;

import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.ws.rs.container.ContainerResponseContext;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;
import org.jboss.logging.MDC;
import org.jboss.resteasy.reactive.server.ServerResponseFilter;

/**
 * Every request gets an id, before anything else sees it: the client's {@code X-Request-Id} when it sends a usable
 * one, else its {@code X-Correlation-Id}, else a random one. The id is answered in {@code X-Request-Id} (success or
 * error), is {@code request_id} in every error body, is {@code request_id} in the log lines the request causes, and
 * is the correlation id recorded on the request's events when the client sent none — so one id follows a request
 * from its answer into the server's log and the event log.
 */
@ApplicationScoped
public class RequestIds {
  public static final String HEADER = "X-Request-Id";
  /** The key under which the id is in the log's MDC (and JSON log lines). */
  public static final String MDC_KEY = "request_id";
  /** What a client's id may be: short, and safe in a header, a log line and JSON without escaping. */
  private static final Pattern USABLE = Pattern.compile("[A-Za-z0-9._:@/+=-]{1,128}");

  void install(@Observes Router router) {
    router.route().order(-101).handler(this::assign);
  }

  private void assign(RoutingContext ctx) {
    String id = usable(ctx.request().getHeader(HEADER))
        .or(() -> usable(ctx.request().getHeader("X-Correlation-Id")))
        .orElseGet(() -> UUID.randomUUID().toString());
    ctx.response().putHeader(HEADER, id);
    MDC.put(MDC_KEY, id);
    ctx.addEndHandler(done -> MDC.remove(MDC_KEY));
    ctx.next();
  }

  /** The id of {@code request}, as its answer will name it. */
  static Optional<String> of(HttpServerRequest request) {
    return Optional.ofNullable(request.response().headers().get(HEADER));
  }

  static Optional<String> usable(String sent) {
    return Optional.ofNullable(sent).map(String::strip).filter(s -> USABLE.matcher(s).matches());
  }

  /**
   * An error body gets the id of the request it answers, read from that request's answer headers (an answer may be
   * built on another request's context: a command appended in a group with others).
   */
  @ServerResponseFilter
  public void identifyErrors(ContainerResponseContext response, HttpServerRequest request) {
    if (response.getEntity() instanceof ErrorBody error && error.requestId() == null) {
      of(request).ifPresent(id -> response.setEntity(error.withRequestId(id)));
    }
  }

  /** {@code json}, an error body ending in '}', with the request's id added as {@code request_id}. */
  static String withId(String json, RoutingContext ctx) {
    String id = ctx.response().headers().get(HEADER);
    return id == null ? json : json.substring(0, json.lastIndexOf('}')) + ",\"" + MDC_KEY + "\":\"" + id + "\"}";
  }
}
