package io.strata.server.api;

import io.strata.server.auth.Permission;
import io.strata.server.auth.Requires;
import com.fasterxml.jackson.databind.JsonNode;
import io.smallrye.mutiny.Uni;
import io.strata.server.queries.SqlQueries;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

@Path("/api/v1/repositories/{repo}/query")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
@Tag(name = "Query")
public class QueryResource {
  @Inject SqlQueries queries;
  @Inject Repositories repositories;

  @Requires(Permission.READ)
  @POST
  @Operation(summary = "Run a read-only SQL SELECT in which the repository's tables are their state at a ref"
      + " (default: the default branch's head; working=true: a branch's working state); time-limited, row-limited")
  public Uni<SqlQueries.Result> query(@PathParam("repo") String repo,
      @RequestBody(content = @Content(schema = @Schema(implementation = Requests.Query.class))) JsonNode body) {
    Requests.Query q = Bodies.read(body, Requests.Query.class);
    return repositories.require(repo).chain(r -> queries.run(r, q.sql(), q.ref(),
        Boolean.TRUE.equals(q.working()), q.limit() == null ? SqlQueries.DEFAULT_LIMIT : q.limit()));
  }
}
