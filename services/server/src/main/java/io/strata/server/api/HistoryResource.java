package io.strata.server.api;

import org.jboss.resteasy.reactive.server.Cancellable;
import com.fasterxml.jackson.databind.JsonNode;
import io.smallrye.mutiny.Uni;
import io.strata.server.auth.Permission;
import io.strata.server.auth.Requires;
import io.strata.server.application.CommandContext;
import io.strata.events.AppliedCommit;
import io.strata.projections.rowdata.Merges.Strategy;
import io.strata.server.application.CommitApplications;
import io.strata.server.application.MergeCommands;
import io.strata.server.application.MergeCommands.FastForward;
import io.strata.server.application.RebaseCommands;
import io.strata.server.application.ResetCommands;
import io.strata.projections.refs.RefQueries;
import io.strata.server.domain.Existing;
import jakarta.ws.rs.GET;
import java.util.List;
import io.strata.server.domain.Names;
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
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** Rewriting a branch's history: reset, revert, cherry-pick. */
@Path("/api/v1/repositories/{repo}/branches/{branch}")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
@Tag(name = "History")
public class HistoryResource {
  @Inject ResetCommands resets;
  @Inject RebaseCommands rebases;
  @Inject RefQueries refs;
  @Inject Existing existing;
  @Inject CommitApplications applications;
  @Inject CommandContexts contexts;

