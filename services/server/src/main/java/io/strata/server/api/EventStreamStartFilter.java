package io.strata.server.api;

import io.smallrye.mutiny.Uni;
import io.strata.server.domain.ErrorCode;
import io.strata.server.queries.EventFeed;
import jakarta.inject.Inject;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ResourceInfo;
import jakarta.ws.rs.core.Response;
import java.util.Map;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * Refuses a server-sent-event stream asked to start after a position no event has (422), before the
 * stream begins: the server writes an SSE answer's status and headers as soon as the resource method
 * returns its stream, so a refusal found later could only cut the stream, not answer 422. Runs after
 * authentication, so a caller learns nothing about positions it could not read anyway.
 */
public class EventStreamStartFilter {
  @Inject EventFeed feed;

  @ServerRequestFilter(priority = Priorities.USER)
  public Uni<Response> checkStart(ContainerRequestContext request, ResourceInfo resource) {
    Class<?> type = resource.getResourceClass();
    if ((type != EventResource.class && type != RepositoryEventResource.class)
        || !"stream".equals(resource.getResourceMethod().getName())) {
      return Uni.createFrom().nullItem();
    }
    String lastEventId = request.getHeaderString("Last-Event-ID");
    String field = lastEventId != null ? "Last-Event-ID" : "after";
    String value = lastEventId != null ? lastEventId : request.getUriInfo().getQueryParameters().getFirst("after");
    long position;
    try {
      position = value == null ? 0 : Long.parseLong(value.trim());
    } catch (NumberFormatException notANumber) {
      return Uni.createFrom().nullItem(); // the resource answers 400 naming the field
    }
    if (position <= 0) {
      return Uni.createFrom().nullItem();
    }
    return feed.cursorAt(position).map(cursor -> cursor.isPresent() ? null
        : ErrorMappers.render(ErrorCode.ValidationError, field + ": there is no event at position " + position,
            Map.of("field", field)));
  }
}
