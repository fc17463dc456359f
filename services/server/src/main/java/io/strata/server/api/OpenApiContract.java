package io.strata.server.api;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.eclipse.microprofile.openapi.OASFactory;
import org.eclipse.microprofile.openapi.OASFilter;
import org.eclipse.microprofile.openapi.models.OpenAPI;
import org.eclipse.microprofile.openapi.models.Operation;
import org.eclipse.microprofile.openapi.models.PathItem;
import org.eclipse.microprofile.openapi.models.headers.Header;
import org.eclipse.microprofile.openapi.models.media.Content;
import org.eclipse.microprofile.openapi.models.media.Schema;
import org.eclipse.microprofile.openapi.models.parameters.Parameter;
import org.eclipse.microprofile.openapi.models.responses.APIResponse;

/**
 * Makes /openapi.json say what the server does, which the Java types alone cannot: the operationIds
 * (the generated clients' method names), the status codes commands answer (201, 202 with {@code
 * ?async=true}, 204) with the bodies the resources declare for them, one Error schema for every error
 * answer, the headers every request or command reads and the headers writes answer, the values of
 * enum-like string fields, the row bodies (taken as JSON trees), the {@code rows:batch} path as served,
 * and a description for every operation, parameter and tag. Each is one table here or in {@link
 * OpenApiSchemas} (the schemas' part), not spread over the resources; schemas themselves come from the
 * records (AnswerRequirements adds what is always answered).
 * ContractTest and ContractValidation hold the result to the server, and an endpoint without an
 * operationId or a parameter without a description stops the build.
 */
public class OpenApiContract implements OASFilter {
  static final String ERROR_SCHEMA = "Error";
  static final String ROW_SCHEMA = "#/components/schemas/Row";
  static final String BEARER = "bearer";

  static final String REPO = "/api/v1/repositories/{repo}";
  static final String ROWS = REPO + "/branches/{branch}/tables/{table}";
  static final String SERVED_BATCH = ROWS + "/rows:batch";
  static final String TOKENS = "/api/v1/tokens";
  static final String EVENTS = "/api/v1/events";
  /** Webhook endpoints: server configuration, not commands of the event log. */
  static final String WEBHOOKS = "/api/v1/webhooks";

  @Override
  public void filterOpenAPI(OpenAPI api) {
    Map<String, PathItem> paths = new LinkedHashMap<>(api.getPaths().getPathItems());
    // JAX-RS needs a template to match "rows:batch" with its colon encoded or not; clients see the path
    PathItem batch = paths.remove(ROWS + "/{batch}");
    if (batch != null) {
      paths.put(SERVED_BATCH, batch);
      api.getPaths().removePathItem(ROWS + "/{batch}");
      api.getPaths().addPathItem(SERVED_BATCH, batch);
    }
    OpenApiSchemas.components(api);
    if (api.getTags() != null) {
      api.getTags().forEach(t -> t.setDescription(OpenApiNames.TAGS.get(t.getName())));
    }
    // a generated client's default base URL: the server as it starts without settings (STRATA_HOST, STRATA_PORT)
    api.setServers(List.of(OASFactory.createServer().url("http://127.0.0.1:8000")
        .description("A server started without STRATA_HOST or STRATA_PORT")));
    paths.forEach((path, item) -> item.getOperations().forEach((method, op) ->
        describe(method.name() + " " + path, path, op)));
    OpenApiSchemas.complete(api);
    // Authorization: Bearer <token> where the server requires it; the empty requirement is for STRATA_AUTH=none
    api.setSecurity(null);
    api.addSecurityRequirement(OASFactory.createSecurityRequirement().addScheme(BEARER));
    api.addSecurityRequirement(OASFactory.createSecurityRequirement());
  }

