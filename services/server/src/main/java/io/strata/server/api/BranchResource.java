package io.strata.server.api;

import org.jboss.resteasy.reactive.server.Cancellable;
import com.fasterxml.jackson.databind.JsonNode;
import io.smallrye.mutiny.Uni;
import io.strata.projections.graph.CommitGraph;
import io.strata.projections.refs.RefQueries;
import io.strata.server.api.Dtos.BranchDto;
import io.strata.server.api.Dtos.CommitSummary;
import io.strata.server.api.Dtos.CompareDto;
import io.strata.server.api.Dtos.PageDto;
import io.strata.server.auth.Permission;
import io.strata.server.auth.Requires;
import io.strata.server.application.CommandContext;
import io.strata.server.application.BranchCommands;
import io.strata.server.application.WorkingCommands;
import io.strata.server.domain.Commands;
import io.strata.server.domain.Existing;
import io.strata.server.domain.RefResolver;
import io.strata.server.domain.StrataException;
import io.strata.server.queries.WorkingChanges;
import io.vertx.core.http.HttpServerRequest;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PATCH;
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

@Path("/api/v1/repositories/{repo}")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
@Tag(name = "Branches")
public class BranchResource {
  @Inject BranchCommands commands;
  @Inject CommandContexts contexts;
  @Inject RefQueries refs;
  @Inject CommitGraph graph;
  @Inject RefResolver resolver;
  @Inject Repositories repositories;
  @Inject Existing existing;
  @Inject WorkingChanges workingChanges;
  @Inject io.strata.server.application.SchemaFollower follower;
  @Inject WorkingCommands workingCommands;

  @Requires(Permission.WRITE)
  @Cancellable(false)
  @POST
  @Path("/branches")
  @Operation(summary = "Create a branch (from the default branch unless 'from' names a ref)")
  @APIResponse(responseCode = "201", content = @Content(schema = @Schema(implementation = Dtos.BranchDto.class)))
  public Uni<Response> create(@PathParam("repo") String repo, @RequestBody(content = @Content(schema = @Schema(implementation = Requests.CreateBranch.class))) JsonNode body,
      @Context HttpServerRequest request) {
    Requests.CreateBranch b = Bodies.read(body, Requests.CreateBranch.class);
    if (b.name() != null && b.name().startsWith(io.strata.server.domain.PromotionRequests.PREVIEW_PREFIX)) {
      throw StrataException.invalid("name", "branches under '" + io.strata.server.domain.PromotionRequests.PREVIEW_PREFIX
          + "' are the previews of promotion requests, made by the server");
    }
    CommandContext ctx = contexts.of(request, b);
    return commands.createBranch(repo, b.name(), b.from(), Boolean.TRUE.equals(b.isProtected()), ctx,
        Answers.branchCreated())
        .map(r -> contexts.respond(r, ctx));
  }

  @Requires(Permission.READ)
  @GET
  @Path("/branches")
  @Operation(summary = "List branches")
  public Uni<PageDto<BranchDto>> list(@PathParam("repo") String repo, @QueryParam("limit") String limit,
      @QueryParam("offset") String offset) {
    Params.Page page = Params.page(limit, offset);
    return repositories.require(repo).chain(r -> refs.branches(repo, page.limit(), page.offset())
        .map(p -> PageDto.of(p.items().stream().map(b -> BranchDto.of(b, r.defaultBranch(), null)).toList(),
            p.total(), page.offset())));
  }

  @Requires(Permission.READ)
  @GET
  @Path("/branches/{branch}")
  @Operation(summary = "Get a branch with its head commit")
  public Uni<BranchDto> get(@PathParam("repo") String repo, @PathParam("branch") String branch) {
    return repositories.require(repo).chain(r -> existing.branch(repo, branch)
        .chain(b -> graph.commit(repo, b.head())
            .map(c -> BranchDto.of(b, r.defaultBranch(), c.map(CommitSummary::of).orElse(null)))));
  }

