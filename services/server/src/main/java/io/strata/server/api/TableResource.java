package io.strata.server.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.smallrye.mutiny.Uni;
import io.strata.projections.tables.TableQueries;
import io.strata.server.api.Dtos.PageDto;
import io.strata.server.api.Dtos.TableDto;
import io.strata.server.commands.CommandContext;
import io.strata.server.commands.TableCommands;
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
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.Map;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

@Path("/api/v1/repositories/{repo}/tables")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
@Tag(name = "Tables")
public class TableResource {
  @Inject TableCommands commands;
  @Inject CommandContexts contexts;
  @Inject TableQueries tables;
  @Inject Repositories repositories;

  @POST
  @Operation(summary = "Track a table in place: postgresql://<storage>/<schema>.<table>; commits on the default branch")
  public Uni<Response> track(@PathParam("repo") String repo,
      @RequestBody(content = @Content(schema = @Schema(implementation = Requests.TrackTable.class))) JsonNode body,
      @Context HttpServerRequest request) {
    Requests.TrackTable b = Bodies.read(body, Requests.TrackTable.class);
    CommandContext ctx = contexts.of(request, b);
    return repositories.require(repo)
        .chain(() -> commands.track(repo, b.name(), b.location(), b.primaryKey(), contexts.author(b.author(), ctx), ctx))
        .map(r -> contexts.respond(r, ctx));
  }

  @GET
  @Operation(summary = "List tracked tables")
  public Uni<PageDto<TableDto>> list(@PathParam("repo") String repo) {
    return repositories.require(repo).chain(() -> tables.tables(repo))
        .map(rows -> new PageDto<>(rows.stream().map(TableDto::of).toList(), rows.size(), false));
  }

  @GET
  @Path("/{table}")
  @Operation(summary = "A tracked table")
  public Uni<TableDto> get(@PathParam("repo") String repo, @PathParam("table") String table) {
    return repositories.require(repo).chain(() -> tables.table(repo, table))
        .map(t -> t.map(TableDto::of).orElseThrow(() -> new StrataException(ErrorCode.TableNotFound,
            "table '" + table + "' is not tracked", Map.of("table", table))));
  }

  @DELETE
  @Path("/{table}")
  @Operation(summary = "Untrack a table: Strata's objects for it go, the table and its data stay")
  public Uni<Response> untrack(@PathParam("repo") String repo, @PathParam("table") String table,
      @Context HttpServerRequest request) {
    CommandContext ctx = contexts.of(request, null);
    return repositories.require(repo)
        .chain(() -> commands.untrack(repo, table, contexts.author(null, ctx), ctx))
        .map(r -> contexts.respond(r, ctx));
  }
}
