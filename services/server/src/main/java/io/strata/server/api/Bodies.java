package io.strata.server.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.type.LogicalType;
import io.strata.server.domain.ErrorCode;
import io.strata.server.domain.StrataException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Binds request bodies strictly. Resources take the body as a JSON tree and bind it here, because the
 * framework's reader coerces silently (a number into a string field, a bare string into an object): a
 * body must be a JSON object, a value of the wrong type is a 400 naming its field, and so is a field
 * the request does not have (a client that misspells {@code expected_head} must not lose its check
 * silently), with the known field it most likely meant.
 */
public final class Bodies {
  private static final ObjectMapper STRICT = strictMapper();

  private Bodies() {}

  public static <T> T read(JsonNode body, Class<T> type) {
    if (body == null || body.isNull() || body.isMissingNode()) {
      throw StrataException.badRequest("a JSON request body is required");
    }
    if (!body.isObject()) {
      throw StrataException.badRequest("the request body must be a JSON object");
    }
    refuseNul(body, "");
    try {
      return STRICT.treeToValue(body, type);
    } catch (UnrecognizedPropertyException e) {
      throw unknownField(e);
    } catch (JsonMappingException e) {
      String field = fieldPath(e);
      throw new StrataException(ErrorCode.BadRequest,
          field.isEmpty() ? "the request body has the wrong shape" : "field '" + field + "' has the wrong type",
          field.isEmpty() ? Map.of() : Map.of("field", field));
    } catch (JsonProcessingException e) {
      throw StrataException.badRequest("request body is not valid JSON");
    }
  }

  /** A 400 naming the unknown field, with "did you mean" when a known one is close. */
  static StrataException unknownField(UnrecognizedPropertyException e) {
    String path = fieldPath(e);
    String field = e.getPropertyName();
    String hint = FieldHints.closest(field, e.getKnownPropertyIds().stream().map(String::valueOf).toList());
    String named = path.isEmpty() ? field : path;
    Map<String, Object> details = new LinkedHashMap<>();
    // a hostile client's 10 000-character field name is not echoed whole
    details.put("field", named.length() > 200 ? named.substring(0, 200) + "…" : named);
    if (hint != null) {
      details.put("did_you_mean", hint);
    }
    return new StrataException(ErrorCode.BadRequest, "unknown field '" + details.get("field") + "'"
        + (hint == null ? "" : "; did you mean '" + hint + "'?"), details);
  }

  /**
   * PostgreSQL stores no NUL in text: refused here with the field's name (a 422, as other values a field
   * does not take) rather than met in the database, where it breaks the statement or, in a query's
   * text, the connection's protocol (which read as "database unavailable", a 503).
   */
  static void refuseNul(JsonNode node, String path) {
    if (node.isTextual() && node.textValue().indexOf('\u0000') >= 0) {
      throw StrataException.invalid(path, "holds a NUL character (\\u0000), which no value may contain");
    }
    if (node.isObject()) {
      node.fields().forEachRemaining(f -> {
        String child = path.isEmpty() ? f.getKey() : path + "." + f.getKey();
        if (f.getKey().indexOf('\u0000') >= 0) {
          throw StrataException.invalid(path.isEmpty() ? "body" : path, "has a field name with a NUL character");
        }
        refuseNul(f.getValue(), child);
      });
    } else if (node.isArray()) {
      for (int i = 0; i < node.size(); i++) {
        refuseNul(node.get(i), path + "[" + i + "]");
      }
    }
  }

  /** The dotted path of the field a binding error is about ("" for the body itself). */
  static String fieldPath(JsonMappingException e) {
    return e.getPath().stream()
        .map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
        .collect(Collectors.joining("."));
  }

  private static ObjectMapper strictMapper() {
    ObjectMapper mapper = JsonMapper.builder()
        .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
        .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
        .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
        .build();
    mapper.coercionConfigFor(LogicalType.Textual)
        .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
        .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
        .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail)
        .setCoercion(CoercionInputShape.Object, CoercionAction.Fail)
        .setCoercion(CoercionInputShape.Array, CoercionAction.Fail);
    mapper.coercionConfigFor(LogicalType.Boolean)
        .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
        .setCoercion(CoercionInputShape.String, CoercionAction.Fail)
        .setCoercion(CoercionInputShape.EmptyString, CoercionAction.Fail);
    mapper.coercionConfigFor(LogicalType.Integer)
        .setCoercion(CoercionInputShape.String, CoercionAction.Fail)
        .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
        .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail);
    mapper.coercionConfigFor(LogicalType.Collection)
        .setCoercion(CoercionInputShape.String, CoercionAction.Fail)
        .setCoercion(CoercionInputShape.EmptyString, CoercionAction.Fail);
    mapper.coercionConfigFor(LogicalType.POJO)
        .setCoercion(CoercionInputShape.String, CoercionAction.Fail)
        .setCoercion(CoercionInputShape.EmptyString, CoercionAction.Fail)
        .setCoercion(CoercionInputShape.Array, CoercionAction.Fail);
    return mapper;
  }
}
