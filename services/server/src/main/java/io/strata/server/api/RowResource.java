package io.strata.server.api;

import org.jboss.resteasy.reactive.server.Cancellable;
import com.fasterxml.jackson.databind.JsonNode;
import io.smallrye.mutiny.Uni;
import io.strata.server.auth.Permission;
import io.strata.server.auth.Requires;
import io.strata.server.application.CommandContext;
import io.strata.server.application.RowWrites;
import io.vertx.core.http.HttpServerRequest;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.Encoded;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.PATCH;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.Locale;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** Row writes into a branch's working state (the REST way; SQL through the branch's view is the other). */
@Path("/api/v1/repositories/{repo}/branches/{branch}/tables/{table}")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Rows")
public class RowResource {
  private static final String NDJSON = "application/x-ndjson";

  @Inject RowWrites writes;
  @Inject io.strata.server.application.BranchTableDrops tableDrops;
  @Inject Repositories repositories;
  @Inject TableResource tables;
  @Inject CommandContexts contexts;

  @Requires(Permission.WRITE)
  @Cancellable(false)
  @PUT
  @Path("/rows/{key}")
  @Consumes(MediaType.APPLICATION_JSON)
  @Operation(summary = "Upsert a full row (columns left out take their defaults, else NULL) into the branch's working state, staged")
  @APIResponse(responseCode = "200", description = "The row as stored", content = @Content(
      mediaType = MediaType.APPLICATION_JSON, schema = @Schema(ref = OpenApiContract.ROW_SCHEMA)))
  public Uni<Response> put(@PathParam("repo") String repo, @PathParam("branch") String branch,
      @PathParam("table") String table, @Encoded @PathParam("key") String key, JsonNode body,
      @Context HttpServerRequest request) {
    CommandContext ctx = contexts.ofRowWrite(request);
    return repositories.require(repo).chain(r -> tables.requireTable(repo, table, branch)
        .chain(t -> writes.put(r, branch, t, RowKeys.parse(key, t), body, ctx))).map(RowResource::answer);
  }

  @Requires(Permission.WRITE)
  @Cancellable(false)
  @PATCH
  @Path("/rows/{key}")
  @Consumes(MediaType.APPLICATION_JSON)
  @Operation(summary = "Change some columns of an existing row, staged; 404 when the branch has no such row")
  @APIResponse(responseCode = "200", description = "The row as stored", content = @Content(
      mediaType = MediaType.APPLICATION_JSON, schema = @Schema(ref = OpenApiContract.ROW_SCHEMA)))
  public Uni<Response> patch(@PathParam("repo") String repo, @PathParam("branch") String branch,
      @PathParam("table") String table, @Encoded @PathParam("key") String key, JsonNode body,
      @Context HttpServerRequest request) {
    CommandContext ctx = contexts.ofRowWrite(request);
    return repositories.require(repo).chain(r -> tables.requireTable(repo, table, branch)
        .chain(t -> writes.patch(r, branch, t, RowKeys.parse(key, t), body, ctx))).map(RowResource::answer);
  }

  @Requires(Permission.WRITE)
  @Cancellable(false)
  @DELETE
  @Path("/rows/{key}")
  @Operation(summary = "Delete a row from the branch's working state, staged; 404 when absent")
  public Uni<Response> delete(@PathParam("repo") String repo, @PathParam("branch") String branch,
      @PathParam("table") String table, @Encoded @PathParam("key") String key, @Context HttpServerRequest request) {
    CommandContext ctx = contexts.ofRowWrite(request);
    return repositories.require(repo).chain(r -> tables.requireTable(repo, table, branch)
            .chain(t -> writes.delete(r, branch, t, RowKeys.parse(key, t), ctx)))
        .map(RowResource::answer);
  }

  @Requires(Permission.REPOSITORY_ADMIN)
  @Cancellable(false)
  @DELETE
  @Tag(name = "Tables")
  @Operation(summary = "Drop a table made on a branch (not yet in the default branch) from this branch: the last"
      + " branch that has it takes it out of the repository, a commit on the branch records it; a branch that shares"
      + " it gives it up, a commit on it deleting every row it had of it. The default branch's tables are untracked"
      + " instead (422)")
  public Uni<Response> dropTable(@PathParam("repo") String repo, @PathParam("branch") String branch,
      @PathParam("table") String table, @Context HttpServerRequest request) {
    CommandContext ctx = contexts.of(request, null);
    return repositories.require(repo)
        .chain(() -> tableDrops.drop(repo, branch, table, contexts.author(null, ctx), ctx, Answers.noContent()))
        .map(r -> contexts.respond(r, ctx));
  }

  /** The row as stored (204 without one), and the log position of the write's event. */
  private static Response answer(RowWrites.Written written) {
    return (written.row() == null ? Response.noContent() : Response.ok(written.row(), MediaType.APPLICATION_JSON_TYPE))
        .header(CommandContexts.POSITION_HEADER, written.position()).build();
  }

  @Requires(Permission.WRITE)
  @Cancellable(false)
  @POST
  // "rows:batch", also when a client percent-encodes the colon
  @Path("/{batch: rows(?::|%3[Aa])batch}")
  @Consumes({MediaType.APPLICATION_JSON, NDJSON})
  @Operation(summary = "Apply upserts and deletes all-or-nothing, staged: a JSON array or NDJSON of"
      + " {\"op\": \"upsert\", \"row\": {...}} / {\"op\": \"delete\", \"key\": {...}}; the last operation on a key wins")
  public Uni<RowWrites.Applied> batch(@PathParam("repo") String repo, @PathParam("branch") String branch,
      @PathParam("table") String table, @HeaderParam("Content-Type") String contentType, String body,
      @Context HttpServerRequest request) {
    boolean ndjson = contentType != null && contentType.toLowerCase(Locale.ROOT).startsWith(NDJSON);
    CommandContext ctx = contexts.ofRowWrite(request);
    return repositories.require(repo).chain(r -> tables.requireTable(repo, table, branch)
        .chain(t -> writes.batch(r, branch, t, body == null ? "" : body, ndjson, ctx)));
  }
}