  private static void describe(String endpoint, String path, Operation op) {
    String id = OpenApiNames.OPERATION_IDS.get(endpoint);
    if (id == null) {
      throw new IllegalStateException(endpoint + " has no operationId in OpenApiNames.OPERATION_IDS");
    }
    op.setOperationId(id);
    if (op.getDescription() == null || op.getDescription().isBlank()) {
      op.setDescription(op.getSummary());
    }
    boolean api = path.startsWith("/api/");
    // tokens and webhooks are not commands of the event log: no Idempotency-Key, no position, no X-User-*
    boolean command = command(endpoint, path);
    boolean write = command || OpenApiTables.ROW_WRITES.contains(endpoint)
        || OpenApiTables.UNKEYED_WRITES.contains(endpoint);
    if (op.getParameters() != null) {
      op.getParameters().forEach(p -> describe(path, p));
    }
    if (command) {
      op.addParameter(OASFactory.createParameter().name("async").in(Parameter.In.QUERY)
          .description(OpenApiTables.PARAMETERS.get("async")).schema(OASFactory.createSchema().type(List.of(Schema.SchemaType.BOOLEAN))));
      op.addParameter(header(CommandContexts.IDEMPOTENCY_KEY, "Makes the command idempotent: a repeat with the"
          + " same key and body answers the first answer again (1-255 visible ASCII characters)")
          .schema(OASFactory.createSchema().type(List.of(Schema.SchemaType.STRING)).minLength(1)
              .maxLength(255).pattern("^[\\x21-\\x7E]+$")));
    }
    if (write) {
      op.addParameter(header("X-User-Id", "Who acts (recorded on the event; with STRATA_AUTH=none)"));
      op.addParameter(header("X-User-Name", "The acting person's name (with STRATA_AUTH=none)"));
      op.addParameter(header("X-User-Email", "The acting person's email (with STRATA_AUTH=none)"));
      op.addParameter(header("X-Correlation-Id", "Recorded on the events the request causes (else the"
          + " request's id)"));
      op.addParameter(header(CommandContexts.GATE_OVERRIDE, "An admin's override of the promotion gate of a protected"
          + " branch, giving the reason (recorded as promotion.gate_overridden; 403 from anyone else)")
          .schema(OASFactory.createSchema().type(List.of(Schema.SchemaType.STRING)).minLength(1).maxLength(500)));
    }
    if (api) {
      op.addParameter(header(ConsistencyFilter.MIN_POSITION, "Wait until the event at this log position is"
          + " projected (read your writes), else 503 ProjectionLagging").schema(position()));
    }
    bodies(endpoint, op);
    responses(endpoint, path, op, api, write);
    if (api) {
      // answered on every API call; a client may send its own X-Request-Id (not a declared parameter: generated
      // methods keep their signatures, and send it through their headers argument)
      op.getResponses().getAPIResponses().values()
          .forEach(r -> r.addHeader(RequestIds.HEADER, OASFactory.createHeader().ref(REQUEST_ID_HEADER)));
    }
  }

  /** The component every API answer's X-Request-Id header refers to. */
  static final String REQUEST_ID_HEADER = "RequestId";

  /** A command of the event log: tokens and webhooks are not (no Idempotency-Key, no position, no X-User-*). */
  private static boolean command(String endpoint, String path) {
    return path.startsWith("/api/") && OpenApiTables.SUCCESS.containsKey(endpoint) && !OpenApiTables.ROW_WRITES.contains(endpoint)
        && !OpenApiTables.UNKEYED_WRITES.contains(endpoint)
        && !path.startsWith(TOKENS) && !path.startsWith(WEBHOOKS);
  }

  /** Bodies that may be left out: a working-state command without one applies to every table. */
  private static final String TABLES_BODY = "Optional: {\"tables\": [...]} names the tables; without a body (or"
      + " without tables), every table";
  private static final Map<String, String> OPTIONAL_BODIES = Map.of(
      "POST " + REPO + "/branches/{branch}/stage", TABLES_BODY,
      "POST " + REPO + "/branches/{branch}/unstage", TABLES_BODY,
      "DELETE " + REPO + "/branches/{branch}/working", TABLES_BODY,
      "POST " + REPO + "/branches/{branch}/merge/continue", "Optional: {\"message\", \"author\"} of the merge"
          + " commit; without them, the merge's message and the caller",
      "POST " + REPO + "/tables/{table}/schema/record", "Optional: {\"expected_hash\"}, the recorded shape's hash"
          + " the caller looked at (refused with 409 SchemaMoved when another is recorded by now), and the author");

