package io.strata.server.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.type.LogicalType;
import io.strata.server.domain.ErrorCode;
import io.strata.server.domain.StrataException;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Binds request bodies strictly. Resources take the body as a JSON tree and bind it here, because the
 * framework's reader coerces silently (a number into a string field, a bare string into an object): a
 * body must be a JSON object, and a value of the wrong type is a 400 naming its field.
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
    try {
      return STRICT.treeToValue(body, type);
    } catch (JsonMappingException e) {
      String field = fieldPath(e);
      throw new StrataException(ErrorCode.BadRequest,
          field.isEmpty() ? "the request body has the wrong shape" : "field '" + field + "' has the wrong type",
          field.isEmpty() ? Map.of() : Map.of("field", field));
    } catch (JsonProcessingException e) {
      throw StrataException.badRequest("request body is not valid JSON");
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
        .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
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
