package io.strata.server.contract;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.AnnotationKeyword;
import com.networknt.schema.JsonMetaSchema;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import com.networknt.schema.oas.OpenApi30;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Holds one HTTP answer to the OpenAPI document: the operation (method and path template) must
 * document its status; a body must come in a documented media type and, for JSON and NDJSON, match
 * that media type's schema (each NDJSON line the item schema); the X-Strata-* answer headers must be
 * documented for that status and be integers where the document says so. Answers to paths the document
 * does not have (a 404 of an unknown path, /q/*, the document itself) are not the contract's business.
 */
final class AnswerValidator {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String DOCUMENT = "https://strata.invalid/openapi.json";
  private static final List<String> CHECKED_HEADERS = List.of("X-Strata-Position", "Idempotent-Replayed",
      "X-Strata-Projection-Lagging");

  private final JsonNode document;
  private final JsonSchemaFactory schemas;
  private final List<Template> templates;
  private final Map<String, JsonSchema> compiled = new ConcurrentHashMap<>();

  private record Template(String path, Pattern pattern, int literals) {}

  AnswerValidator(String documentText) throws IOException {
    this.document = JSON.readTree(documentText);
    nullableReferences(document);
    String forValidation = JSON.writeValueAsString(document);
    // the document's own keywords (paths, responses, description, ...) are not JSON Schema: no warnings for them
    JsonMetaSchema openApi30 = JsonMetaSchema.builder(OpenApi30.getInstance())
        .unknownKeywordFactory((keyword, context) -> new AnnotationKeyword(keyword)).build();
    this.schemas = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V4, b -> b
        .metaSchema(openApi30).defaultMetaSchemaIri(openApi30.getIri())
        .schemaLoaders(l -> l.schemas(Map.of(DOCUMENT, forValidation))));
    List<Template> list = new ArrayList<>();
    document.path("paths").fieldNames().forEachRemaining(p -> list.add(template(p)));
    // the most literal template wins (…/merge/abort over …/merge/{x}, were there one)
    list.sort(Comparator.comparingInt(Template::literals).reversed());
    this.templates = List.copyOf(list);
  }

  /**
   * OpenAPI 3.0 writes a nullable reference as {@code {allOf: [{$ref}], nullable: true}}, which
   * generators read as "this type or null" but a JSON Schema validator applies to null as it stands
   * (the referenced schema refuses it): for validation it becomes {@code anyOf: [that, {type: null}]}.
   */
  private static void nullableReferences(JsonNode node) {
    if (node.isArray()) {
      node.forEach(AnswerValidator::nullableReferences);
      return;
    }
    if (!node.isObject()) {
      return;
    }
    node.forEach(AnswerValidator::nullableReferences);
    com.fasterxml.jackson.databind.node.ObjectNode object = (com.fasterxml.jackson.databind.node.ObjectNode) node;
    if (object.path("nullable").asBoolean(false) && object.has("allOf")) {
      com.fasterxml.jackson.databind.node.ObjectNode value = object.deepCopy();
      value.remove("nullable");
      value.remove("description");
      object.removeAll();
      object.putArray("anyOf").add(value).addObject().put("type", "null");
    }
  }

  private static Template template(String path) {
    StringBuilder regex = new StringBuilder();
    int literals = 0;
    for (String segment : path.substring(1).split("/", -1)) {
      regex.append('/');
      if (segment.startsWith("{") && segment.endsWith("}")) {
        regex.append("[^/]+");
      } else {
        literals++;
        // rows:batch is also served with its colon percent-encoded
        regex.append(Pattern.quote(segment).replace(":", "\\E(?::|%3[Aa])\\Q"));
      }
    }
    return new Template(path, Pattern.compile(path.equals("/") ? "/" : regex.toString()), literals);
  }

  /** The documented path an answer's request path is an instance of, if any. */
  Optional<String> templateOf(String rawPath) {
    return templates.stream().filter(t -> t.pattern().matcher(rawPath).matches()).map(Template::path).findFirst();
  }

  /**
   * The mismatches of one answer (empty: it is as documented).
   *
   * @param headers the answer's headers, names in any case
   */
  List<String> check(String method, String rawPath, int status, String contentType, Map<String, String> headers,
      String body) {
    Optional<String> path = templateOf(rawPath);
    if (path.isEmpty()) {
      return List.of();
    }
    String name = method.toUpperCase(Locale.ROOT) + " " + path.get();
    JsonNode operation = document.path("paths").path(path.get()).path(method.toLowerCase(Locale.ROOT));
    if (operation.isMissingNode()) {
      // a method the path does not have: the server says so with 405 and is right
      return status == 405 ? List.of() : List.of(name + " is not documented, and answered " + status);
    }
    JsonNode response = operation.path("responses").path(String.valueOf(status));
    String pointer = "/paths/" + escape(path.get()) + "/" + method.toLowerCase(Locale.ROOT) + "/responses/" + status;
    if (response.isMissingNode()) {
      return List.of(name + " answered " + status + ", which it does not document: " + abbreviate(body));
    }
    List<String> problems = new ArrayList<>();
    headers(name, status, response, headers, problems);
    boolean hasBody = body != null && !body.isEmpty();
    if (!hasBody) {
      return problems;
    }
    String media = contentType == null ? "" : contentType.split(";")[0].trim().toLowerCase(Locale.ROOT);
    JsonNode mediaType = response.path("content").path(media);
    if (mediaType.isMissingNode()) {
      problems.add(name + " " + status + " answered a body as '" + media + "', which it does not document (it has "
          + fieldNames(response.path("content")) + "): " + abbreviate(body));
      return problems;
    }
    if (!mediaType.has("schema")) {
      return problems;
    }
    String schemaPointer = pointer + "/content/" + escape(media) + "/schema";
    if (media.equals("application/json")) {
      validate(name + " " + status, schemaPointer, body, problems);
    } else if (media.equals("application/x-ndjson")) {
      int line = 0;
      for (String text : body.split("\n")) {
        line++;
        if (!text.isBlank()) {
          validate(name + " " + status + " line " + line, schemaPointer, text, problems);
        }
        if (problems.size() > 5) {
          break;
        }
      }
    }
    return problems;
  }

  private void headers(String name, int status, JsonNode response, Map<String, String> headers,
      List<String> problems) {
    for (String header : CHECKED_HEADERS) {
      String value = headers.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(header))
          .map(Map.Entry::getValue).findFirst().orElse(null);
      if (value == null) {
        continue;
      }
      JsonNode declared = response.path("headers").path(header);
      if (declared.isMissingNode()) {
        problems.add(name + " " + status + " answered header " + header + ", which it does not document");
      } else if ("integer".equals(declared.path("schema").path("type").asText()) && !value.matches("\\d+")) {
        problems.add(name + " " + status + " answered header " + header + ": '" + value + "', not an integer");
      }
    }
  }

  private void validate(String where, String pointer, String text, List<String> problems) {
    JsonNode value;
    try {
      value = JSON.readTree(text);
    } catch (IOException e) {
      problems.add(where + ": not JSON: " + abbreviate(text));
      return;
    }
    JsonSchema schema = compiled.computeIfAbsent(pointer,
        p -> schemas.getSchema(SchemaLocation.of(DOCUMENT + "#" + p)));
    Set<ValidationMessage> errors = schema.validate(value);
    if (!errors.isEmpty()) {
      problems.add(where + " does not match its schema: " + errors.stream().map(ValidationMessage::getMessage)
          .sorted().limit(8).collect(Collectors.joining("; ")) + " in " + abbreviate(text));
    }
  }

  private static String escape(String pointerToken) {
    return pointerToken.replace("~", "~0").replace("/", "~1");
  }

  private static String fieldNames(JsonNode node) {
    List<String> names = new ArrayList<>();
    node.fieldNames().forEachRemaining(names::add);
    return names.toString();
  }

  private static String abbreviate(String s) {
    if (s == null) {
      return "";
    }
    return s.length() > 400 ? s.substring(0, 400) + "…" : s;
  }
}
