package io.strata.server.api;

import org.jboss.resteasy.reactive.server.Cancellable;
import io.strata.server.auth.Permission;
import io.strata.server.auth.Requires;
import com.fasterxml.jackson.databind.JsonNode;
import io.smallrye.mutiny.Uni;
import io.strata.projections.refs.RefQueries;
import io.strata.server.api.Dtos.PageDto;
import io.strata.server.api.Dtos.TagDto;
import io.strata.server.application.CommandContext;
import io.strata.server.application.TagCommands;
import io.strata.server.domain.ErrorCode;
import io.strata.server.domain.StrataException;
import io.vertx.core.http.HttpServerRequest;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.Map;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

@Path("/api/v1/repositories/{repo}/tags")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
@Tag(name = "Tags")
public class TagResource {
  @Inject TagCommands commands;
  @Inject CommandContexts contexts;
  @Inject RefQueries refs;
  @Inject Repositories repositories;

  @Requires(Permission.WRITE)
  @Cancellable(false)
  @POST
  @Operation(summary = "Tag a ref")
  @APIResponse(responseCode = "201", content = @Content(schema = @Schema(implementation = Dtos.TagDto.class)))
  public Uni<Response> create(@PathParam("repo") String repo, @RequestBody(content = @Content(schema = @Schema(implementation = Requests.CreateTag.class))) JsonNode body,
      @Context HttpServerRequest request) {
    Requests.CreateTag b = Bodies.read(body, Requests.CreateTag.class);
    CommandContext ctx = contexts.of(request, b);
    return commands.createTag(repo, b.name(), b.ref(), b.message(), contexts.author(b.author(), ctx), ctx,
        Answers.tagCreated())
        .map(r -> contexts.respond(r, ctx));
  }

  @Requires(Permission.READ)
  @GET
  @Operation(summary = "List tags")
  public Uni<PageDto<TagDto>> list(@PathParam("repo") String repo, @QueryParam("limit") String limit,
      @QueryParam("offset") String offset) {
    Params.Page page = Params.page(limit, offset);
    return repositories.require(repo).chain(r -> refs.tags(repo, page.limit(), page.offset()))
        .map(p -> PageDto.of(p.items().stream().map(TagDto::of).toList(), p.total(), page.offset()));
  }

  @Requires(Permission.READ)
  @GET
  @Path("/{tag}")
  @Operation(summary = "Get a tag")
  public Uni<TagDto> get(@PathParam("repo") String repo, @PathParam("tag") String tag) {
    return repositories.require(repo).chain(r -> refs.tag(repo, tag))
        .map(t -> t.map(TagDto::of).orElseThrow(() -> new StrataException(ErrorCode.TagNotFound,
            "tag '" + tag + "' does not exist", Map.of("tag", tag))));
  }

  @Requires(Permission.WRITE)
  @Cancellable(false)
  @DELETE
  @Path("/{tag}")
  @Operation(summary = "Delete a tag")
  public Uni<Response> delete(@PathParam("repo") String repo, @PathParam("tag") String tag,
      @Context HttpServerRequest request) {
    CommandContext ctx = contexts.of(request, null);
    return commands.deleteTag(repo, tag, ctx, Answers.noContent()).map(r -> contexts.respond(r, ctx));
  }
}