  @Requires(Permission.REPOSITORY_ADMIN)
  @Cancellable(false)
  @PATCH
  @Path("/branches/{branch}")
  @Operation(summary = "Protect or unprotect a branch")
  @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = Dtos.BranchDto.class)))
  public Uni<Response> patch(@PathParam("repo") String repo, @PathParam("branch") String branch,
      @RequestBody(content = @Content(schema = @Schema(implementation = Requests.PatchBranch.class))) JsonNode body, @Context HttpServerRequest request) {
    Requests.PatchBranch b = Bodies.read(body, Requests.PatchBranch.class);
    CommandContext ctx = contexts.of(request, b);
    return commands.protectBranch(repo, branch, b.isProtected(), ctx, Answers.branchAfter(branch)).map(r -> contexts.respond(r, ctx));
  }

  @Requires(Permission.WRITE)
  @Cancellable(false)
  @DELETE
  @Path("/branches/{branch}")
  @Operation(summary = "Delete a branch (force=true when its commits are merged nowhere); a table made on a branch"
      + " that it alone has goes with it (`table.untracked`, then `branch.deleted`)")
  public Uni<Response> delete(@PathParam("repo") String repo, @PathParam("branch") String branch,
      @QueryParam("force") String force, @Context HttpServerRequest request) {
    CommandContext ctx = contexts.of(request, null);
    return commands.deleteBranch(repo, branch, Params.bool("force", force), ctx, Answers.noContent())
        .map(r -> contexts.respond(r, ctx));
  }

  @Requires(Permission.READ)
  @GET
  @Path("/branches/{branch}/status")
  @Operation(summary = "Working changes per table since the branch's last commit, staged and unstaged")
  public Uni<WorkingChanges.BranchStatus> status(@PathParam("repo") String repo,
      @PathParam("branch") String branch) {
    // on the default branch the DDL filed so far is recorded first (a reset that moved a Delta table's columns, DDL
    // the guard saw): its shape is compared with the head's as recorded
    return repositories.require(repo).chain(r -> (branch.equals(r.defaultBranch())
            ? follower.followRepositoryForReads(repo) : Uni.createFrom().voidItem())
        .chain(() -> workingChanges.status(r, branch)));
  }

  @Requires(Permission.WRITE)
  @Cancellable(false)
  @POST
  @Path("/branches/{branch}/stage")
  @Operation(summary = "Stage the branch's working changes (all tables, or those named)")
  @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = Dtos.StageResult.class)))
  public Uni<Response> stage(@PathParam("repo") String repo, @PathParam("branch") String branch,
      @RequestBody(content = @Content(schema = @Schema(implementation = Requests.TableSelection.class))) JsonNode body,
      @Context HttpServerRequest request) {
    return working(repo, branch, Commands.ChangeKind.STAGED, body, request);
  }

  @Requires(Permission.WRITE)
  @Cancellable(false)
  @POST
  @Path("/branches/{branch}/unstage")
  @Operation(summary = "Unstage the branch's staged changes (all tables, or those named)")
  @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = Dtos.StageResult.class)))
  public Uni<Response> unstage(@PathParam("repo") String repo, @PathParam("branch") String branch,
      @RequestBody(content = @Content(schema = @Schema(implementation = Requests.TableSelection.class))) JsonNode body,
      @Context HttpServerRequest request) {
    return working(repo, branch, Commands.ChangeKind.UNSTAGED, body, request);
  }

  @Requires(Permission.WRITE)
  @Cancellable(false)
  @DELETE
  @Path("/branches/{branch}/working")
  @Operation(summary = "Discard the branch's working changes: its tables go back to its last commit")
  @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = Dtos.StageResult.class)))
  public Uni<Response> discard(@PathParam("repo") String repo, @PathParam("branch") String branch,
      @RequestBody(content = @Content(schema = @Schema(implementation = Requests.TableSelection.class))) JsonNode body,
      @Context HttpServerRequest request) {
    return working(repo, branch, Commands.ChangeKind.DISCARDED, body, request);
  }

  private Uni<Response> working(String repo, String branch, Commands.ChangeKind kind, JsonNode body,
      HttpServerRequest request) {
    Requests.TableSelection b = body == null || body.isNull() || body.isMissingNode()
        ? new Requests.TableSelection(null) : Bodies.read(body, Requests.TableSelection.class);
    CommandContext ctx = contexts.of(request, b);
    return repositories.require(repo)
        .chain(r -> workingCommands.run(repo, r.defaultBranch(), branch, kind, b.tables(), ctx,
            Answers.working(kind)))
        .map(r -> contexts.respond(r, ctx));
  }

  @Requires(Permission.READ)
  @GET
  @Path("/compare")
  @Operation(summary = "Compare two refs: merge base, commits ahead and behind")
  public Uni<CompareDto> compare(@PathParam("repo") String repo, @QueryParam("base") String base,
      @QueryParam("head") String head) {
    if (base == null || head == null) {
      throw StrataException.badRequest("query parameters 'base' and 'head' are required");
    }
    return repositories.require(repo)
        .chain(r -> Uni.combine().all().unis(resolver.resolve(repo, base), resolver.resolve(repo, head)).asTuple())
        .chain(refs -> graph.compare(repo, refs.getItem1().commit(), refs.getItem2().commit())
            .map(c -> new CompareDto(base, head, refs.getItem1().commit(), refs.getItem2().commit(), c.mergeBase(),
                c.ahead(), c.behind(), refs.getItem1().commit().equals(c.mergeBase()))));
  }

}