  private static void bodies(String endpoint, Operation op) {
    if (OPTIONAL_BODIES.containsKey(endpoint) && op.getRequestBody() != null) {
      op.getRequestBody().required(false).description(OPTIONAL_BODIES.get(endpoint));
    }
    if (endpoint.startsWith("PUT " + ROWS) || endpoint.startsWith("PATCH " + ROWS)) {
      op.setRequestBody(OASFactory.createRequestBody().required(true).description("The row's columns")
          .content(OASFactory.createContent().addMediaType("application/json",
              OASFactory.createMediaType().schema(OASFactory.createSchema().ref("Row")))));
    } else if (endpoint.equals("POST " + SERVED_BATCH)) {
      Schema ops = OASFactory.createSchema().type(List.of(Schema.SchemaType.ARRAY))
          .items(OASFactory.createSchema().ref("RowOperation"));
      op.setRequestBody(OASFactory.createRequestBody().required(true)
          .description("A JSON array of operations, or NDJSON: one operation per line")
          .content(OASFactory.createContent()
              .addMediaType("application/json", OASFactory.createMediaType().schema(ops))
              .addMediaType("application/x-ndjson", OASFactory.createMediaType()
                  .schema(OASFactory.createSchema().ref("RowOperation")))));
    }
  }

  private static void responses(String endpoint, String path, Operation op, boolean api, boolean write) {
    // the bodies the resource declares (annotations) or returns (its Java type), by status
    Map<Integer, Content> declared = new LinkedHashMap<>();
    if (op.getResponses().getAPIResponses() != null) {
      op.getResponses().getAPIResponses().forEach((code, r) -> {
        if (code.startsWith("2") && r.getContent() != null && r.getContent().getMediaTypes() != null
            && !r.getContent().getMediaTypes().isEmpty()) {
          declared.put(Integer.parseInt(code), r.getContent());
        }
      });
      List.copyOf(op.getResponses().getAPIResponses().keySet()).stream().filter(code -> code.startsWith("2"))
          .forEach(op.getResponses()::removeAPIResponse);
    }
    List<Integer> success = OpenApiTables.SUCCESS.getOrDefault(endpoint, List.of(200));
    for (int status : success) {
      APIResponse r = OASFactory.createAPIResponse()
          .description(status == 503 ? OpenApiTables.NOT_READY : OpenApiTables.STATUS_TEXT.get(status));
      Content content = status == 204 ? null : status == 202 ? accepted(declared) : declared.get(status);
      if (status != 204 && status != 202 && content == null && declared.size() == 1) {
        content = declared.values().iterator().next();
      }
      if (content != null) {
        r.setContent(jsonFirst(content));
      }
      answerHeaders(r, write, command(endpoint, path));
      op.getResponses().addAPIResponse(String.valueOf(status), r);
    }
    boolean hasBody = op.getRequestBody() != null;
    addError(op, 400);
    if (!api) {
      return;
    }
    addError(op, 401);
    addError(op, 403);
    if (path.contains("{") || path.equals(EVENTS)) { // the feed: ?repository= naming one that does not exist
      addError(op, 404);
    }
    if (write || endpoint.equals("POST " + TOKENS) || endpoint.equals("GET /api/v1/admin/backup")) {
      addError(op, 409);
      // a command stopped part-way (a merge by its conflicts) answers where its events got to
      answerHeaders(op.getResponses().getAPIResponse("409"), write, command(endpoint, path));
    }
    if (hasBody) {
      addError(op, 413);
      addError(op, 415);
    }
    if (path.startsWith("/api/v1/repositories") || path.startsWith(TOKENS) || path.startsWith(EVENTS)
        || path.startsWith(WEBHOOKS)) {
      addError(op, 422);
    }
    if (path.endsWith("/query") || path.endsWith("/events")) {
      addError(op, 429);
    }
    addError(op, 503);
  }

  /**
   * The body of a 202 (?async=true): what the command answers once done, given as soon as it is
   * recorded; one of several when the command answers different bodies by outcome.
   */
  private static Content accepted(Map<Integer, Content> declared) {
    List<Schema> schemas = declared.values().stream()
        .map(c -> c.getMediaType("application/json")).filter(m -> m != null && m.getSchema() != null)
        .map(org.eclipse.microprofile.openapi.models.media.MediaType::getSchema)
        .filter(distinctRefs()).toList();
    if (schemas.isEmpty()) {
      return null;
    }
    Schema schema = schemas.size() == 1 ? schemas.get(0) : OASFactory.createSchema().oneOf(schemas);
    return OASFactory.createContent().addMediaType("application/json", OASFactory.createMediaType().schema(schema));
  }

