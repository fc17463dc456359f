package io.strata.server.api;

import org.jboss.resteasy.reactive.server.Cancellable;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.strata.projections.rowdata.Merges.Strategy;
import io.strata.server.api.Dtos.MergeStateDto;
import io.strata.projections.rowdata.Merges;
import io.strata.server.application.ConflictDetail;
import io.strata.server.auth.Permission;
import io.strata.server.auth.Requires;
import io.strata.server.application.Answer;
import io.strata.server.application.CommandContext;
import io.strata.server.application.MergeCommands;
import io.strata.server.application.MergeInProgressCommands;
import io.strata.server.application.MergeCommands.FastForward;
import io.strata.server.domain.Names;
import io.strata.server.domain.StrataException;
import io.strata.server.queries.MergeConflicts;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.Arrays;
import java.util.Locale;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.jboss.resteasy.reactive.common.util.RestMediaType;

/** Merges into a branch, and a merge in progress: its conflicts, their resolution, continue and abort. */
@Path("/api/v1/repositories/{repo}/branches/{branch}/merge")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
@Tag(name = "Merges")
public class MergeResource {
  /** What a resolution may take: a side's value, the base's, or the value it gives. */
  static final java.util.List<String> TAKES = java.util.List.of("ours", "theirs", "base", "value");

  @Inject MergeCommands commands;
  @Inject MergeInProgressCommands inProgress;
  @Inject MergeConflicts conflicts;
  @Inject CommandContexts contexts;
  @Inject Repositories repositories;
  @Inject ObjectMapper json;

