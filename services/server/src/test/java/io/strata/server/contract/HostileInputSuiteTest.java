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
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Every operation of /openapi.json, fed hostile values one input at a time (each path and query
 * parameter, each body field, unknown fields): NUL, out-of-range numbers, control and bidi
 * characters, 10 000 characters, wrong JSON types. Zero 5xx, every refusal the error JSON with a
 * status the document lists, no write accepted, and the state unchanged: the projection digest and the tracked table's rows on main and
 * on a branch.
 */
@QuarkusTest
@WithTestResource(value = TestDatabaseResource.class, scope = TestResourceScope.GLOBAL)
class HostileInputSuiteTest {
  private static final String LONG = "x".repeat(10_000);
  /** As text: path segments, query values, string fields. */
  private static final List<String> TEXT = List.of(
      "a\u0000b", "99999999999999999999", "1e999", "\u0007\u001b[2J", "\r\nX-Injected: 1",
      "\u202Eevil\u200B", LONG, "../../etc/passwd", "'; delete from strata_meta.events; --", "%00", "");
  /** As JSON values of a body field: the text ones plus the wrong types. */
  private static final List<Object> VALUES = values();

  @Inject Pool pool;

  /**
   * The text ones, but for those a name field takes ("1e999", "%00", twenty 9s are fine branch names: a
   * path or query tries them, where they name nothing), plus the wrong types (the 9s as a number).
   */
  private static List<Object> values() {
    List<Object> v = new ArrayList<>(TEXT);
    v.removeAll(List.of("1e999", "%00", "99999999999999999999"));
    v.add(new BigInteger("99999999999999999999"));
    v.add(new BigInteger("-99999999999999999999"));
    v.add(1.5e308);
    v.add(true);
    v.add(List.of(1, "a"));
    v.add(Map.of("a", Map.of("b", 1)));
    return v;
  }

  @Test
  void noHostileInputGetsA5xxOrChangesAnything() {
    OpenApiDocument doc = OpenApiDocument.fetch();
    Fixture f = new Fixture(pool, "hostile");
    Map<String, String> digest = digest();
    String contents = f.contents();
    List<String> failures = new ArrayList<>();
    int requests = 0;
    long started = System.nanoTime();
    for (OpenApiDocument.Op op : doc.operations()) {
      for (JsonNode p : op.parameters("path")) {
        for (String bad : TEXT) {
          if (bad.isEmpty()) {
            continue; // an empty segment addresses another endpoint (…/repositories//tags is no tag list: 405)
          }
          Map<String, String> values = new LinkedHashMap<>(f.pathValues());
          values.put(p.path("name").asText(), bad);
          requests++;
          check(op, "path " + p.path("name").asText(), bad, send(op, values, Map.of(), bodyless(doc, op)), failures);
        }
      }
      for (JsonNode p : op.parameters("query")) {
        for (String bad : TEXT) {
          if (bad.isEmpty() && "boolean".equals(type(p.path("schema")))) {
            continue; // a bare flag (?force=) is true, not hostile
          }
          requests++;
          check(op, "query " + p.path("name").asText(), bad,
              send(op, f.pathValues(), Map.of(p.path("name").asText(), bad), bodyless(doc, op)), failures);
        }
      }
      JsonNode schema = doc.jsonBody(op);
      if (schema == null) {
        continue;
      }
      boolean required = op.node().path("requestBody").path("required").asBoolean(false);
      for (Map.Entry<String, Object> body : hostileBodies(doc, schema, required).entrySet()) {
        requests++;
        check(op, "body " + body.getKey(), "", send(op, f.pathValues(), Map.of(), body.getValue()), failures);
      }
    }
    assertThat(requests).isGreaterThan(1000);
    System.out.printf("hostile input suite: %d requests in %d ms%n", requests, (System.nanoTime() - started) / 1_000_000);
    assertThat(failures).isEmpty();
    assertThat(digest()).as("no event recorded, no projection changed").isEqualTo(digest);
    assertThat(f.contents()).as("no row changed").isEqualTo(contents);
  }

  /** The body an operation is sent when one of its parameters is the hostile input: empty, of its shape. */
  private static Object bodyless(OpenApiDocument doc, OpenApiDocument.Op op) {
    JsonNode schema = doc.jsonBody(op);
    if (schema == null) {
      return null;
    }
    return "array".equals(type(schema)) ? List.of() : Map.of();
  }

