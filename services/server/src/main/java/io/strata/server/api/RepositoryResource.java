package io.strata.server.api;

import org.jboss.resteasy.reactive.server.Cancellable;
import io.strata.server.auth.Permission;
import io.strata.server.auth.RequestIdentity;
import io.strata.server.auth.Requires;
import com.fasterxml.jackson.databind.JsonNode;
import io.smallrye.mutiny.Uni;
import io.strata.projections.refs.RefQueries;
import io.strata.server.api.Dtos.PageDto;
import io.strata.server.api.Dtos.RepositoryDto;
import io.strata.server.application.CommandContext;
import io.strata.server.application.RepositoryCommands;
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
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

@Path("/api/v1/repositories")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
@Tag(name = "Repositories")
public class RepositoryResource {
  @Inject RepositoryCommands commands;
  @Inject CommandContexts contexts;
  @Inject RefQueries refs;
  @Inject RequestIdentity identity;

  @Requires(Permission.SERVER_ADMIN)
  @Cancellable(false)
  @POST
  @Operation(summary = "Create a repository with its default branch and an initial empty commit")
  @APIResponse(responseCode = "201", content = @Content(schema = @Schema(implementation = Dtos.RepositoryDto.class)))
  public Uni<Response> create(@RequestBody(content = @Content(schema = @Schema(implementation = Requests.CreateRepository.class))) JsonNode body, @Context HttpServerRequest request) {
    Requests.CreateRepository b = Bodies.read(body, Requests.CreateRepository.class);
    CommandContext ctx = contexts.of(request, b);
    return commands.createRepository(b.name(), b.description(), b.defaultBranch(), contexts.author(null, ctx), ctx,
        Answers.repositoryCreated())
        .map(r -> contexts.respond(r, ctx));
  }

  @Requires(Permission.ANY_TOKEN)
  @GET
  @Operation(summary = "List repositories")
  public Uni<PageDto<RepositoryDto>> list(@QueryParam("limit") String limit, @QueryParam("offset") String offset) {
    Params.Page page = Params.page(limit, offset);
    var token = identity.current().filter(t -> !t.allRepositories());
    return (token.isPresent() ? refs.repositoriesAmong(token.get().repositories(), page.limit(), page.offset())
            : refs.repositories(page.limit(), page.offset()))
        .map(p -> PageDto.of(p.items().stream().map(RepositoryDto::of).toList(), p.total(), page.offset()));
  }

  @Requires(Permission.READ)
  @GET
  @Path("/{repo}")
  @Operation(summary = "Get a repository")
  public Uni<RepositoryDto> get(@PathParam("repo") String repo) {
    return refs.repository(repo)
        .map(r -> r.map(RepositoryDto::of).orElseThrow(() -> StrataException.repositoryNotFound(repo)));
  }

  @Requires(Permission.REPOSITORY_ADMIN)
  @Cancellable(false)
  @DELETE
  @Path("/{repo}")
  @Operation(summary = "Delete a repository (force=true when it has history)")
  public Uni<Response> delete(@PathParam("repo") String repo, @QueryParam("force") String force,
      @Context HttpServerRequest request) {
    CommandContext ctx = contexts.of(request, null);
    return commands.deleteRepository(repo, Params.bool("force", force), ctx, Answers.noContent())
        .map(r -> contexts.respond(r, ctx));
  }
}
