package io.strata.server.api;

import org.jboss.resteasy.reactive.server.Cancellable;
import com.fasterxml.jackson.databind.JsonNode;
import io.smallrye.mutiny.Uni;
import io.strata.events.StashApplied;
import io.strata.events.StashCreated;
import io.strata.projections.refs.RefQueries;
import io.strata.projections.rowdata.Merges.Strategy;
import io.strata.server.api.Dtos.StashAppliedDto;
import io.strata.server.api.Dtos.StashDto;
import io.strata.server.api.Dtos.StashListDto;
import io.strata.server.auth.Permission;
import io.strata.server.auth.Requires;
import io.strata.server.application.Answer;
import io.strata.server.application.CommandContext;
import io.strata.server.application.StashCommands;
import io.strata.server.domain.Existing;
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
import java.util.List;
import java.util.stream.IntStream;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** A branch's stashes: save its working changes, list, apply, pop and drop them. */
@Path("/api/v1/repositories/{repo}/branches/{branch}/stash")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
@Tag(name = "History")
public class StashResource {
  @Inject StashCommands stashes;
  @Inject RefQueries refs;
  @Inject Existing existing;
  @Inject CommandContexts contexts;

  @Requires(Permission.WRITE)
  @Cancellable(false)
  @POST
  @Operation(summary = "Save the branch's working changes (staged and not) and its tables' shape changes since its"
      + " head as a stash, and put the branch back at its head")
  @APIResponse(responseCode = "201", content = @Content(schema = @Schema(implementation = Dtos.StashDto.class)))
  public Uni<Response> stash(@PathParam("repo") String repo, @PathParam("branch") String branch,
      @RequestBody(content = @Content(schema = @Schema(implementation = Requests.Stash.class))) JsonNode body,
      @Context HttpServerRequest request) {
    Requests.Stash b = body == null || body.isNull() ? new Requests.Stash(null, null, null)
        : Bodies.read(body, Requests.Stash.class);
    CommandContext ctx = contexts.of(request, b);
    Answer answer = (events, position, after, time) -> {
      StashCreated s = (StashCreated) events.get(0);
      return new Answer.Reply(201, StashDto.of(0, s, time, position));
    };
    return stashes.stash(repo, branch, b.message(), b.tables() == null ? List.of() : b.tables(),
        contexts.author(b.author(), ctx), ctx, answer).map(resp -> contexts.respond(resp, ctx));
  }

  @Requires(Permission.READ)
  @GET
  @Operation(summary = "The branch's stashes, the newest first (index 0)")
  public Uni<StashListDto> list(@PathParam("repo") String repo, @PathParam("branch") String branch) {
    return existing.repository(repo).chain(() -> existing.branch(repo, branch))
        .chain(() -> refs.stashes(repo, branch))
        .map(rows -> new StashListDto(IntStream.range(0, rows.size()).mapToObj(i -> {
          StashCreated s = rows.get(i).created();
          return StashDto.of(i, s, rows.get(i).createdAt(), null);
        }).toList()));
  }

  @Requires(Permission.WRITE)
  @Cancellable(false)
  @POST
  @Path("/{n}/apply")
  @Operation(summary = "Apply a stash to the branch's working state, three-way against its head (conflicts as in a"
      + " merge refuse it)")
  @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = Dtos.StashAppliedDto.class)))
  public Uni<Response> apply(@PathParam("repo") String repo, @PathParam("branch") String branch,
      @PathParam("n") String n,
      @RequestBody(content = @Content(schema = @Schema(implementation = Requests.ApplyStash.class))) JsonNode body,
      @Context HttpServerRequest request) {
    return apply(repo, branch, n, body, request, false);
  }

  @Requires(Permission.WRITE)
  @Cancellable(false)
  @POST
  @Path("/{n}/pop")
  @Operation(summary = "Apply a stash as apply does, and drop it")
  @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = Dtos.StashAppliedDto.class)))
  public Uni<Response> pop(@PathParam("repo") String repo, @PathParam("branch") String branch,
      @PathParam("n") String n,
      @RequestBody(content = @Content(schema = @Schema(implementation = Requests.ApplyStash.class))) JsonNode body,
      @Context HttpServerRequest request) {
    return apply(repo, branch, n, body, request, true);
  }

  private Uni<Response> apply(String repo, String branch, String n, JsonNode body, HttpServerRequest request,
      boolean pop) {
    Requests.ApplyStash b = body == null || body.isNull() ? new Requests.ApplyStash(null)
        : Bodies.read(body, Requests.ApplyStash.class);
    CommandContext ctx = contexts.of(request, b);
    Strategy strategy = MergeResource.choice("strategy", b.strategy(), Strategy.class, Strategy.THREE_WAY);
    Answer answer = (events, position, after, time) -> {
      // the shapes it gave back come first, then the stash applied
      StashApplied s = (StashApplied) events.get(events.size() - 1);
      List<String> shaped = events.stream().filter(e -> e instanceof io.strata.events.TableBranchSchemaChanged)
          .map(e -> ((io.strata.events.TableBranchSchemaChanged) e).name()).distinct().toList();
      return new Answer.Reply(200, new StashAppliedDto(s.id(), s.popped(), s.tables(), shaped, position));
    };
    return stashes.apply(repo, branch, index(n), pop, strategy, ctx, answer).map(resp -> contexts.respond(resp, ctx));
  }

  @Requires(Permission.WRITE)
  @Cancellable(false)
  @DELETE
  @Path("/{n}")
  @Consumes(MediaType.WILDCARD)
  @Operation(summary = "Drop a stash without applying it")
  public Uni<Response> drop(@PathParam("repo") String repo, @PathParam("branch") String branch,
      @PathParam("n") String n, @Context HttpServerRequest request) {
    CommandContext ctx = contexts.of(request, null);
    return stashes.drop(repo, branch, index(n), ctx, (events, position, after, time) -> new Answer.Reply(204, null))
        .map(resp -> contexts.respond(resp, ctx));
  }

  /** A stash's index, 0 (the newest) or more, or its id (stable while other stashes come and go). */
  private static String index(String n) {
    if (n.matches("[0-9]{1,9}") || n.matches("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")) {
      return n;
    }
    throw StrataException.invalid("n", "a stash is named by its index, 0 (the newest) or more, or its id; not '" + n
        + "'");
  }
}