  /** One body per hostile value of each field, plus unknown fields with hostile names. */
  private static Map<String, Object> hostileBodies(OpenApiDocument doc, JsonNode schema, boolean required) {
    Map<String, Object> bodies = new LinkedHashMap<>();
    boolean array = "array".equals(type(schema));
    JsonNode object = array ? doc.resolve(schema.path("items")) : schema;
    List<String> fields = new ArrayList<>(OpenApiDocument.properties(object));
    if (object.path("additionalProperties").asBoolean(false)) {
      fields.addAll(List.of("qty", "id")); // a row of the fixture's table: its int columns (text takes any text)
    }
    for (String field : fields) {
      for (int i = 0; i < VALUES.size(); i++) {
        if (VALUES.get(i) instanceof Boolean && "boolean".equals(type(doc.resolve(object.path("properties").path(field))))) {
          continue; // a boolean for a boolean field is no hostile value
        }
        Map<String, Object> body = new LinkedHashMap<>();
        if (array) {
          body.put("op", field.equals("op") ? VALUES.get(i) : field.equals("row") ? "upsert" : "delete");
          if (!field.equals("op")) {
            body.put(field, VALUES.get(i));
          }
          if (field.equals("row") && VALUES.get(i) instanceof Map) {
            continue; // {"row": {"a": {...}}} is an upsert of a row without its key: covered by "unknown" below
          }
        } else {
          body.put(field, VALUES.get(i));
        }
        bodies.put(field + "=" + printable(VALUES.get(i)), array ? List.of(body) : body);
      }
    }
    for (String unknown : TEXT) {
      if (!unknown.isEmpty()) {
        Map<String, Object> body = new LinkedHashMap<>(array ? Map.of("op", "delete", "key", 1) : Map.of());
        body.put(unknown, 1);
        bodies.put("unknown field " + printable(unknown), array ? List.of(body) : body);
      }
    }
    // "null" is no body: refused where one is required, the default where it is optional
    for (String raw : List.of("{\"a\":", "[", "\"\\u0000\"", "null", "99999999999999999999")) {
      if (raw.equals("null") && !required) {
        continue;
      }
      bodies.put("raw " + raw, new Raw(raw));
    }
    return bodies;
  }

  private record Raw(String text) {}

  private static Response send(OpenApiDocument.Op op, Map<String, String> pathValues, Map<String, String> query,
      Object body) {
    RequestSpecification r = given().accept("application/json").redirects().follow(false);
    for (JsonNode p : op.parameters("path")) {
      r.pathParam(p.path("name").asText(), pathValues.get(p.path("name").asText()));
    }
    query.forEach(r::queryParam);
    if (body instanceof Raw raw) {
      r.contentType("application/json").body(raw.text());
    } else if (body != null) {
      r.contentType("application/json").body(body);
    }
    return r.request(op.method(), op.path());
  }

  private static void check(OpenApiDocument.Op op, String input, String value, Response response, List<String> failures) {
    int status = response.statusCode();
    String body = response.asString();
    String what = op.name() + " " + input + (value.isEmpty() ? "" : "=" + printable(value)) + " -> " + status + " "
        + (body.length() > 200 ? body.substring(0, 200) : body);
    if (status < 300 && !op.method().equals("get")) {
      failures.add("accepted: " + what);
    } else if (status >= 500) {
      failures.add(what);
    } else if (status >= 400 && !(body.startsWith("{\"error\":") && body.contains("\"message\""))) {
      failures.add("not the error JSON: " + what);
    } else if (status >= 400 && (body.contains("Exception") || body.contains("\tat "))) {
      failures.add("internals shown: " + what);
    } else if (!op.documents(status)) {
      failures.add("status not in /openapi.json: " + what);
    }
  }

  private static String type(JsonNode schema) {
    JsonNode t = schema.path("type");
    return t.isArray() ? t.path(0).asText() : t.asText("");
  }

  private static String printable(Object value) {
    String s = String.valueOf(value);
    StringBuilder out = new StringBuilder();
    s.codePoints().limit(40).forEach(c -> out.append(c < 0x20 || c > 0x7e ? String.format("\\u%04x", c) : String.valueOf((char) c)));
    return out + (s.length() > 40 ? "…(" + s.length() + ")" : "");
  }

  @SuppressWarnings("unchecked")
  private static Map<String, String> digest() {
    return given().get("/api/v1/admin/projections/digest").then().statusCode(200).extract().as(Map.class);
  }
}
