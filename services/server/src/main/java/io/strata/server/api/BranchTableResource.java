package io.strata.server.api;

import org.jboss.resteasy.reactive.server.Cancellable;
import com.fasterxml.jackson.databind.JsonNode;
import io.smallrye.mutiny.Uni;
import io.strata.projections.rowdata.BranchObjects;
import io.strata.server.application.CommandContext;
import io.strata.server.application.TableCommands;
import io.strata.server.auth.Permission;
import io.strata.server.auth.Requires;
import io.strata.server.domain.StrataException;
import io.vertx.core.http.HttpServerRequest;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** Tables made through Strata on a branch: the table in its storage, tracked from the start. */
@Path("/api/v1/repositories/{repo}/branches/{branch}/tables")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
@Tag(name = "Tables")
public class BranchTableResource {
  @Inject TableCommands commands;
  @Inject CommandContexts contexts;
  @Inject Repositories repositories;

  @Requires(Permission.REPOSITORY_ADMIN)
  @Cancellable(false)
  @POST
  @Operation(summary = "Make a table on a branch and track it, with the columns given (types among PostgreSQL's own,"
      + " constant defaults, checked by the table's database first) and the key; commits 'Create table' on the branch."
      + " On the default branch: CREATE TABLE at location (postgresql://<storage>/<schema>.<table>;"
      + " postgresql://local/public.<name> when not given), in one transaction with its tracking. On another branch:"
      + " the branch alone has it (and branches made from it, or that merge it), its rows in their objects, until a"
      + " merge into the default branch makes it at location (free now, and then). A Delta Lake table is made on the"
      + " default branch at delta://<storage>/<path> (Delta's types for the columns', no defaults), with the"
      + " table_properties given: delta.enableTypeWidening = true lets branches widen its columns' types (its readers"
      + " then need Delta 4.0+)")
  @APIResponse(responseCode = "201", content = @Content(schema = @Schema(implementation = Dtos.TableDto.class)))
  public Uni<Response> create(@PathParam("repo") String repo, @PathParam("branch") String branch,
      @RequestBody(content = @Content(schema = @Schema(implementation = Requests.CreateTable.class))) JsonNode body,
      @Context HttpServerRequest request) {
    Requests.CreateTable b = Bodies.read(body, Requests.CreateTable.class);
    CommandContext ctx = contexts.of(request, b);
    List<BranchObjects.NewColumn> columns = columns(b.columns());
    return repositories.require(repo)
        .chain(() -> commands.create(repo, branch, b.name(), b.location(), columns, b.primaryKey(), b.tableProperties(),
            contexts.author(b.author(), ctx), ctx, Answers.tableTracked()))
        .map(r -> contexts.respond(r, ctx));
  }

  private static List<BranchObjects.NewColumn> columns(List<Requests.NewColumn> given) {
    if (given == null) {
      return null;
    }
    List<BranchObjects.NewColumn> columns = new ArrayList<>();
    for (int i = 0; i < given.size(); i++) {
      Requests.NewColumn c = given.get(i);
      if (c == null) {
        throw StrataException.invalid("columns[" + i + "]", "a column: {name, type, nullable?, default?}");
      }
      JsonNode d = c.defaultValue();
      if (d != null && !d.isNull() && !d.isValueNode()) {
        throw StrataException.invalid("columns[" + i + "].default", "a JSON string, number or boolean the column's"
            + " type reads");
      }
      columns.add(new BranchObjects.NewColumn(c.name(), c.type(), c.nullable() == null || c.nullable(),
          d == null || d.isNull() ? null : d.asText()));
    }
    return columns;
  }
}
