package io.strata.server.api;

import org.jboss.resteasy.reactive.server.Cancellable;
import com.fasterxml.jackson.databind.JsonNode;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.strata.events.CheckRunCompleted;
import io.strata.events.PromotionPolicy;
import io.strata.projections.refs.RefRows.RepositoryRow;
import io.strata.server.api.Dtos.PageDto;
import io.strata.server.api.PromotionDtos.PromotionDto;
import io.strata.server.application.CommandContext;
import io.strata.server.application.PromotionCommands;
import io.strata.server.auth.Permission;
import io.strata.server.auth.Requires;
import io.strata.server.domain.CheckOutcomes;
import io.strata.server.domain.ErrorCode;
import io.strata.server.domain.Names;
import io.strata.server.domain.StrataException;
import io.strata.server.queries.SqlQueries;
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
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * Promotion requests: opened along a path of the policy, previewed, checked on the preview (SQL checks run here,
 * through the query sandbox, read-only, each under its own timeout and row limit; external checks posted),
 * approved, merged through the gate, or rejected.
 */
@Path("/api/v1/repositories/{repo}/promotions")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
@Tag(name = "Promotion")
public class PromotionResource {
  /** Bytes of output rows a check's run keeps (an external check may post no more). */
  static final int MAX_OUTPUT_BYTES = 64 * 1024;

  @Inject PromotionCommands commands;
  @Inject CommandContexts contexts;
  @Inject Repositories repositories;
  @Inject SqlQueries queries;
  @Inject io.strata.server.queries.Diffs diffs;
  @Inject io.strata.server.queries.SchemaDiffs schemaDiffs;

  @Requires(Permission.READ)
  @GET
  @Operation(summary = "List promotion requests, newest first")
  public Uni<PageDto<PromotionDto>> list(@PathParam("repo") String repo, @QueryParam("state") String state,
      @QueryParam("limit") String limit, @QueryParam("offset") String offset, @Context HttpServerRequest request) {
    Params.Page page = Params.page(limit, offset);
    if (state != null && !Set.of("open", "passing", "failing", "approved", "merged", "rejected", "rolled_back")
        .contains(state)) {
      throw StrataException.invalid("state", "must be open, passing, failing, approved, merged, rejected or rolled_back");
    }
    CommandContext ctx = contexts.unkeyed(request);
    return repositories.require(repo).chain(r -> commands.list(repo, ctx))
        .map(views -> {
          List<PromotionDto> all = views.stream().map(PromotionDto::of)
              .filter(p -> state == null || p.state().equals(state)).toList();
          List<PromotionDto> items = all.stream().skip(page.offset()).limit(page.limit()).toList();
          return PageDto.of(items, all.size(), page.offset());
        });
  }

  @Requires(Permission.READ)
  @GET
  @Path("/{number}")
  @Operation(summary = "A promotion request: its state, the pair it was evaluated at, its preview, checks and approvals")
  public Uni<PromotionDto> get(@PathParam("repo") String repo, @PathParam("number") String number,
      @Context HttpServerRequest request) {
    return repositories.require(repo).chain(r -> commands.view(repo, number(number), contexts.unkeyed(request)))
        .map(PromotionDto::of);
  }

  @Requires(Permission.WRITE)
  @Cancellable(false)
  @POST
  @Operation(summary = "Open a promotion request of a source branch into a target, along a path of the policy, and"
      + " evaluate it: the target's head with the source merged into it, on the request's preview branch")
  @APIResponse(responseCode = "201", content = @Content(schema = @Schema(implementation = PromotionDto.class)))
  public Uni<Response> open(@PathParam("repo") String repo,
      @RequestBody(content = @Content(schema = @Schema(implementation = PromotionDtos.OpenPromotionInput.class)))
      JsonNode body, @Context HttpServerRequest request) {
    PromotionDtos.OpenPromotionInput b = Bodies.read(body, PromotionDtos.OpenPromotionInput.class);
    if (b.source() == null || b.target() == null) {
      throw StrataException.invalid(b.source() == null ? "source" : "target", "is required");
    }
    CommandContext ctx = contexts.unkeyed(request);
    return repositories.require(repo).chain(r -> commands.open(repo, b.source(), b.target(), ctx))
        .chain(n -> commands.view(repo, n, ctx))
        .map(v -> answer(201, v));
  }

