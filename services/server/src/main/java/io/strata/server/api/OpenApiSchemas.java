package io.strata.server.api;

import io.strata.server.application.BranchConstraintCommands;

import io.strata.server.domain.ErrorCode;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.eclipse.microprofile.openapi.OASFactory;
import org.eclipse.microprofile.openapi.models.OpenAPI;
import org.eclipse.microprofile.openapi.models.media.Schema;
import org.eclipse.microprofile.openapi.models.security.SecurityScheme;

/**
 * The schemas of /openapi.json, for {@link OpenApiContract}: the components no record gives, the values
 * of enum-like string fields, Java's scalar types written in place, and what every answer schema
 * always carries ({@link AnswerRequirements}).
 */
final class OpenApiSchemas {
  private OpenApiSchemas() {}

  /** The classes whose records (and the records those use) the server answers with. */
  private static final List<Class<?>> ANSWER_RECORDS = List.of(Dtos.class, SchemaDtos.class, PromotionDtos.class, AnswerShapes.class, TokenResource.class,
      WebhookResource.class, ReactorResource.class, AdminResource.class, DatabaseResource.class, EventAnswers.class,
      io.strata.server.application.RebaseCommands.class,
      io.strata.server.application.RowWrites.class, io.strata.server.queries.Diffs.class,
      io.strata.server.queries.WorkingChanges.class, io.strata.server.queries.SqlQueries.class);

  /**
   * The values a string field takes, from the Java enums the server reads them with (lower-cased, as
   * MergeResource.choice and Role.wire spell them). A field missing from its schema stops the build.
   */
  private static final Map<String, List<String>> ENUMS = Map.ofEntries(
      Map.entry("Merge.strategy", wire(io.strata.projections.rowdata.Merges.Strategy.values())),
      Map.entry("Merge.fast_forward", wire(io.strata.server.application.MergeCommands.FastForward.values())),
      Map.entry("Merge.schema_strategy", wire(io.strata.server.domain.SchemaMerge.Side.values())),
      Map.entry("ApplyCommit.strategy", wire(io.strata.projections.rowdata.Merges.Strategy.values())),
      Map.entry("ApplyCommit.schema_strategy", wire(io.strata.server.domain.SchemaMerge.Side.values())),
      Map.entry("SchemaResolution.take", wire(io.strata.server.domain.SchemaMerge.Side.values())),
      Map.entry("ApplyStash.strategy", wire(io.strata.projections.rowdata.Merges.Strategy.values())),
      Map.entry("Reset.mode", wire(io.strata.server.application.ResetCommands.Mode.values())),
      Map.entry("Resolution.take", MergeResource.TAKES),
      Map.entry("SchemaOperation.op", List.of(BranchSchemaResource.ADD_COLUMN, BranchSchemaResource.ALTER_COLUMN,
          BranchSchemaResource.DROP_COLUMN, BranchSchemaResource.RENAME_COLUMN, BranchSchemaResource.ADD_CONSTRAINT,
          BranchSchemaResource.DROP_CONSTRAINT, BranchSchemaResource.ADD_INDEX, BranchSchemaResource.DROP_INDEX)),
      Map.entry("SchemaOperation.method", BranchConstraintCommands.INDEX_METHODS),
      // the kinds the merge SQL writes into a conflict table (LayoutSql, MergeSql)
      Map.entry("ConflictDetail.type", List.of("modify_modify", "delete_modify", "modify_delete", "add_add", "constraint", "constraint_violation")),
      // the storage kinds: a PostgreSQL database (the default), or a place Delta Lake tables live
      Map.entry("AddStorage.type", List.of(io.strata.events.StorageAdded.POSTGRESQL, io.strata.events.StorageAdded.DELTA)),
      Map.entry("StorageDto.type", List.of(io.strata.events.StorageAdded.POSTGRESQL, io.strata.events.StorageAdded.DELTA)),
      Map.entry("CreateToken.role", wire(io.strata.server.auth.Role.values())),
      Map.entry("TokenDto.role", wire(io.strata.server.auth.Role.values())),
      Map.entry("CreatedTokenDto.role", wire(io.strata.server.auth.Role.values())));

