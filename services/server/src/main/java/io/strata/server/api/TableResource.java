package io.strata.server.api;

import org.jboss.resteasy.reactive.server.Cancellable;
import com.fasterxml.jackson.databind.JsonNode;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.strata.projections.tables.TableQueries;
import io.strata.projections.tables.TableRow;
import io.strata.server.api.Dtos.PageDto;
import io.strata.server.api.Dtos.TableDto;
import io.strata.server.auth.Permission;
import io.strata.server.auth.Requires;
import io.strata.server.application.CommandContext;
import io.strata.server.application.SchemaFollower;
import io.strata.server.application.TableCommands;
import io.strata.server.domain.ErrorCode;
import io.strata.server.domain.StrataException;
import io.strata.server.queries.RowReads;
import io.strata.server.queries.SchemaDiffs;
import io.strata.server.queries.TableSchemas;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.Encoded;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.jboss.resteasy.reactive.common.util.RestMediaType;

@Path("/api/v1/repositories/{repo}/tables")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
@Tag(name = "Tables")
public class TableResource {
  @Inject TableCommands commands;
  @Inject CommandContexts contexts;
  @Inject TableQueries tables;
  @Inject Repositories repositories;
  @Inject RowReads rowReads;
  @Inject TableSchemas tableSchemas;
  @Inject SchemaDiffs schemaDiffs;
  @Inject SchemaFollower follower;

  @Requires(Permission.REPOSITORY_ADMIN)
  @Cancellable(false)
  @POST
  @Operation(summary = "Track a table in place: postgresql://<storage>/<schema>.<table>, or a Delta Lake table at"
      + " delta://<storage>/<path> with the primary_key its rows are versioned by; commits on the default branch")
  @APIResponse(responseCode = "201", content = @Content(schema = @Schema(implementation = Dtos.TableDto.class)))
  public Uni<Response> track(@PathParam("repo") String repo,
      @RequestBody(content = @Content(schema = @Schema(implementation = Requests.TrackTable.class))) JsonNode body,
      @Context HttpServerRequest request) {
    Requests.TrackTable b = Bodies.read(body, Requests.TrackTable.class);
    CommandContext ctx = contexts.of(request, b);
    return repositories.require(repo)
        .chain(() -> commands.track(repo, b.name(), b.location(), b.primaryKey(), contexts.author(b.author(), ctx), ctx,
            Answers.tableTracked()))
        .map(r -> contexts.respond(r, ctx));
  }

  @Requires(Permission.READ)
  @GET
  @Operation(summary = "List tracked tables")
  public Uni<PageDto<TableDto>> list(@PathParam("repo") String repo) {
    return repositories.require(repo).chain(() -> tables.tables(repo))
        .map(rows -> new PageDto<>(rows.stream().map(TableDto::of).toList(), rows.size(), false));
  }

  @Requires(Permission.READ)
  @GET
  @Path("/{table}")
  @Operation(summary = "A tracked table")
  public Uni<TableDto> get(@PathParam("repo") String repo, @PathParam("table") String table) {
    return repositories.require(repo).chain(() -> tables.table(repo, table))
        .map(t -> t.map(TableDto::of).orElseThrow(() -> new StrataException(ErrorCode.TableNotFound,
            "table '" + table + "' is not tracked", Map.of("table", table))));
  }

  @Requires(Permission.READ)
  @GET
  @Path("/{table}/schema")
  @Operation(summary = "The table's shape as Strata recorded it (on the default branch, or at a ref) against the"
      + " table now: the DDL made since (drift), each change with its statements and whether it is destructive, and"
      + " the statements that turn the table back")
  public Uni<SchemaDtos.TableSchemaDto> schema(@PathParam("repo") String repo, @PathParam("table") String table,
      @Parameter(description = "A ref (branch, tag, commit, with ~n or @{time}): compare the shape recorded at its"
          + " commit instead of the default branch's latest") @QueryParam("ref") String ref) {
    // the DDL the guard filed is recorded first: only what it did not see is drift
    return repositories.require(repo).chain(r -> follower.followRepositoryForReads(repo)
        .chain(() -> requireTable(repo, table))
        .chain(t -> ref == null || ref.isBlank() ? tableSchemas.drift(repo, t)
            : schemaDiffs.shapeAt(r, table, ref).chain(shape -> tableSchemas.drift(repo, t, shape))))
        .map(drift -> SchemaDtos.TableSchemaDto.of(table, drift));
  }

