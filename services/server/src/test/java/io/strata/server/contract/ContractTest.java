package io.strata.server.contract;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import io.strata.server.TestDatabaseResource;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Holds the server to its /openapi.json: for every operation, a body of exactly the documented fields
 * is not refused as unknown, an undocumented field and the camelCase spelling of a documented
 * snake_case one are refused (400 naming them), everything is described, every error answer is the
 * one Error schema, and every status the server gives to these requests is documented.
 */
@QuarkusTest
@WithTestResource(value = TestDatabaseResource.class, scope = TestResourceScope.GLOBAL)
class ContractTest {
  @Inject Pool pool;

  @Test
  void everyOperationAndParameterIsDescribedAndErrorsUseTheErrorSchema() {
    OpenApiDocument doc = OpenApiDocument.fetch();
    List<String> failures = new ArrayList<>();
    List<OpenApiDocument.Op> ops = doc.operations();
    assertThat(ops).hasSizeGreaterThan(35);
    for (OpenApiDocument.Op op : ops) {
      if (op.node().path("description").asText("").isBlank()) {
        failures.add(op.name() + ": no description");
      }
      op.node().path("parameters").forEach(p -> {
        if (p.path("description").asText("").isBlank()) {
          failures.add(op.name() + ": parameter " + p.path("name").asText() + " has no description");
        }
      });
      if (op.path().startsWith("/api/") && !(op.node().path("responses").has("401")
          && op.node().path("responses").has("403"))) {
        failures.add(op.name() + ": 401 and 403 (STRATA_AUTH=token) not documented");
      }
      op.node().path("responses").fields().forEachRemaining(r -> {
        int status = Integer.parseInt(r.getKey());
        boolean readiness = op.path().equals("/ready") && status == 503; // answers its own body
        String ref = r.getValue().path("content").path("application/json").path("schema").path("$ref").asText("");
        if (status >= 400 && !readiness && !ref.equals("#/components/schemas/Error")) {
          failures.add(op.name() + ": response " + status + " is not the Error schema");
        }
      });
    }
    JsonNode error = doc.root.path("components").path("schemas").path("Error");
    assertThat(OpenApiDocument.properties(error)).containsExactly("error", "message", "details", "request_id");
    assertThat(doc.root.path("components").path("headers").has("RequestId")).as("X-Request-Id, answered by every call").isTrue();
    assertThat(doc.root.path("paths").has("/api/v1/repositories/{repo}/branches/{branch}/tables/{table}/rows:batch"))
        .as("rows:batch as served").isTrue();
    assertThat(doc.root.path("components").path("securitySchemes").path("bearer").path("scheme").asText()).isEqualTo("bearer");
    assertThat(failures).isEmpty();
  }

  @Test
  void theServerAcceptsExactlyTheDocumentedFieldsOfEveryBody() {
    OpenApiDocument doc = OpenApiDocument.fetch();
    Fixture fixture = new Fixture(pool, "contract");
    List<String> failures = new ArrayList<>();
    int bodies = 0;
    for (OpenApiDocument.Op op : doc.operations()) {
      JsonNode schema = doc.jsonBody(op);
      if (schema == null) {
        // no body: a plain call answers a documented status
        Response plain = call(op, fixture, null);
        if (!op.documents(plain.statusCode())) {
          failures.add(op.name() + " answered " + plain.statusCode() + " (undocumented): " + plain.asString());
        }
        continue;
      }
      bodies++;
      boolean array = "array".equals(type(schema));
      JsonNode object = array ? doc.resolve(schema.path("items")) : schema;
      if (object.path("additionalProperties").asBoolean(false)) {
        continue; // a row: its fields are the table's columns, and an unknown column is a 422 (RowWritesTest)
      }
      List<String> fields = OpenApiDocument.properties(object);
      // exactly the documented fields, of the documented types
      @SuppressWarnings("unchecked")
      Map<String, Object> exact = (Map<String, Object>) doc.sample(object, "body");
      if (array) {
        exact.put("op", "delete");
        exact.remove("row");
        exact.put("key", Map.of("id", 99));
      }
      Response accepted = call(op, fixture, array ? List.of(exact) : exact);
      if (accepted.statusCode() == 400 && accepted.asString().contains("unknown field")) {
        failures.add(op.name() + " refused its documented fields " + fields + ": " + accepted.asString());
      }
      if (!op.documents(accepted.statusCode())) {
        failures.add(op.name() + " answered " + accepted.statusCode() + " (undocumented) to " + exact + ": "
            + accepted.asString());
      }
      // an undocumented field, and the camelCase spelling of every snake_case one
      List<String> wrong = new ArrayList<>(List.of("zz_undocumented"));
      fields.stream().filter(f -> f.contains("_")).map(ContractTest::camel).forEach(wrong::add);
      for (String field : wrong) {
        Map<String, Object> body = new LinkedHashMap<>(array ? Map.of("op", "delete", "key", 99) : Map.of());
        body.put(field, field.equals("zz_undocumented") ? 1 : exact.get(snake(field)));
        Response refused = call(op, fixture, array ? List.of(body) : body);
        String answer = refused.asString();
        boolean ok = refused.statusCode() == 400 && answer.contains("\"error\":\"BadRequest\"")
            && answer.contains("unknown field") && answer.contains(field)
            && (field.equals("zz_undocumented") || array || answer.contains("\"did_you_mean\":\"" + snake(field) + "\""));
        if (!ok) {
          failures.add(op.name() + " with '" + field + "' answered " + refused.statusCode() + " " + answer);
        }
      }
    }
    assertThat(bodies).as("operations with a JSON body").isGreaterThan(10);
    assertThat(failures).isEmpty();
  }

  private static Response call(OpenApiDocument.Op op, Fixture fixture, Object body) {
    RequestSpecification r = given().accept("application/json");
    Map<String, String> values = fixture.pathValues();
    op.parameters("path").forEach(p -> r.pathParam(p.path("name").asText(), values.get(p.path("name").asText())));
    if (body != null) {
      r.contentType("application/json").body(body);
    }
    return r.request(op.method(), op.path());
  }

  private static String type(JsonNode schema) {
    JsonNode t = schema.path("type");
    return t.isArray() ? t.path(0).asText() : t.asText("");
  }

  static String camel(String snake) {
    StringBuilder out = new StringBuilder();
    boolean up = false;
    for (char c : snake.toCharArray()) {
      if (c == '_') {
        up = true;
      } else {
        out.append(up ? Character.toUpperCase(c) : c);
        up = false;
      }
    }
    return out.toString();
  }

  static String snake(String camel) {
    return camel.replaceAll("([a-z])([A-Z])", "$1_$2").toLowerCase(java.util.Locale.ROOT);
  }
}