  private static List<String> wire(Enum<?>[] values) {
    return Arrays.stream(values).map(v -> v.name().toLowerCase(java.util.Locale.ROOT)).toList();
  }

  private static void enums(OpenAPI api) {
    ENUMS.forEach((field, values) -> {
      String[] at = field.split("\\.");
      Schema schema = api.getComponents().getSchemas().get(at[0]);
      Schema property = schema == null || schema.getProperties() == null ? null : schema.getProperties().get(at[1]);
      if (property == null) {
        throw new IllegalStateException("OpenApiSchemas.ENUMS names " + field + ", which no schema has");
      }
      property.setEnumeration(new java.util.ArrayList<Object>(values));
    });
  }

  /** The components no record gives: the Error, Row and RowOperation schemas and the bearer scheme. */
  static void components(OpenAPI api) {
    Schema error = OASFactory.createSchema().type(List.of(Schema.SchemaType.OBJECT))
        .description("Every error answer")
        .addRequired("error").addRequired("message").addRequired("details")
        .addProperty("error", OASFactory.createSchema().type(List.of(Schema.SchemaType.STRING))
            .description("The error's type").enumeration(Arrays.stream(ErrorCode.values()).map(c -> (Object) c.name()).toList()))
        .addProperty("message", OASFactory.createSchema().type(List.of(Schema.SchemaType.STRING))
            .description("What went wrong, for people"))
        .addProperty("details", OASFactory.createSchema().type(List.of(Schema.SchemaType.OBJECT))
            .description("Machine-readable particulars (field, sqlstate, ...)").additionalPropertiesBoolean(true))
        .addProperty("request_id", OASFactory.createSchema().type(List.of(Schema.SchemaType.STRING))
            .description("The request's id, as its X-Request-Id answer header gives it (in the server's log lines too)"));
    api.getComponents().addHeader(OpenApiContract.REQUEST_ID_HEADER, OASFactory.createHeader()
        .description("The request's id: the X-Request-Id the client sent when it is 1-128 of A-Za-z0-9._:@/+=-"
            + " (else its X-Correlation-Id, else a random UUID); in error bodies as request_id and in the server's"
            + " log lines")
        .schema(OASFactory.createSchema().type(List.of(Schema.SchemaType.STRING))));
    api.getComponents().addSchema(OpenApiContract.ERROR_SCHEMA, error);
    api.getComponents().addSchema("Row", OASFactory.createSchema().type(List.of(Schema.SchemaType.OBJECT))
        .description("A row: column name to value; a column left out takes its default on PUT, stays on PATCH")
        .additionalPropertiesBoolean(true));
    api.getComponents().addSchema("RowOperation", OASFactory.createSchema().type(List.of(Schema.SchemaType.OBJECT))
        .description("{\"op\": \"upsert\", \"row\": {...}} or {\"op\": \"delete\", \"key\": {...} or a value}")
        .addRequired("op")
        .additionalPropertiesBoolean(false)
        .addProperty("op", OASFactory.createSchema().type(List.of(Schema.SchemaType.STRING))
            .enumeration(List.of("upsert", "delete")))
        .addProperty("row", OASFactory.createSchema().ref("Row"))
        .addProperty("key", OASFactory.createSchema().description("The key columns by name, or the value of a"
            + " one-column key")));
    api.getComponents().removeSchema("JsonNode");
    api.getComponents().removeSchema("JsonNodeType");
    api.getComponents().addSecurityScheme(OpenApiContract.BEARER, OASFactory.createSecurityScheme().type(SecurityScheme.Type.HTTP)
        .scheme("bearer").description("Authorization: Bearer <token>, required when the server runs with"
            + " STRATA_AUTH=token"));
  }

