package io.strata.server.application;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.strata.events.EventCodec;
import io.strata.events.TableColumn;
import io.strata.projections.rowdata.RowBatch;
import io.strata.projections.rowdata.TrackedTable;
import io.strata.projections.tables.TableRow;
import io.strata.server.domain.ErrorCode;
import io.strata.server.domain.StrataException;
import java.io.IOException;
import java.io.StringWriter;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The input of {@link RowWrites}: a batch's operations validated and encoded as the SQL takes them (the rows, and
 * each row's marks), a single row's columns and key checked against the branch's, and rows carried between the
 * names a branch shows its columns under and the names they are stored under.
 */
final class RowWriteInput {
  private RowWriteInput() {}

  /** Validates every operation and encodes the batch as the SQL takes it. */
  static RowBatch encode(TableRow table, List<TableColumn> branchColumns, String body, boolean ndjson) {
    return encode(table, branchColumns, Map.of(), body, ndjson);
  }

  /**
   * As above, on a branch that shows the columns {@code renamed} names under other names (stored name to shown
   * name): the operations name them as it shows them, and are written in their stored names.
   */
  static RowBatch encode(TableRow table, List<TableColumn> branchColumns, Map<String, String> renamed, String body,
      boolean ndjson) {
    Set<String> columns = shownColumns(branchColumns, renamed);
    StringWriter rows = new StringWriter(body.length());
    StringBuilder marks = new StringBuilder();
    try (JsonParser parser = EventCodec.mapper().createParser(body);
        JsonGenerator out = EventCodec.mapper().getFactory().createGenerator(rows)) {
      parser.enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION); // a column given twice: ambiguous, refused
      if (!ndjson && parser.nextToken() != JsonToken.START_ARRAY) {
        throw StrataException.badRequest("a batch is a JSON array of operations (or NDJSON, one per line)");
      }
      out.writeStartArray();
      long n = 0;
      while (true) {
        JsonToken token = parser.nextToken();
        if (token == null || token == JsonToken.END_ARRAY) {
          if (!ndjson && token == null) {
            throw StrataException.badRequest("the JSON array of operations is not closed");
          }
          if (!ndjson && parser.nextToken() != null) {
            throw StrataException.badRequest("unexpected content after the array of operations");
          }
          break;
        }
        if (token != JsonToken.START_OBJECT) {
          throw invalidOp(n, "is not an object");
        }
        if (++n > RowWrites.MAX_BATCH_ROWS) {
          throw new StrataException(ErrorCode.PayloadTooLarge, "a batch holds at most " + RowWrites.MAX_BATCH_ROWS
              + " operations", Map.of("limit", RowWrites.MAX_BATCH_ROWS));
        }
        JsonNode op = EventCodec.mapper().readTree(parser);
        JsonNode row = stored(operation(table, columns, op, n - 1), renamed);
        mark(marks, branchColumns, op.get("op").asText().charAt(0), row);
        out.writeTree(row);
      }
      if (n == 0) {
        throw StrataException.invalid("operations", "a batch needs at least one operation");
      }
      out.writeEndArray();
      out.flush();
      return new RowBatch(rows.toString(), marks.toString(), n);
    } catch (IOException e) {
      throw StrataException.badRequest("the batch is not valid JSON" + (ndjson ? " lines" : "") + ": "
          + (e instanceof JsonProcessingException j ? j.getOriginalMessage() : "unreadable"));
    }
  }

  private static final Set<String> OPERATION_FIELDS = Set.of("op", "row", "key");

  /** Validates one operation; answers the row (an upsert's) or the key (a delete's) it writes. */
  private static JsonNode operation(TableRow table, Set<String> columns, JsonNode op, long index) {
    for (Iterator<String> it = op.fieldNames(); it.hasNext(); ) {
      String field = it.next();
      if (!OPERATION_FIELDS.contains(field)) {
        // refused, not ignored: a misspelt "row" or "key" must not turn into a different operation
        String shown = field.length() > 200 ? field.substring(0, 200) : field;
        throw new StrataException(ErrorCode.BadRequest, "operation " + index + ": unknown field '" + shown
            + "'; an operation has only op, row and key", Map.of("field", shown, "index", index));
      }
    }
    JsonNode kind = op.get("op");
    if (kind == null || op.size() != 2) {
      throw invalidOp(index, "an operation is {\"op\": \"upsert\", \"row\": {...}} or {\"op\": \"delete\", \"key\": ...}");
    }
    switch (kind.asText("")) {
      case "upsert" -> {
        JsonNode row = op.get("row");
        if (row == null || !row.isObject()) {
          throw invalidOp(index, "an upsert is {\"op\": \"upsert\", \"row\": {...}}");
        }
        validateRow(table, columns, row, index);
        return row;
      }
      case "delete" -> {
        JsonNode key = op.get("key");
        if (key == null) {
          throw invalidOp(index, "a delete is {\"op\": \"delete\", \"key\": {...}}");
        }
        return deleteKey(table, key, index);
      }
      default -> throw invalidOp(index, "op must be \"upsert\" or \"delete\"");
    }
  }

  /** A delete's key: an object of exactly the key columns, or a bare value for a one-column key. */
  private static JsonNode deleteKey(TableRow table, JsonNode key, long index) {
    List<String> keyColumns = table.primaryKey();
    if (key.isValueNode() && !key.isNull() && keyColumns.size() == 1) {
      return JsonNodeFactory.instance.objectNode().set(keyColumns.get(0), key);
    }
    if (!key.isObject()) {
      throw invalidOp(index, "key must be an object of the key columns " + keyColumns);
    }
    Set<String> names = new HashSet<>();
    key.fieldNames().forEachRemaining(names::add);
    if (!names.equals(Set.copyOf(keyColumns)) || keyColumns.stream().anyMatch(k -> key.get(k).isNull())) {
      throw invalidOp(index, "key must give exactly the key columns " + keyColumns + ", none null");
    }
    return key;
  }

  /** The names a branch shows its {@code columns} under ({@code renamed}: stored name to shown name). */
  static Set<String> shownColumns(List<TableColumn> columns, Map<String, String> renamed) {
    return columns.stream().map(c -> renamed.getOrDefault(c.name(), c.name())).collect(Collectors.toSet());
  }

  /** {@code row} as the branch names its columns ({@code renamed}: stored to shown), in their stored names. */
  static ObjectNode stored(JsonNode row, Map<String, String> renamed) {
    return renameFields(row, renamed.entrySet().stream().collect(Collectors.toMap(Map.Entry::getValue,
        Map.Entry::getKey)));
  }

  /** {@code row} in stored names, as the branch shows them ({@code renamed}: stored to shown). */
  static JsonNode shown(JsonNode row, Map<String, String> renamed) {
    return row == null || !row.isObject() || renamed.isEmpty() ? row : renameFields(row, renamed);
  }

  private static ObjectNode renameFields(JsonNode row, Map<String, String> names) {
    if (names.isEmpty()) {
      return (ObjectNode) row;
    }
    ObjectNode out = JsonNodeFactory.instance.objectNode();
    row.fields().forEachRemaining(f -> out.set(names.getOrDefault(f.getKey(), f.getKey()), f.getValue()));
    return out;
  }

  static void validateRow(TableRow table, Set<String> columns, JsonNode row, long index) {
    validateColumns(table, columns, row, index);
    for (String k : table.primaryKey()) {
      if (!row.hasNonNull(k)) {
        throw invalidOp(index, "the row has no value for key column '" + k + "'");
      }
    }
  }

  static void validateColumns(TableRow table, Set<String> columns, JsonNode row, long index) {
    for (Iterator<String> it = row.fieldNames(); it.hasNext(); ) {
      String name = it.next();
      if (!columns.contains(name)) {
        throw new StrataException(ErrorCode.ValidationError, "table '" + table.name() + "' has no column '"
            + name + "'", Map.of("column", name.length() > 200 ? name.substring(0, 200) : name, "index", index));
      }
    }
  }

  private static StrataException invalidOp(long index, String message) {
    return new StrataException(ErrorCode.ValidationError, "operation " + index + ": " + message, Map.of("index", index));
  }

  /** The row of a PUT or PATCH, with the key from the path (a different key in the body is refused). */
  static ObjectNode withKey(TableRow table, JsonNode body, Map<String, String> key) {
    if (body == null || !body.isObject()) {
      throw StrataException.badRequest("the body must be a JSON object of columns");
    }
    ObjectNode row = ((ObjectNode) body).deepCopy();
    key.forEach((column, value) -> {
      JsonNode given = row.get(column);
      if (given != null && !given.isNull() && !given.asText().equals(value)) {
        throw new StrataException(ErrorCode.ValidationError, "the body's '" + column + "' differs from the key in the path",
            Map.of("column", column));
      }
      if (given == null || given.isNull()) {
        row.put(column, value);
      }
    });
    return row;
  }

  static ObjectNode keyObject(TableRow table, JsonNode row) {
    ObjectNode key = JsonNodeFactory.instance.objectNode();
    table.primaryKey().forEach(k -> key.set(k, row.get(k)));
    return key;
  }

  static RowBatch single(TrackedTable table, String op, JsonNode row) {
    StringBuilder marks = new StringBuilder();
    mark(marks, table.columnsOnRef(), op.charAt(0), row);
    return new RowBatch("[" + row + "]", marks.toString(), 1);
  }

  /** A row's marks: its operation, then which of the branch's columns it gives (a delete: all of them). */
  private static void mark(StringBuilder marks, List<TableColumn> columns, char op, JsonNode row) {
    marks.append(op);
    for (TableColumn c : columns) {
      marks.append(op == 'd' || row.has(c.name()) ? '1' : '0');
    }
  }
}