  @Requires(Permission.WRITE)
  @Cancellable(false)
  @POST
  @Path("/revert")
  @Operation(summary = "Undo a commit of the branch's history with a new commit, three-way against the branch"
      + " (conflicts as in a merge)")
  @APIResponse(responseCode = "201", content = @Content(schema = @Schema(implementation = Dtos.AppliedDto.class)))
  @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = Dtos.AppliedDto.class)))
  public Uni<Response> revert(@PathParam("repo") String repo, @PathParam("branch") String branch,
      @RequestBody(content = @Content(schema = @Schema(implementation = Requests.ApplyCommit.class))) JsonNode body,
      @Context HttpServerRequest request) {
    return applyCommit(repo, branch, body, request, AppliedCommit.REVERT);
  }

  @Requires(Permission.WRITE)
  @Cancellable(false)
  @POST
  @Path("/cherry-pick")
  @Operation(summary = "Apply a commit's changes (against its parent) to the branch with a new commit, three-way"
      + " (conflicts as in a merge)")
  @APIResponse(responseCode = "201", content = @Content(schema = @Schema(implementation = Dtos.AppliedDto.class)))
  @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = Dtos.AppliedDto.class)))
  public Uni<Response> cherryPick(@PathParam("repo") String repo, @PathParam("branch") String branch,
      @RequestBody(content = @Content(schema = @Schema(implementation = Requests.ApplyCommit.class))) JsonNode body,
      @Context HttpServerRequest request) {
    return applyCommit(repo, branch, body, request, AppliedCommit.CHERRY_PICK);
  }

  private Uni<Response> applyCommit(String repo, String branch, JsonNode body, HttpServerRequest request,
      String operation) {
    Requests.ApplyCommit b = Bodies.read(body, Requests.ApplyCommit.class);
    if (b.commit() == null || b.commit().isBlank()) {
      throw StrataException.invalid("commit", "is required: the commit (or a ref to it) to apply");
    }
    Names.expectedHead(b.expectedHead());
    CommandContext ctx = contexts.of(request, b);
    MergeCommands.Request r = new MergeCommands.Request(b.commit(),
        MergeResource.choice("strategy", b.strategy(), Strategy.class, Strategy.THREE_WAY), FastForward.NEVER,
        b.message(), Boolean.TRUE.equals(b.noCommit()), false, b.expectedHead(), contexts.author(b.author(), ctx),
        operation, b.mainline(), Boolean.TRUE.equals(b.allowEmpty()),
        SchemaResolutionsInput.choices(b.schemaStrategy(), b.schemaResolutions()));
    return applications.applyCommit(repo, branch, r, ctx, Answers::applied).map(resp -> contexts.respond(resp, ctx));
  }

  @Requires(Permission.WRITE)
  @Cancellable(false)
  @POST
  @Path("/rebase")
  @Operation(summary = "Replay the branch's commits since its merge base with a ref on top of that ref (stops at the"
      + " first conflict with a rebase in progress)")
  @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = RebaseCommands.Rebased.class)))
  public Uni<Response> rebase(@PathParam("repo") String repo, @PathParam("branch") String branch,
      @RequestBody(content = @Content(schema = @Schema(implementation = Requests.Rebase.class))) JsonNode body,
      @Context HttpServerRequest request) {
    Requests.Rebase b = Bodies.read(body, Requests.Rebase.class);
    if (b.onto() == null || b.onto().isBlank()) {
      throw StrataException.invalid("onto", "is required: the branch, tag or commit to rebase onto");
    }
    CommandContext ctx = contexts.of(request, b);
    return rebases.rebase(repo, branch, b.onto(), contexts.author(b.author(), ctx), ctx, Answers.REBASE)
        .map(resp -> contexts.respond(resp, ctx));
  }

  @Requires(Permission.READ)
  @GET
  @Path("/rebase")
  @Operation(summary = "The rebase in progress on the branch, if any: what it replays, and how far it got")
  public Uni<Dtos.RebaseDto> rebaseInProgress(@PathParam("repo") String repo, @PathParam("branch") String branch) {
    return existing.repository(repo).chain(() -> existing.branch(repo, branch))
        .chain(() -> refs.rebase(repo, branch))
        .map(found -> found.map(r -> {
          var started = r.event();
          return new Dtos.RebaseDto(branch, true, started.onto(), started.ontoCommit(), started.head(),
              started.commits(), r.done());
        }).orElse(new Dtos.RebaseDto(branch, false, null, null, null, List.of(), 0)));
  }

  @Requires(Permission.WRITE)
  @Cancellable(false)
  @POST
  @Path("/rebase/continue")
  @Consumes(MediaType.WILDCARD)
  @Operation(summary = "Continue the rebase in progress: commit the stopped step (its conflicts resolved), replay the"
      + " rest")
  @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = RebaseCommands.Rebased.class)))
  public Uni<Response> continueRebase(@PathParam("repo") String repo, @PathParam("branch") String branch,
      @Context HttpServerRequest request) {
    CommandContext ctx = contexts.of(request, null);
    return rebases.continueRebase(repo, branch, ctx, Answers.REBASE, Answers.commitCreated())
        .map(resp -> contexts.respond(resp, ctx));
  }

  @Requires(Permission.WRITE)
  @Cancellable(false)
  @POST
  @Path("/rebase/skip")
  @Consumes(MediaType.WILDCARD)
  @Operation(summary = "Skip the commit the rebase in progress stopped at, and replay the rest")
  @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = RebaseCommands.Rebased.class)))
  public Uni<Response> skipRebase(@PathParam("repo") String repo, @PathParam("branch") String branch,
      @Context HttpServerRequest request) {
    CommandContext ctx = contexts.of(request, null);
    return rebases.skip(repo, branch, ctx, Answers.REBASE).map(resp -> contexts.respond(resp, ctx));
  }

  @Requires(Permission.WRITE)
  @Cancellable(false)
  @POST
  @Path("/rebase/abort")
  @Consumes(MediaType.WILDCARD)
  @Operation(summary = "Abandon the rebase in progress: the branch goes back where it was, exactly")
  public Uni<Response> abortRebase(@PathParam("repo") String repo, @PathParam("branch") String branch,
      @Context HttpServerRequest request) {
    CommandContext ctx = contexts.of(request, null);
    return rebases.abort(repo, branch, ctx, Answers.noContent()).map(resp -> contexts.respond(resp, ctx));
  }

  @Requires(Permission.WRITE)
  @Cancellable(false)
  @POST
  @Path("/reset")
  @Operation(summary = "Move the branch's head to a commit: hard (its working state too, working changes dropped)"
      + " or soft (the difference staged)")
  @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = Dtos.BranchDto.class)))
  public Uni<Response> reset(@PathParam("repo") String repo, @PathParam("branch") String branch,
      @RequestBody(content = @Content(schema = @Schema(implementation = Requests.Reset.class))) JsonNode body,
      @Context HttpServerRequest request) {
    Requests.Reset b = Bodies.read(body, Requests.Reset.class);
    if (b.to() == null || b.to().isBlank()) {
      throw StrataException.invalid("to", "is required: the branch, tag or commit to reset to");
    }
    if (b.mode() == null) {
      throw StrataException.invalid("mode", "is required: hard or soft");
    }
    Names.expectedHead(b.expectedHead());
    CommandContext ctx = contexts.of(request, b);
    // whether the caller may force a protected branch is the application's to say (from the actor's grants)
    ResetCommands.Request r = new ResetCommands.Request(b.to(),
        MergeResource.choice("mode", b.mode(), ResetCommands.Mode.class, null), b.expectedHead(),
        Boolean.TRUE.equals(b.force()));
    return resets.reset(repo, branch, r, ctx, Answers.branchAfter(branch)).map(resp -> contexts.respond(resp, ctx));
  }
}