  /** After the operations are described: enum values, scalars in place, answers' required fields. */
  static void complete(OpenAPI api) {
    enums(api);
    inlineScalars(api);
    AnswerRequirements.apply(api, answerSchemas(api),
        Set.of(OpenApiContract.ERROR_SCHEMA, "Row", "RowOperation", "JsonValue"), ANSWER_RECORDS);
  }

  /**
   * Java's scalar types (Instant, UUID) are strings on the wire: written in place, not as components
   * named after Java classes, so that {@code nullable} on a field applies to them (a {@code $ref} in
   * {@code allOf} would not take null).
   */
  private static void inlineScalars(OpenAPI api) {
    Map<String, Schema> components = api.getComponents().getSchemas();
    Map<String, Schema> scalars = new LinkedHashMap<>();
    components.forEach((name, schema) -> {
      if (schema.getProperties() == null && schema.getType() != null
          && schema.getType().equals(List.of(Schema.SchemaType.STRING))) {
        scalars.put("#/components/schemas/" + name, schema);
      }
    });
    java.util.Deque<Schema> todo = new java.util.ArrayDeque<>(components.values());
    api.getPaths().getPathItems().values().forEach(item -> item.getOperations().values().forEach(op -> {
      if (op.getParameters() != null) {
        op.getParameters().forEach(p -> todo.add(p.getSchema()));
      }
    }));
    while (!todo.isEmpty()) {
      Schema s = todo.pop();
      if (s == null) {
        continue;
      }
      Schema scalar = scalars.get(s.getRef());
      boolean nullable = false;
      if (s.getAnyOf() != null) { // the model's nullable reference: anyOf [{$ref}, {type: null}]
        Schema referred = s.getAnyOf().stream().filter(a -> scalars.containsKey(a.getRef())).findFirst().orElse(null);
        nullable = referred != null && s.getAnyOf().size() == 2;
        scalar = nullable ? scalars.get(referred.getRef()) : scalar;
      }
      if (scalar != null) {
        s.setRef(null);
        s.setAnyOf(null);
        List<Schema.SchemaType> type = new java.util.ArrayList<>(scalar.getType());
        if (nullable) {
          type.add(Schema.SchemaType.NULL);
        }
        s.setType(type);
        s.setFormat(scalar.getFormat());
        s.setPattern(scalar.getPattern());
      }
      if (s.getProperties() != null) {
        todo.addAll(s.getProperties().values());
      }
      if (s.getItems() != null) {
        todo.add(s.getItems());
      }
    }
    scalars.keySet().forEach(ref -> api.getComponents().removeSchema(ref.substring(ref.lastIndexOf('/') + 1)));
  }

  /** The component schemas an answer body refers to, directly or through other schemas. */
  private static Set<String> answerSchemas(OpenAPI api) {
    Set<String> found = new java.util.LinkedHashSet<>();
    java.util.Deque<Schema> todo = new java.util.ArrayDeque<>();
    api.getPaths().getPathItems().values().forEach(item -> item.getOperations().values().forEach(op ->
        op.getResponses().getAPIResponses().values().forEach(r -> {
          if (r.getContent() != null) {
            r.getContent().getMediaTypes().values().forEach(m -> {
              if (m.getSchema() != null) {
                todo.add(m.getSchema());
              }
            });
          }
        })));
    Map<String, Schema> components = api.getComponents().getSchemas();
    while (!todo.isEmpty()) {
      Schema s = todo.pop();
      if (s.getRef() != null) {
        String name = s.getRef().substring(s.getRef().lastIndexOf('/') + 1);
        if (found.add(name) && components.containsKey(name)) {
          todo.add(components.get(name));
        }
      }
      if (s.getProperties() != null) {
        todo.addAll(s.getProperties().values());
      }
      if (s.getItems() != null) {
        todo.add(s.getItems());
      }
      for (List<Schema> group : java.util.Arrays.asList(s.getAllOf(), s.getOneOf(), s.getAnyOf())) {
        if (group != null) {
          todo.addAll(group);
        }
      }
      if (s.getAdditionalPropertiesSchema() != null) {
        todo.add(s.getAdditionalPropertiesSchema());
      }
    }
    return found;
  }
}