  @Requires(Permission.WRITE)
  @Cancellable(false)
  @POST
  @Operation(summary = "Merge a ref into the branch: fast-forward, or three-way at field level (ours = this branch)")
  @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = Dtos.MergeDto.class)))
  public Uni<Response> merge(@PathParam("repo") String repo, @PathParam("branch") String branch,
      @RequestBody(content = @Content(schema = @Schema(implementation = Requests.Merge.class))) JsonNode body,
      @Context HttpServerRequest request) {
    Requests.Merge b = Bodies.read(body, Requests.Merge.class);
    if (b.source() == null || b.source().isBlank()) {
      throw StrataException.invalid("source", "is required: the branch, tag or commit to merge");
    }
    Names.expectedHead(b.expectedHead());
    CommandContext ctx = contexts.of(request, b);
    MergeCommands.Request r = new MergeCommands.Request(b.source(),
        choice("strategy", b.strategy(), Strategy.class, Strategy.THREE_WAY),
        choice("fast_forward", b.fastForward(), FastForward.class, FastForward.AUTO), b.message(),
        Boolean.TRUE.equals(b.noCommit()), Boolean.TRUE.equals(b.dryRun()), b.expectedHead(),
        contexts.author(b.author(), ctx), SchemaResolutionsInput.choices(b.schemaStrategy(), b.schemaResolutions()));
    return commands.merge(repo, branch, r, ctx, Answers::merged).map(resp -> contexts.respond(resp, ctx));
  }

  @Requires(Permission.READ)
  @GET
  @Operation(summary = "The merge in progress on the branch, if any, with a page of its conflicts")
  @APIResponse(responseCode = "200", content = @Content(mediaType = MediaType.APPLICATION_JSON,
      schema = @Schema(implementation = MergeStateDto.class)))
  public Uni<MergeStateDto> inProgress(@PathParam("repo") String repo, @PathParam("branch") String branch,
      @QueryParam("limit") String limit, @QueryParam("offset") String offset) {
    Params.Page page = Params.page(limit, offset);
    // nothing open is an answer, not an error: 200 with merge_in_progress false, as GET …/rebase answers
    return repositories.require(repo).chain(r -> conflicts.find(r, branch).chain(found -> found.isEmpty()
        ? Uni.createFrom().item(MergeStateDto.none(branch))
        : conflicts.conflicts(r, branch, found.get()).skip().first(page.offset()).select().first(page.limit() + 1)
            .map(ConflictDetail::of).collect().asList()
            .map(list -> MergeStateDto.of(branch, found.get().started(), list.subList(0,
                Math.min(list.size(), page.limit())), found.get().remaining(), list.size() > page.limit()))));
  }

  @Requires(Permission.READ)
  @GET
  @Produces(RestMediaType.APPLICATION_NDJSON)
  @Operation(summary = "Every conflict of the merge in progress as an NDJSON stream (Accept: application/x-ndjson);"
      + " empty when none is open")
  @APIResponse(responseCode = "200", content = @Content(mediaType = RestMediaType.APPLICATION_NDJSON,
      schema = @Schema(implementation = ConflictDetail.class)))
  public Multi<Buffer> streamConflicts(@PathParam("repo") String repo, @PathParam("branch") String branch) {
    return ResponseChunks.ndjson(repositories.require(repo)
        .chain(r -> conflicts.find(r, branch).map(found -> found.isEmpty() ? Multi.createFrom().<Merges.Conflict>empty()
            : conflicts.conflicts(r, branch, found.get())))
        .onItem().transformToMulti(m -> m)
        .map(c -> {
          try {
            return json.writeValueAsString(ConflictDetail.of(c));
          } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
          }
        }));
  }

  @Requires(Permission.WRITE)
  @Cancellable(false)
  @POST
  @Path("/resolutions")
  @Operation(summary = "Resolve conflicts of the merge in progress: all, a table's, a row's or one field's")
  @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = Dtos.ResolutionDto.class)))
  public Uni<Response> resolve(@PathParam("repo") String repo, @PathParam("branch") String branch,
      @RequestBody(content = @Content(schema = @Schema(implementation = Requests.Resolution.class))) JsonNode body,
      @Context HttpServerRequest request) {
    Requests.Resolution b = Bodies.read(body, Requests.Resolution.class);
    String take = b.take() == null ? null : b.take().toLowerCase(Locale.ROOT);
    if (take == null || !TAKES.contains(take)) {
      throw StrataException.invalid("take", "must be one of ours, theirs, base, value");
    }
    if ("value".equals(take) == (b.value() == null)) {
      throw StrataException.invalid("value", "is given with take \"value\", and only then");
    }
    if (b.key() != null && !(b.key().isArray() || b.key().isValueNode()) || b.key() != null && b.key().isNull()) {
      throw StrataException.invalid("key", "must be the conflict's key as the conflict listing shows it: a JSON"
          + " array of the key's values (or the value of a one-column key)");
    }
    if (b.field() != null && b.field().isBlank()) {
      throw StrataException.invalid("field", "must name a column");
    }
    String key = b.key() == null ? null : (b.key().isArray() ? b.key() : json.createArrayNode().add(b.key())).toString();
    CommandContext ctx = contexts.of(request, b);
    return inProgress.resolve(repo, branch, new MergeInProgressCommands.Resolution(b.table(), key, b.field(), take,
            b.value() == null ? null : b.value().toString()), ctx, Answers.resolved(branch))
        .map(resp -> contexts.respond(resp, ctx));
  }

  @Requires(Permission.WRITE)
  @Cancellable(false)
  @POST
  @Path("/continue")
  @Operation(summary = "Commit the merge in progress with two parents (refused while conflicts remain)")
  @APIResponse(responseCode = "201", content = @Content(schema = @Schema(implementation = Dtos.CommitDto.class)))
  public Uni<Response> continueMerge(@PathParam("repo") String repo, @PathParam("branch") String branch,
      @RequestBody(content = @Content(schema = @Schema(implementation = Requests.ContinueMerge.class))) JsonNode body,
      @Context HttpServerRequest request) {
    Requests.ContinueMerge b = body == null || body.isNull() || body.isMissingNode()
        ? new Requests.ContinueMerge(null, null) : Bodies.read(body, Requests.ContinueMerge.class);
    CommandContext ctx = contexts.of(request, b);
    return inProgress.continueMerge(repo, branch, b.message(), contexts.author(b.author(), ctx), ctx,
        Answers.commitCreated()).map(resp -> contexts.respond(resp, ctx));
  }

  @Requires(Permission.WRITE)
  @Cancellable(false)
  @POST
  @Path("/abort")
  @Consumes(MediaType.WILDCARD)
  @Operation(summary = "Abandon the merge in progress: the tables it wrote go back to the branch's head")
  public Uni<Response> abort(@PathParam("repo") String repo, @PathParam("branch") String branch,
      @Context HttpServerRequest request) {
    CommandContext ctx = contexts.of(request, null);
    return inProgress.abort(repo, branch, ctx, (events, position, after, time) -> new Answer.Reply(204, null))
        .map(resp -> contexts.respond(resp, ctx));
  }

  static <E extends Enum<E>> E choice(String field, String given, Class<E> type, E otherwise) {
    if (given == null) {
      return otherwise;
    }
    for (E e : type.getEnumConstants()) {
      if (e.name().toLowerCase(Locale.ROOT).equals(given)) {
        return e;
      }
    }
    throw StrataException.invalid(field, "must be one of " + Arrays.stream(type.getEnumConstants())
        .map(e -> e.name().toLowerCase(Locale.ROOT)).toList() + ", not '" + given + "'");
  }
}