  @Requires(Permission.WRITE)
  @Cancellable(false)
  @POST
  @Path("/{number}/evaluate")
  @Consumes(MediaType.WILDCARD)
  @Operation(summary = "Evaluate a promotion request again at the source's and target's heads now: a new preview;"
      + " check runs and approvals of the earlier pair stop counting")
  @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = PromotionDto.class)))
  public Uni<Response> evaluate(@PathParam("repo") String repo, @PathParam("number") String number,
      @Context HttpServerRequest request) {
    return repositories.require(repo).chain(r -> commands.evaluate(repo, number(number), contexts.unkeyed(request)))
        .map(v -> answer(200, v));
  }

  @Requires(Permission.WRITE)
  @Cancellable(false)
  @POST
  @Path("/{number}/checks/run")
  @Consumes(MediaType.WILDCARD)
  @Operation(summary = "Run the request's required SQL checks on its preview (read-only, in the query sandbox, each"
      + " within its timeout and row limit) and record each run")
  @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = PromotionDto.class)))
  public Uni<Response> runChecks(@PathParam("repo") String repo, @PathParam("number") String number,
      @Context HttpServerRequest request) {
    CommandContext ctx = contexts.unkeyed(request);
    return repositories.require(repo).chain(row -> commands.evaluate(repo, number(number), ctx).chain(v -> {
      int n = v.request().number();
      if (!v.request().isOpen()) {
        throw new StrataException(ErrorCode.PromotionClosed, "promotion #" + n + " is " + v.state() + " already",
            Map.of("number", n));
      }
      if (v.path() == null) {
        throw new StrataException(ErrorCode.ValidationError, "no path of the repository's promotion policy leads"
            + " from '" + v.request().source() + "' into '" + v.request().target() + "' any more", Map.of("number", n));
      }
      List<PromotionPolicy.Check> sql = v.policy().checks().stream()
          .filter(c -> v.path().requiredChecks().contains(c.name())).toList();
      return Multi.createFrom().iterable(sql)
          .onItem().transformToUniAndConcatenate(check -> run(row, v, check)
              .chain(run -> commands.recordCheckRun(repo, run, ctx)))
          .collect().last()
          .chain(() -> commands.view(repo, n, ctx));
    })).map(v -> answer(200, v));
  }

  /** One SQL check on the preview: its verdict, or {@code error} with the query's refusal (a timeout, bad SQL). */
  private Uni<CheckRunCompleted> run(RepositoryRow repository, PromotionCommands.View v, PromotionPolicy.Check check) {
    var r = v.request();
    if (r.previewCommit() == null) {
      return Uni.createFrom().item(new CheckRunCompleted(r.number(), check.name(), r.sourceCommit(), r.targetHead(),
          "error", "no preview: the merge stopped at " + r.conflicts() + " conflicts", List.of(), 0, false));
    }
    return runAt(repository, r.number(), r.previewCommit(), check, r.sourceCommit(), r.targetHead());
  }

  /** One SQL check at commit {@code at}, recorded for the request's pair. */
  private Uni<CheckRunCompleted> runAt(RepositoryRow repository, int number, String at, PromotionPolicy.Check check,
      String sourceCommit, String targetHead) {
    long started = System.nanoTime();
    return queries.run(repository, check.sql(), at, false, check.maxRows() + 1,
            Duration.ofSeconds(check.timeoutSeconds()))
        .map(result -> {
          List<JsonNode> rows = objects(result.columns(), result.rows());
          CheckOutcomes.Verdict verdict = CheckOutcomes.judge(check.expect(), result.columns(), rows,
              result.truncated() || rows.size() > check.maxRows());
          List<JsonNode> output = capped(rows.stream().limit(check.maxRows()).toList());
          return new CheckRunCompleted(number, check.name(), sourceCommit, targetHead, verdict.status(),
              verdict.summary(), output, millis(started), false);
        })
        .onFailure(StrataException.class).recoverWithItem(e -> new CheckRunCompleted(number, check.name(),
            sourceCommit, targetHead, "error", limited(e.getMessage()), List.of(), millis(started), false));
  }

  @Requires(Permission.WRITE)
  @Cancellable(false)
  @POST
  @Path("/{number}/check-runs")
  @Operation(summary = "Post an external check's result (a name with '/', required by the path) for the pair the"
      + " request was evaluated at")
  @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = PromotionDto.class)))
  public Uni<Response> postCheckRun(@PathParam("repo") String repo, @PathParam("number") String number,
      @RequestBody(content = @Content(schema = @Schema(implementation = PromotionDtos.CheckRunInput.class)))
      JsonNode body, @Context HttpServerRequest request) {
    PromotionDtos.CheckRunInput b = Bodies.read(body, PromotionDtos.CheckRunInput.class);
    if (b.name() == null || !b.name().contains("/")) {
      throw StrataException.invalid("name", "is required: an external check's name has a '/' (ci/build); Strata runs"
          + " the SQL checks itself (checks/run)");
    }
    if (b.status() == null || !Set.of("passed", "failed", "error").contains(b.status())) {
      throw StrataException.invalid("status", "must be passed, failed or error");
    }
    String summary = Names.text("summary", b.summary() == null ? b.status() : b.summary(), 2000, false);
    List<JsonNode> output = b.output() == null ? List.of() : b.output();
    if (output.size() > 1000 || output.stream().anyMatch(o -> !o.isObject())
        || output.toString().length() > MAX_OUTPUT_BYTES) {
      throw StrataException.invalid("output", "is at most 1000 objects and " + MAX_OUTPUT_BYTES + " bytes");
    }
    requirePair(b.sourceCommit(), b.targetHead());
    CommandContext ctx = contexts.unkeyed(request);
    return repositories.require(repo).chain(r -> commands.recordCheckRun(repo, new CheckRunCompleted(number(number),
        b.name(), b.sourceCommit(), b.targetHead(), b.status(), summary, output, 0, true), ctx))
        .map(v -> answer(200, v));
  }

  @Requires(Permission.WRITE)
  @Cancellable(false)
  @POST
  @Path("/{number}/approvals")
  @Operation(summary = "Approve a promotion request at the pair it was evaluated at, as the caller (the path says"
      + " whose approvals count)")
  @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = PromotionDto.class)))
  public Uni<Response> approve(@PathParam("repo") String repo, @PathParam("number") String number,
      @RequestBody(content = @Content(schema = @Schema(implementation = PromotionDtos.ApprovalInput.class)))
      JsonNode body, @Context HttpServerRequest request) {
    PromotionDtos.ApprovalInput b = Bodies.read(body, PromotionDtos.ApprovalInput.class);
    requirePair(b.sourceCommit(), b.targetHead());
    CommandContext ctx = contexts.unkeyed(request);
    return repositories.require(repo).chain(r -> commands.approve(repo, number(number), b.sourceCommit(),
            b.targetHead(), b.comment(), ctx))
        .map(v -> answer(200, v));
  }

  @Requires(Permission.WRITE)
  @Cancellable(false)
  @POST
  @Path("/{number}/merge")
  @Consumes(MediaType.WILDCARD)
  @Operation(summary = "Merge an approved promotion request: the target taken to its preview's state through the"
      + " gate, while the target is at the head it was evaluated at; tagged as the path says")
  @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = PromotionDto.class)))
  public Uni<Response> merge(@PathParam("repo") String repo, @PathParam("number") String number,
      @Context HttpServerRequest request) {
    return repositories.require(repo).chain(r -> commands.merge(repo, number(number), contexts.unkeyed(request)))
        .map(v -> answer(200, v));
  }

  @Requires(Permission.WRITE)
  @Cancellable(false)
  @POST
  @Path("/{number}/verify")
  @Consumes(MediaType.WILDCARD)
  @Operation(summary = "Verify a merged promotion: the path's verification checks run on the target at its merge"
      + " commit; when one fails and the path rolls back, the merge commit is reverted through the gate")
  @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = PromotionDto.class)))
  public Uni<Response> verify(@PathParam("repo") String repo, @PathParam("number") String number,
      @Context HttpServerRequest request) {
    CommandContext ctx = contexts.unkeyed(request);
    return repositories.require(repo).chain(row -> commands.view(repo, number(number), ctx).chain(v -> {
      var r = v.request();
      if (!io.strata.server.domain.PromotionRequests.MERGED.equals(r.closed())) {
        throw new StrataException(ErrorCode.PromotionNotReady, "promotion #" + r.number() + " is " + v.state()
            + ": only a merged promotion is verified", Map.of("number", r.number()));
      }
      List<String> names = v.path() == null || v.path().verify() == null ? List.of() : v.path().verify().checks();
      List<PromotionPolicy.Check> checks = v.policy().checks().stream().filter(c -> names.contains(c.name())).toList();
      return Multi.createFrom().iterable(checks)
          .onItem().transformToUniAndConcatenate(check -> runAt(row, r.number(), r.mergeCommit(), check,
              r.sourceCommit(), r.targetHead()))
          .map(run -> new io.strata.events.PromotionVerified.Result(run.name(), run.status(), run.summary()))
          .collect().asList()
          .chain(results -> commands.verify(repo, r.number(), results, ctx));
    })).map(v -> answer(200, v));
  }

  @Requires(Permission.READ)
  @GET
  @Path("/{number}/preview")
  @Operation(summary = "What the request would land: per table the rows its preview changes on the target's evaluated"
      + " head, and the schema changes with their lint (destructive changes flagged) and migration")
  public Uni<PromotionDtos.PreviewDto> preview(@PathParam("repo") String repo, @PathParam("number") String number,
      @Context HttpServerRequest request) {
    return repositories.require(repo).chain(row -> commands.view(repo, number(number), contexts.unkeyed(request))
        .chain(v -> {
          var r = v.request();
          if (r.previewCommit() == null) {
            throw new StrataException(ErrorCode.PromotionNotReady, "promotion #" + r.number() + " has no preview"
                + (r.conflicts() > 0 ? ": its merge stopped at " + r.conflicts() + " conflicts (a dry run of the merge"
                + " into the target lists them)" : ""), Map.of("number", r.number(), "conflicts", r.conflicts()));
          }
          return Uni.combine().all().unis(diffs.diff(row, r.targetHead(), r.previewCommit(), null),
                  schemaDiffs.diff(row, r.targetHead(), r.previewCommit(), null)).asTuple()
              .map(t -> new PromotionDtos.PreviewDto(r.number(), r.sourceCommit(), r.targetHead(), r.previewCommit(),
                  v.stale(), t.getItem1().tables(), SchemaDtos.SchemaDiffDto.of(t.getItem2())));
        }));
  }

  @Requires(Permission.WRITE)
  @Cancellable(false)
  @POST
  @Path("/{number}/reject")
  @Operation(summary = "Close a promotion request without merging it")
  @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = PromotionDto.class)))
  public Uni<Response> reject(@PathParam("repo") String repo, @PathParam("number") String number,
      @RequestBody(content = @Content(schema = @Schema(implementation = PromotionDtos.RejectInput.class)))
      JsonNode body, @Context HttpServerRequest request) {
    PromotionDtos.RejectInput b = body == null || body.isNull() || body.isMissingNode()
        ? new PromotionDtos.RejectInput(null) : Bodies.read(body, PromotionDtos.RejectInput.class);
    return repositories.require(repo).chain(r -> commands.reject(repo, number(number), b.reason(),
            contexts.unkeyed(request)))
        .map(v -> answer(200, v));
  }

  private static Response answer(int status, PromotionCommands.View v) {
    return Response.status(status).type(MediaType.APPLICATION_JSON_TYPE)
        .header(CommandContexts.POSITION_HEADER, v.position()).entity(PromotionDto.of(v)).build();
  }

  /** The pair a result or an approval is for: a source commit and a target head, as full commit ids. */
  private static void requirePair(String sourceCommit, String targetHead) {
    for (String[] f : new String[][] {{"source_commit", sourceCommit}, {"target_head", targetHead}}) {
      if (f[1] == null || !f[1].matches("[0-9a-f]{64}")) {
        throw StrataException.invalid(f[0], "is required: the full commit id of the pair the request was evaluated at"
            + " (its source_commit and target_head), which this is for");
      }
    }
  }

  private static int number(String number) {
    try {
      int n = Integer.parseInt(number);
      if (n >= 1) {
        return n;
      }
    } catch (NumberFormatException e) {
      // below
    }
    throw new StrataException(ErrorCode.PromotionNotFound, "no promotion request is numbered '"
        + (number.length() > 20 ? number.substring(0, 20) + "…" : number) + "'", Map.of());
  }

  /** The first rows of a check's output that fit in {@link #MAX_OUTPUT_BYTES} of JSON: what the log keeps of it. */
  static List<JsonNode> capped(List<JsonNode> rows) {
    List<JsonNode> kept = new java.util.ArrayList<>();
    long bytes = 2;
    for (JsonNode row : rows) {
      bytes += row.toString().length() + 1;
      if (bytes > MAX_OUTPUT_BYTES) {
        break;
      }
      kept.add(row);
    }
    return kept;
  }

  /** The query's rows (arrays of values, in its columns' order) as objects by column name, as a check's output. */
  static List<JsonNode> objects(List<String> columns, List<JsonNode> rows) {
    return rows.stream().map(row -> {
      com.fasterxml.jackson.databind.node.ObjectNode o = io.strata.events.EventCodec.mapper().createObjectNode();
      for (int i = 0; i < columns.size() && i < row.size(); i++) {
        o.set(columns.get(i), row.get(i));
      }
      return (JsonNode) o;
    }).toList();
  }

  private static long millis(long started) {
    return (System.nanoTime() - started) / 1_000_000;
  }

  private static String limited(String message) {
    return message == null ? "error" : message.length() > 2000 ? message.substring(0, 2000) : message;
  }
}
