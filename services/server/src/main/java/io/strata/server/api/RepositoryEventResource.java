package io.strata.server.api;

import static io.strata.server.api.EventAnswers.LAST_EVENT_ID;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.strata.server.api.EventAnswers.EventPageDto;
import io.strata.server.auth.Permission;
import io.strata.server.auth.Requires;
import io.strata.server.domain.Names;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.sse.OutboundSseEvent;
import jakarta.ws.rs.sse.Sse;
import java.util.Set;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** The events of one repository: a page as JSON, or a stream of server-sent events. */
@Path("/api/v1/repositories/{repo}/events")
@Tag(name = "Events")
@Requires(Permission.READ)
public class RepositoryEventResource {
  @Inject EventAnswers answers;

  @GET
  @Produces(MediaType.APPLICATION_JSON)
  @Operation(summary = "Events of one repository, in order, as CloudEvents (a page)")
  @APIResponse(responseCode = "200", content = @Content(mediaType = MediaType.APPLICATION_JSON,
      schema = @Schema(implementation = AnswerShapes.EventPage.class)))
  public Uni<EventPageDto> page(@PathParam("repo") String repo, @QueryParam("after") String after,
      @QueryParam("types") String types, @QueryParam("limit") String limit) {
    return answers.page(EventAnswers.selection(Set.of(Names.existingRepository(repo)), types), after, limit);
  }

  @GET
  @Produces(MediaType.SERVER_SENT_EVENTS)
  @Operation(summary = "Events of one repository, as a stream of server-sent events")
  @APIResponse(responseCode = "200", description = "Server-sent events: each event's id is its position, its data"
      + " the CloudEvent (JSON); a heartbeat comment keeps an idle stream open",
      content = @Content(mediaType = MediaType.SERVER_SENT_EVENTS, schema = @Schema(type = SchemaType.STRING)))
  public Multi<OutboundSseEvent> stream(@PathParam("repo") String repo, @QueryParam("after") String after,
      @QueryParam("types") String types, @Parameter(description = LAST_EVENT_ID) @HeaderParam("Last-Event-ID") String lastEventId, @Context Sse sse) {
    return answers.stream(EventAnswers.selection(Set.of(Names.existingRepository(repo)), types), after, lastEventId,
        sse);
  }
}
