package io.strata.server.api;

import org.jboss.resteasy.reactive.server.Cancellable;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.strata.projections.graph.CommitGraph;
import io.strata.server.api.Dtos.CommitDto;
import io.strata.server.api.Dtos.PageDto;
import io.strata.server.auth.Permission;
import io.strata.server.auth.Requires;
import io.strata.server.application.CommandContext;
import io.strata.server.application.CommitCommands;
import io.strata.server.application.SchemaFollower;
import io.strata.server.queries.TableSchemas;
import io.strata.server.queries.SchemaMigrations;
import io.strata.projections.tables.TableQueries;
import io.strata.server.domain.ErrorCode;
import io.strata.server.domain.Names;
import io.strata.server.domain.RefResolver;
import io.strata.server.domain.StrataException;
import io.strata.server.queries.Diffs;
import io.strata.server.queries.SchemaDiffs;
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
import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.jboss.resteasy.reactive.RestMulti;
import org.jboss.resteasy.reactive.common.util.RestMediaType;

@Path("/api/v1/repositories/{repo}")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
@Tag(name = "Commits")
public class CommitResource {
  @Inject CommitCommands commands;
  @Inject CommandContexts contexts;
  @Inject CommitGraph graph;
  @Inject RefResolver resolver;
  @Inject Repositories repositories;
  @Inject Diffs diffs;
  @Inject SchemaDiffs schemaDiffs;
  @Inject TableSchemas tableSchemas;
  @Inject SchemaMigrations schemaMigrations;
  @Inject TableQueries tables;
  @Inject SchemaFollower follower;
  @Inject ObjectMapper json;

  @Requires(Permission.WRITE)
  @Cancellable(false)
  @POST
  @Path("/branches/{branch}/commits")
  @Operation(summary = "Commit on a branch (expected_head guards against concurrent moves)")
  @APIResponse(responseCode = "201", content = @Content(schema = @Schema(implementation = Dtos.CommitDto.class)))
  public Uni<Response> commit(@PathParam("repo") String repo, @PathParam("branch") String branch,
      @RequestBody(content = @Content(schema = @Schema(implementation = Requests.CreateCommit.class))) JsonNode body, @Context HttpServerRequest request) {
    Requests.CreateCommit b = Bodies.read(body, Requests.CreateCommit.class);
    CommandContext ctx = contexts.of(request, b);
    return commands.commit(repo, branch, b.message(), contexts.author(b.author(), ctx), b.expectedHead(), b.tables(),
            Boolean.TRUE.equals(b.all()), Boolean.TRUE.equals(b.allowEmpty()), ctx, Answers.commitCreated())
        .map(r -> contexts.respond(r, ctx));
  }

  @Requires(Permission.READ)
  @GET
  @Path("/commits")
  @Operation(summary = "The log of a ref, newest first")
  public Uni<PageDto<CommitDto>> log(@PathParam("repo") String repo, @QueryParam("ref") String ref,
      @QueryParam("limit") String limit, @QueryParam("offset") String offset,
      @QueryParam("first_parent") String firstParent, @QueryParam("table") String table,
      @QueryParam("author") String author, @QueryParam("since") String since, @QueryParam("until") String until) {
    Params.Page page = Params.page(limit, offset);
    Instant from = since == null ? null : RefResolver.parseTime(since);
    Instant to = until == null ? null : RefResolver.parseTime(until);
    CommitGraph.LogFilter filter = new CommitGraph.LogFilter(Params.bool("first_parent", firstParent),
        blankToNull(author), from, to, blankToNull(table));
    return repositories.require(repo)
        .chain(r -> resolver.resolve(repo, ref == null ? r.defaultBranch() : ref))
        .chain(resolved -> graph.log(repo, resolved.commit(), filter, page.limit(), page.offset()))
        .map(p -> PageDto.of(p.commits().stream().map(CommitDto::of).toList(), p.total(), page.offset()));
  }

  @Requires(Permission.READ)
  @GET
  @Path("/commits/{id}")
  @Operation(summary = "A commit by full id or unique prefix of at least 7 hex digits")
  public Uni<CommitDto> get(@PathParam("repo") String repo, @PathParam("id") String id) {
    return repositories.require(repo)
        .chain(r -> resolver.commitByPrefix(repo, id))
        .chain(found -> found.map(c -> graph.commit(repo, c)).orElse(Uni.createFrom().item(Optional.empty())))
        .map(c -> c.map(CommitDto::of).orElseThrow(() -> new StrataException(ErrorCode.CommitNotFound,
            "commit '" + abbreviate(id) + "' does not exist" + (Names.isHex(id.toLowerCase(Locale.ROOT))
                && id.length() < 7 ? " (give at least 7 hex digits)" : ""),
            Map.of("commit", abbreviate(id)))));
  }

