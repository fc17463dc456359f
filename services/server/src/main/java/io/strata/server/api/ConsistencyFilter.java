package io.strata.server.api;

import io.smallrye.mutiny.Uni;
import io.strata.projections.runtime.ProjectionRuntime;
import io.strata.server.domain.ErrorCode;
import io.strata.server.runtime.StrataConfig;
import jakarta.inject.Inject;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.Response;
import java.util.Map;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * {@code X-Strata-Min-Position: p}: the request waits (without blocking a thread) until the event at
 * position {@code p} is projected, up to the consistency timeout, then answers 503 ProjectionLagging.
 */
public class ConsistencyFilter {
  public static final String MIN_POSITION = "X-Strata-Min-Position";

  @Inject ProjectionRuntime projections;
  @Inject StrataConfig config;

  @ServerRequestFilter
  public Uni<Response> awaitMinPosition(ContainerRequestContext request) {
    String header = request.getHeaderString(MIN_POSITION);
    if (header == null || header.isBlank()) {
      return Uni.createFrom().nullItem();
    }
    long position;
    try {
      position = Long.parseLong(header.trim());
    } catch (NumberFormatException e) {
      return Uni.createFrom().item(ErrorMappers.render(ErrorCode.BadRequest,
          MIN_POSITION + " must be a non-negative integer", Map.of("header", MIN_POSITION)));
    }
    if (position < 0) {
      return Uni.createFrom().item(ErrorMappers.render(ErrorCode.BadRequest,
          MIN_POSITION + " must be a non-negative integer", Map.of("header", MIN_POSITION)));
    }
    if (position == 0) {
      return Uni.createFrom().nullItem();
    }
    return projections.awaitPosition(position, config.consistency().waitTimeout())
        .replaceWith((Response) null)
        .onFailure().recoverWithItem(e -> ErrorMappers.render(ErrorCode.ProjectionLagging, e.getMessage(),
            Map.of("position", position)));
  }
}
