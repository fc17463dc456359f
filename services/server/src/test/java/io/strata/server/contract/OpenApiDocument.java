package io.strata.server.contract;

import static io.restassured.RestAssured.given;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/** The server's own /openapi.json, walked operation by operation, for tests that hold the server to it. */
final class OpenApiDocument {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final List<String> METHOD_ORDER = List.of("get", "post", "put", "patch", "delete");

  final JsonNode root;

  private OpenApiDocument(JsonNode root) {
    this.root = root;
  }

  static OpenApiDocument fetch() {
    try {
      return new OpenApiDocument(JSON.readTree(given().get("/openapi.json").then().statusCode(200).extract().asString()));
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
  }

  record Op(String method, String path, JsonNode node) {
    String name() {
      return method.toUpperCase(java.util.Locale.ROOT) + " " + path;
    }

    List<JsonNode> parameters(String in) {
      List<JsonNode> out = new ArrayList<>();
      node.path("parameters").forEach(p -> {
        if (in.equals(p.path("in").asText())) {
          out.add(p);
        }
      });
      return out;
    }

    boolean documents(int status) {
      return node.path("responses").has(String.valueOf(status));
    }
  }

  /** Every operation: reads first, then writes, deletes last (so that a test's deletes come after its other calls). */
  List<Op> operations() {
    List<Op> ops = new ArrayList<>();
    root.path("paths").fields().forEachRemaining(path -> path.getValue().fields().forEachRemaining(m -> {
      if (METHOD_ORDER.contains(m.getKey())) {
        ops.add(new Op(m.getKey(), path.getKey(), m.getValue()));
      }
    }));
    ops.sort(java.util.Comparator.comparing((Op o) -> METHOD_ORDER.indexOf(o.method())).thenComparing(Op::path));
    return ops;
  }

  /** A schema with its $ref followed. */
  JsonNode resolve(JsonNode schema) {
    String ref = schema.path("$ref").asText("");
    if (ref.startsWith("#/components/schemas/")) {
      return resolve(root.path("components").path("schemas").path(ref.substring("#/components/schemas/".length())));
    }
    return schema;
  }

  /** The JSON request body schema of an operation, resolved, or null. */
  JsonNode jsonBody(Op op) {
    JsonNode schema = op.node().path("requestBody").path("content").path("application/json").path("schema");
    return schema.isMissingNode() ? null : resolve(schema);
  }

  /** The documented properties of an object schema, in order. */
  static List<String> properties(JsonNode objectSchema) {
    List<String> names = new ArrayList<>();
    for (Iterator<String> it = objectSchema.path("properties").fieldNames(); it.hasNext(); ) {
      names.add(it.next());
    }
    return names;
  }

  /** A value of the schema's type: what a client generated from the document would send. */
  Object sample(JsonNode schema, String name) {
    JsonNode s = resolve(schema);
    String type = s.path("type").isArray() ? s.path("type").path(0).asText() : s.path("type").asText("");
    if (s.has("enum")) {
      return JSON.convertValue(s.path("enum").path(0), Object.class);
    }
    switch (type) {
      case "boolean":
        return false;
      case "integer":
      case "number":
        return 1;
      case "array":
        return List.of();
      case "object": {
        Map<String, Object> out = new java.util.LinkedHashMap<>();
        for (String p : properties(s)) {
          out.put(p, sample(s.path("properties").path(p), p));
        }
        return out;
      }
      default:
        return "v" + Integer.toHexString(name.hashCode() & 0xfffff) + "x" + Long.toHexString(System.nanoTime() & 0xffffff);
    }
  }
}