  @Requires(Permission.READ)
  @GET
  @Path("/diff")
  @Operation(summary = "Differences between two refs: per table, and with rows=true every changed row"
      + " (key, op, before, after, fields)")
  @APIResponse(responseCode = "200", content = @Content(
      mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = Diffs.Diff.class)))
  public RestMulti<Buffer> diff(@PathParam("repo") String repo, @QueryParam("from") String from,
      @QueryParam("to") String to, @QueryParam("table") String table, @QueryParam("rows") String rows) {
    if (from == null || to == null) {
      throw StrataException.badRequest("query parameters 'from' and 'to' are required");
    }
    boolean withRows = Params.bool("rows", rows);
    // with rows, the summary goes first and the changes stream after it: a diff of any size in bounded memory
    Multi<Buffer> body = repositories.require(repo).onItem().transformToMulti(r -> withRows
        ? diffs.diffWithRows(r, from, to, blankToNull(table)).onItem().transformToMulti(d -> {
          ObjectNode summary = json.valueToTree(d.summary());
          summary.remove("changes");
          return ResponseChunks.objectWithArray(json, summary, "changes", d.changes());
        })
        : diffs.diff(r, from, to, blankToNull(table)).map(d -> Buffer.buffer(write(d))).toMulti());
    return RestMulti.fromMultiData(body).encodeAsJsonArray(false).build();
  }

  @Requires(Permission.READ)
  @GET
  @Path("/diff/schema")
  @Operation(summary = "How the tracked tables' shapes differ between two refs: per table each change (column,"
      + " constraint or index; before, after, destructive) with its statements, and the migration up (from → to) and"
      + " down")
  public Uni<SchemaDtos.SchemaDiffDto> diffSchema(@PathParam("repo") String repo, @QueryParam("from") String from,
      @QueryParam("to") String to, @QueryParam("table") String table) {
    if (from == null || to == null) {
      throw StrataException.badRequest("query parameters 'from' and 'to' are required");
    }
    return repositories.require(repo).chain(r -> schemaDiffs.diff(r, from, to, blankToNull(table)))
        .map(SchemaDtos.SchemaDiffDto::of);
  }

  @Requires(Permission.READ)
  @GET
  @Path("/migrations")
  @Operation(summary = "A ref's schema history as versioned migrations a Flyway user can apply: one per commit of its"
      + " first-parent history that changed tracked tables' shapes (tracking and untracking are not migrations),"
      + " V<generation>__<message>.sql, oldest first")
  public Uni<SchemaDtos.MigrationsDto> migrations(@PathParam("repo") String repo,
      @Parameter(description = "Start after this ref (on to's first-parent history); default: the start of the"
          + " history") @QueryParam("from") String from,
      @Parameter(description = "The ref whose history is exported; default: the default branch") @QueryParam("to")
      String to,
      @Parameter(description = "Only this table's changes (a name tracked now or before; an unknown one has none)")
      @QueryParam("table") String table) {
    return repositories.require(repo).chain(r -> schemaMigrations.export(r, blankToNull(from), blankToNull(to),
            blankToNull(table)))
        .map(SchemaDtos.MigrationsDto::of);
  }

  @Requires(Permission.READ)
  @GET
  @Path("/drift")
  @Operation(summary = "The tracked tables whose live shape is not the default branch's recorded one (DDL made past the"
      + " DDL guard, or where it is not installed, or a table gone): per table its changes, whether it may be recorded,"
      + " and the statements that make and revert it")
  public Uni<SchemaDtos.SchemaDriftDto> drift(@PathParam("repo") String repo) {
    // the DDL the guard filed is recorded first: only what it did not see is drift
    return repositories.require(repo).chain(() -> follower.followRepositoryForReads(repo))
        .chain(() -> tables.tables(repo)).chain(tracked -> tableSchemas.drifts(repo, tracked))
        .map(SchemaDtos.SchemaDriftDto::of);
  }

  private String write(Object value) {
    try {
      return json.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The changed rows as NDJSON (Accept: application/x-ndjson), one change per line, in table and key order. */
  @Requires(Permission.READ)
  @GET
  @Path("/diff")
  @Produces(RestMediaType.APPLICATION_NDJSON)
  @Operation(summary = "Changed rows between two refs as NDJSON: one {table, key, op, before, after, fields} per line")
  @APIResponse(responseCode = "200", content = @Content(mediaType = RestMediaType.APPLICATION_NDJSON,
      schema = @Schema(implementation = Diffs.RowDiff.class)))
  public Multi<Buffer> diffRows(@PathParam("repo") String repo,
      @QueryParam("from") String from, @QueryParam("to") String to, @QueryParam("table") String table) {
    if (from == null || to == null) {
      throw StrataException.badRequest("query parameters 'from' and 'to' are required");
    }
    return ResponseChunks.ndjson(repositories.require(repo)
        .onItem().transformToMulti(r -> diffs.stream(r, from, to, blankToNull(table)))
        .map(this::write));
  }

  private static String abbreviate(String s) {
    return s.length() > 80 ? s.substring(0, 80) + "…" : s;
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s;
  }
}