  /**
   * JSON first: a generated client types an operation by its first media type, and the server answers
   * JSON when a request accepts JSON and a stream alike (the stream is for who asks for it alone).
   */
  private static Content jsonFirst(Content content) {
    Content ordered = OASFactory.createContent();
    var types = content.getMediaTypes();
    if (types.containsKey("application/json")) {
      ordered.addMediaType("application/json", types.get("application/json"));
    }
    types.forEach((name, type) -> {
      if (!name.equals("application/json")) {
        ordered.addMediaType(name, type);
      }
    });
    return ordered;
  }

  private static java.util.function.Predicate<Schema> distinctRefs() {
    Set<String> seen = new java.util.HashSet<>();
    return schema -> seen.add(String.valueOf(schema.getRef()));
  }

  private static void addError(Operation op, int status) {
    op.getResponses().addAPIResponse(String.valueOf(status), OASFactory.createAPIResponse()
        .description(OpenApiTables.STATUS_TEXT.get(status))
        .content(OASFactory.createContent().addMediaType("application/json",
            OASFactory.createMediaType().schema(OASFactory.createSchema().ref(ERROR_SCHEMA)))));
  }

  /** The headers a write's answer carries: its position; a command's also says replayed or lagging. */
  private static void answerHeaders(APIResponse r, boolean write, boolean command) {
    if (write) {
      r.addHeader(CommandContexts.POSITION_HEADER, positionHeader());
    }
    if (command) {
      r.addHeader("Idempotent-Replayed", OASFactory.createHeader().description("true when this answer replays"
          + " the first answer to the same Idempotency-Key and request").schema(OASFactory.createSchema()
          .type(List.of(Schema.SchemaType.STRING)).enumeration(List.of("true"))));
      r.addHeader("X-Strata-Projection-Lagging", OASFactory.createHeader().description("true when the command"
          + " was recorded but its projection did not catch up in time: reads may not show it yet")
          .schema(OASFactory.createSchema().type(List.of(Schema.SchemaType.STRING)).enumeration(List.of("true"))));
    }
  }

  private static Header positionHeader() {
    return OASFactory.createHeader().description("Log position of the write's last event: send it as "
        + ConsistencyFilter.MIN_POSITION + " to read this write")
        .schema(OASFactory.createSchema().type(List.of(Schema.SchemaType.INTEGER)).format("int64"));
  }

  private static void describe(String path, Parameter p) {
    if (p.getIn() != Parameter.In.HEADER && (p.getDescription() == null || p.getDescription().isBlank())) {
      String d = OpenApiTables.PARAMETERS.get(p.getName());
      if (d == null) {
        throw new IllegalStateException("parameter '" + p.getName() + "' has no description in OpenApiContract");
      }
      p.setDescription(d);
    }
    boolean query = p.getIn() == Parameter.In.QUERY;
    if (OpenApiTables.BOOLEAN_PARAMETERS.contains(p.getName()) && query) {
      p.setSchema(OASFactory.createSchema().type(List.of(Schema.SchemaType.BOOLEAN)));
    } else if (OpenApiTables.INTEGER_PARAMETERS.contains(p.getName()) && query) {
      p.setSchema(OASFactory.createSchema().type(List.of(Schema.SchemaType.INTEGER)).format("int32"));
    } else if (query && p.getName().equals("after") && path.endsWith("/events")) {
      p.setSchema(position()); // an event position; a row page's or a delivery page's cursor stays opaque
    } else if (p.getIn() == Parameter.In.HEADER && p.getName().equals("Last-Event-ID")) {
      p.setSchema(position());
    }
  }

  /** An event's log position, as the server reads it (a non-negative 64-bit integer). */
  private static Schema position() {
    return OASFactory.createSchema().type(List.of(Schema.SchemaType.INTEGER)).format("int64")
        .minimum(java.math.BigDecimal.ZERO);
  }

  private static Parameter header(String name, String description) {
    return OASFactory.createParameter().name(name).in(Parameter.In.HEADER).description(description)
        .schema(OASFactory.createSchema().type(List.of(Schema.SchemaType.STRING)));
  }
}
