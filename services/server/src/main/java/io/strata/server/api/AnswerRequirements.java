package io.strata.server.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.eclipse.microprofile.openapi.models.OpenAPI;
import org.eclipse.microprofile.openapi.models.media.Schema;

/**
 * Which fields an answer always has, read from the Java records the server writes: Jackson writes
 * every record component, null or not, unless it is {@code @JsonInclude(NON_NULL)}, so every other
 * component of an answer's record is {@code required} in its schema. (Whether a required field may be
 * null is the component's own {@code @Schema(nullable = true)}.) Request schemas are left alone: what
 * a request may leave out is the handler's rule, and the server says so with a 422 naming the field.
 */
final class AnswerRequirements {
  private static final PropertyNamingStrategies.NamingBase SNAKE =
      (PropertyNamingStrategies.NamingBase) PropertyNamingStrategies.SNAKE_CASE;

  private AnswerRequirements() {}

  /**
   * Marks the always-written fields of every answer schema that one of {@code holders}' records (or a
   * record they refer to) produced; an answer schema whose record is not found stops the build.
   */
  static void apply(OpenAPI api, Set<String> answerSchemas, Set<String> handBuilt, List<Class<?>> holders) {
    Map<String, Class<?>> records = records(holders);
    Map<String, Schema> components = api.getComponents().getSchemas();
    for (String name : answerSchemas) {
      Schema schema = components.get(name);
      if (schema == null || handBuilt.contains(name) || schema.getProperties() == null
          || schema.getProperties().isEmpty()) {
        continue;
      }
      Class<?> type = records.get(name);
      if (type == null) {
        type = records.entrySet().stream()
            .filter(e -> e.getValue().getTypeParameters().length > 0 && name.startsWith(e.getKey()))
            .map(Map.Entry::getValue).findFirst().orElse(null);
      }
      if (type == null) {
        throw new IllegalStateException("answer schema " + name + " has no Java record in "
            + AnswerRequirements.class.getSimpleName() + "'s holders: add the class that declares it");
      }
      for (RecordComponent c : type.getRecordComponents()) {
        String property = property(c);
        if (schema.getProperties().containsKey(property) && !omittedWhenNull(type, c)
            && (schema.getRequired() == null || !schema.getRequired().contains(property))) {
          schema.addRequired(property);
        }
      }
    }
  }

  /** The schema names of the records declared in {@code holders}, and of every record they use. */
  private static Map<String, Class<?>> records(List<Class<?>> holders) {
    Map<String, Class<?>> found = new LinkedHashMap<>();
    Deque<Class<?>> todo = new ArrayDeque<>();
    for (Class<?> holder : holders) {
      if (holder.isRecord()) {
        todo.add(holder);
      }
      todo.addAll(List.of(holder.getDeclaredClasses()));
    }
    Set<Class<?>> seen = new HashSet<>();
    while (!todo.isEmpty()) {
      Class<?> c = todo.pop();
      if (!c.isRecord() || !seen.add(c)) {
        continue;
      }
      found.putIfAbsent(schemaName(c), c);
      for (RecordComponent component : c.getRecordComponents()) {
        addTypes(component.getGenericType(), todo);
      }
    }
    return found;
  }

  private static void addTypes(Type type, Deque<Class<?>> todo) {
    if (type instanceof Class<?> c) {
      todo.add(c);
    } else if (type instanceof ParameterizedType p) {
      for (Type argument : p.getActualTypeArguments()) {
        addTypes(argument, todo);
      }
    }
  }

  private static String schemaName(Class<?> c) {
    var named = c.getAnnotation(org.eclipse.microprofile.openapi.annotations.media.Schema.class);
    return named != null && !named.name().isEmpty() ? named.name() : c.getSimpleName();
  }

  private static String property(RecordComponent c) {
    JsonProperty named = c.getAccessor().getAnnotation(JsonProperty.class);
    if (named == null) {
      named = fieldAnnotation(c, JsonProperty.class);
    }
    return named != null && !named.value().isEmpty() ? named.value() : SNAKE.translate(c.getName());
  }

  private static boolean omittedWhenNull(Class<?> type, RecordComponent c) {
    JsonInclude include = c.getAccessor().getAnnotation(JsonInclude.class);
    if (include == null) {
      include = fieldAnnotation(c, JsonInclude.class);
    }
    if (include == null) {
      include = type.getAnnotation(JsonInclude.class);
    }
    return include != null && include.value() != JsonInclude.Include.ALWAYS;
  }

  private static <A extends java.lang.annotation.Annotation> A fieldAnnotation(RecordComponent c, Class<A> type) {
    try {
      return c.getDeclaringRecord().getDeclaredField(c.getName()).getAnnotation(type);
    } catch (NoSuchFieldException e) {
      return null;
    }
  }
}
