package io.strata.events;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Encodes event records to their JSON {@code data} (snake_case fields, ISO-8601 times) and decodes
 * stored data back, applying upcasters first. Unknown fields are ignored on read so that adding a
 * field to a schema stays backward compatible.
 */
public final class EventCodec {
  private static final ObjectMapper MAPPER =
      JsonMapper.builder()
          .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
          .addModule(new JavaTimeModule())
          .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .disable(DeserializationFeature.ADJUST_DATES_TO_CONTEXT_TIME_ZONE)
          // row images hold numerics of any precision and scale: as BigDecimal, exactly as written
          .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
          .nodeFactory(JsonNodeFactory.withExactBigDecimals(true))
          .build();

  private final Map<String, Upcaster> upcasters;

  /** The upcasters of every type whose schema has changed since it was published. */
  public static final List<Upcaster> UPCASTERS = List.of(
      // commit.created.v1 had no merge (its commits merge nothing), v2 no applied (they revert or pick nothing)
      new FieldAddedAsNull(EventType.COMMIT_CREATED, 1, "merge"),
      new FieldAddedAsNull(EventType.COMMIT_CREATED, 2, "applied"),
      new FieldAddedAsNull(EventType.COMMIT_CREATED, 3, "schema_tables"),
      new BranchHeadMovedV1(), new MergeStartedV1(),
      // merge.started.v2 did not say which tables' shapes its commit records: every table's
      new FieldAddedAsNull(EventType.MERGE_STARTED, 2, "schema_tables"),
      // table.tracked.v1 recorded the columns and key, not the table's full shape
      new FieldAddedAsNull(EventType.TABLE_TRACKED, 1, "shape"),
      new TableSchemaChangedV1(), new TableSchemaChangedV2(), new TableBranchSchemaChangedV2(1),
      new TableBranchSchemaChangedV2(2), new TableBranchSchemaChangedV2(3), new TableBranchSchemaChangedV2(4),
      new TableBranchSchemaChangedV2(5),
      // table.placed.v1 did not rename the key's constraint at the place: the shape recorded before stands
      new FieldAddedAsNull(EventType.TABLE_PLACED, 1, "shape"),
      // stash.created.v1 held rows alone: it stashed no table's shape
      new FieldAddedAsNull(EventType.STASH_CREATED, 1, "schema_tables"));

  public EventCodec() {
    this(UPCASTERS);
  }

  public EventCodec(List<Upcaster> upcasters) {
    this.upcasters =
        upcasters.stream().collect(Collectors.toMap(Upcaster::fromType, Function.identity()));
  }

  public static ObjectMapper mapper() {
    return MAPPER;
  }

  public JsonNode encode(StrataEvent event) {
    return MAPPER.valueToTree(event);
  }

  public String encodeToString(StrataEvent event) {
    try {
      return MAPPER.writeValueAsString(event);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("event cannot be encoded: " + event, e);
    }
  }

  /**
   * Stored data of {@code type} in its type's current version: what subscribers are served, so a
   * reader of the feed, Kafka or a webhook sees one shape per event whatever version it was stored in.
   */
  public Current current(String type, JsonNode data) {
    if (!upcasters.containsKey(type)) {
      return new Current(type, data);
    }
    StrataEvent event = decode(type, data);
    return new Current(EventType.of(event).type(), encode(event));
  }

  /** An event's type and data in the current version. */
  public record Current(String type, JsonNode data) {}

  /** Decodes stored data of {@code type}, upcasting old versions to the current record. */
  public StrataEvent decode(String type, JsonNode data) {
    String current = type;
    JsonNode node = data;
    Upcaster upcaster;
    while ((upcaster = upcasters.get(current)) != null) {
      node = upcaster.upcast(node);
      current = upcaster.toType();
    }
    final String resolved = current;
    EventType eventType =
        EventType.ofType(resolved)
            .orElseThrow(() -> new IllegalArgumentException("unknown event type " + resolved));
    try {
      return MAPPER.treeToValue(node, eventType.javaType());
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("stored event of type " + type + " is unreadable", e);
    }
  }
}