  @Requires(Permission.REPOSITORY_ADMIN)
  @Cancellable(false)
  @POST
  @Path("/{table}/schema/record")
  @Operation(summary = "Record the table's shape as it is now (DDL made past the DDL guard: drift) as its shape on the"
      + " default branch; its columns must be the recorded ones")
  @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = SchemaDtos.DriftRecordedDto.class)))
  public Uni<Response> recordDrift(@PathParam("repo") String repo, @PathParam("table") String table,
      @RequestBody(required = false, content = @Content(schema = @Schema(implementation = Requests.RecordDrift.class)))
      JsonNode body, @Context HttpServerRequest request) {
    Requests.RecordDrift b = body == null || body.isNull() ? new Requests.RecordDrift(null, null)
        : Bodies.read(body, Requests.RecordDrift.class);
    CommandContext ctx = contexts.of(request, b);
    return repositories.require(repo).chain(() -> requireTable(repo, table))
        .chain(() -> commands.recordDrift(repo, table, b.expectedHash(), contexts.author(b.author(), ctx), ctx,
            Answers.driftRecorded(table)))
        .map(r -> contexts.respond(r, ctx));
  }

  @Requires(Permission.READ)
  @GET
  @Path("/{table}/rows")
  @Operation(summary = "Rows at a ref (default: the default branch's last commit; working=true for its live state),"
      + " in key order with keyset pagination (after = the previous page's next) and column=value filters")
  @APIResponse(responseCode = "200", content = @Content(mediaType = MediaType.APPLICATION_JSON,
      schema = @Schema(implementation = AnswerShapes.RowPage.class)))
  public Uni<Map<String, Object>> rows(@PathParam("repo") String repo, @PathParam("table") String table,
      @QueryParam("ref") String ref, @QueryParam("working") String working, @QueryParam("limit") String limit,
      @QueryParam("after") String after, @Context UriInfo uri) {
    int l = Params.integer("limit", limit, Params.DEFAULT_LIMIT);
    if (l < 1 || l > Params.MAX_LIMIT) {
      throw new StrataException(ErrorCode.ValidationError, "limit must be between 1 and " + Params.MAX_LIMIT,
          Map.of("field", "limit"));
    }
    Map<String, String> filters = filters(uri);
    boolean live = Params.bool("working", working);
    return repositories.require(repo)
        .chain(r -> requireTable(repo, table)
            .chain(t -> rowReads.rows(r, t, ref, live, filters, after, l)))
        .map(page -> {
          Map<String, Object> body = new LinkedHashMap<>();
          body.put("items", page.items());
          body.put("next", page.next());
          return body;
        });
  }

  /** The same rows as NDJSON, streamed page by page with back-pressure: for whole large tables. */
  @Requires(Permission.READ)
  @GET
  @Path("/{table}/rows")
  @Produces(RestMediaType.APPLICATION_NDJSON)
  @Operation(summary = "Rows at a ref as an NDJSON stream (Accept: application/x-ndjson)")
  @APIResponse(responseCode = "200", content = @Content(mediaType = RestMediaType.APPLICATION_NDJSON,
      schema = @Schema(ref = OpenApiContract.ROW_SCHEMA)))
  public Multi<Buffer> streamRows(@PathParam("repo") String repo, @PathParam("table") String table,
      @QueryParam("ref") String ref, @QueryParam("working") String working, @QueryParam("after") String after,
      @Context UriInfo uri) {
    Map<String, String> filters = filters(uri);
    boolean live = Params.bool("working", working);
    // each row is already JSON text from PostgreSQL
    return ResponseChunks.ndjson(repositories.require(repo)
        .chain(r -> requireTable(repo, table).map(t -> Map.entry(r, t)))
        .onItem().transformToMulti(found -> rowReads.stream(found.getKey(), found.getValue(), ref, live, filters, after)));
  }

  @Requires(Permission.READ)
  @GET
  @Path("/{table}/rows/{key}")
  @Operation(summary = "One row by key at a ref (composite keys: values joined by ',', each percent-encoded)")
  @APIResponse(responseCode = "200", content = @Content(mediaType = MediaType.APPLICATION_JSON,
      schema = @Schema(ref = OpenApiContract.ROW_SCHEMA)))
  public Uni<JsonNode> row(@PathParam("repo") String repo, @PathParam("table") String table,
      @Encoded @PathParam("key") String key, @QueryParam("ref") String ref, @QueryParam("working") String working) {
    boolean live = Params.bool("working", working);
    return repositories.require(repo)
        .chain(r -> requireTable(repo, table).chain(t -> {
          return rowReads.rows(r, t, ref, live, RowKeys.parse(key, t), null, 1);
        }))
        .map(page -> page.items().stream().findFirst().orElseThrow(() -> new StrataException(ErrorCode.RowNotFound,
            "no row with key '" + key + "' in table '" + table + "' at this ref", Map.of("table", table))));
  }

  /** The endpoint's own parameters: never column filters. */
  private static final Set<String> RESERVED = Set.of("ref", "working", "limit", "after");
  /**
   * Paging parameters of other lists that row reads do not take: a 400, never a filter on a column of that
   * name (which would answer an empty page to a client paging with {@code offset}).
   */
  private static final Set<String> OTHER_PAGING = Set.of("offset");

  /** Every query parameter that is not one of the endpoint's own is a column filter. */
  private static Map<String, String> filters(UriInfo uri) {
    Map<String, String> filters = new LinkedHashMap<>();
    uri.getQueryParameters().forEach((name, values) -> {
      if (OTHER_PAGING.contains(name)) {
        throw new StrataException(ErrorCode.BadRequest, "row reads page with the cursor 'after' (the previous"
            + " page's 'next') and 'limit', not '" + name + "'; '" + name + "' is reserved, not a column filter",
            Map.of("parameter", name));
      }
      if (!RESERVED.contains(name)) {
        filters.put(name, values.get(values.size() - 1));
      }
    });
    return filters;
  }

  /** The tracked table, which branch {@code branch} has (404 otherwise). */
  Uni<TableRow> requireTable(String repo, String table, String branch) {
    return requireTable(repo, table).invoke(t -> io.strata.server.queries.MadeTables.requireOn(t, branch));
  }

  Uni<TableRow> requireTable(String repo, String table) {
    return tables.table(repo, table).map(t -> t.orElseThrow(() -> new StrataException(ErrorCode.TableNotFound,
        "table '" + table + "' is not tracked", Map.of("table", table))));
  }

  @Requires(Permission.REPOSITORY_ADMIN)
  @Cancellable(false)
  @DELETE
  @Path("/{table}")
  @Operation(summary = "Untrack a table: Strata's objects for it go, the table and its data stay")
  public Uni<Response> untrack(@PathParam("repo") String repo, @PathParam("table") String table,
      @Context HttpServerRequest request) {
    CommandContext ctx = contexts.of(request, null);
    return repositories.require(repo)
        .chain(() -> commands.untrack(repo, table, contexts.author(null, ctx), ctx, Answers.noContent()))
        .map(r -> contexts.respond(r, ctx));
  }
}
