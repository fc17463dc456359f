package io.strata.server.application;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.strata.events.EventCodec;
import io.strata.events.TableColumn;
import io.strata.events.TableCounts;
import io.strata.projections.postgres.PgErrors;
import io.strata.projections.rowdata.UnitOfWork;
import io.strata.projections.refs.RefRows.RepositoryRow;
import io.strata.projections.rowdata.BranchRef;
import io.strata.projections.rowdata.RowBatch;
import io.strata.projections.rowdata.TrackedTable;
import io.strata.projections.tables.TableRow;
import io.strata.server.domain.Commands.ChangeKind;
import io.strata.server.domain.Commands;
import io.strata.server.domain.ErrorCode;
import io.strata.server.domain.Existing;
import io.strata.server.domain.StrataException;
import io.strata.server.runtime.TableShapes;
import io.strata.server.runtime.StorageBackends;
import io.strata.server.auth.Permission;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.StringWriter;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.stream.Collectors;

/**
 * Row writes through the REST API: upsert, patch, delete and all-or-nothing batches into a branch's
 * working state, in one transaction of the table's database. A REST write is a staging command (where
 * SQL through a branch's view, or an application's write to the table, edits the working tree): its
 * rows land in the working state and the working log already staged, and a {@code ChangesStaged}
 * event ({@code write: true}) records what it did, so the next commit takes them and subscribers see
 * every REST write. Parsing a batch is CPU work and runs on a worker thread.
 */
@ApplicationScoped
public class RowWrites {
  /** Rows per batch request: enough for bulk loads, bounded so one request cannot exhaust memory. */
  public static final int MAX_BATCH_ROWS = 1_000_000;

  private final StorageBackends backends;
  private final Existing existing;
  private final CommandProcessor processor;

  @Inject
  public RowWrites(StorageBackends backends, Existing existing, CommandProcessor processor) {
    this.backends = backends;
    this.existing = existing;
    this.processor = processor;
  }

  /** A batch's answer: operations applied, and the log position of the event recording them. */
  public record Applied(long applied, long position) {}

  /** A single-row write's answer: the row as stored (none for a delete), and its event's log position. */
  public record Written(JsonNode row, long position) {}

  /** Applies a batch: a JSON array, or NDJSON, of {"op": "upsert"|"delete", "row"|"key"}. */
  @Permits(Permission.WRITE)
  public Uni<Applied> batch(RepositoryRow repository, String branch, TableRow table, String body, boolean ndjson,
      CommandContext ctx) {
    return Uni.createFrom().item(() -> encode(table, table.columnsOn(branch), table.renamedOn(branch), body, ndjson))
        .runSubscriptionOn(Infrastructure.getDefaultWorkerPool())
        .chain(ops -> inTransaction(repository, branch, table, ctx, (tx, on) -> write(tx, on, ops, null))
            .chain(done -> record(repository, branch, table, done, ctx))
            .map(written -> new Applied(ops.count(), written.position())));
  }

  /** Replaces (or inserts) the row with {@code key}; answers the row as stored. */
  @Permits(Permission.WRITE)
  public Uni<Written> put(RepositoryRow repository, String branch, TableRow table, Map<String, String> key,
      JsonNode row, CommandContext ctx) {
    Map<String, String> renamed = table.renamedOn(branch);
    ObjectNode given = withKey(table, row, key);
    validateRow(table, shownColumns(table.columnsOn(branch), renamed), given, 0);
    ObjectNode full = stored(given, renamed);
    return inTransaction(repository, branch, table, ctx,
        (tx, on) -> write(tx, on, single(on.table(), "u", full), keyObject(table, full)))
        .chain(done -> record(repository, branch, table, done, ctx))
        .map(w -> new Written(shown(w.row(), renamed), w.position()));
  }

  /** Changes some fields of an existing row; 404 when the branch has no row with {@code key}. */
  @Permits(Permission.WRITE)
  public Uni<Written> patch(RepositoryRow repository, String branch, TableRow table, Map<String, String> key,
      JsonNode fields, CommandContext ctx) {
    Map<String, String> renamed = table.renamedOn(branch);
    ObjectNode given = withKey(table, fields, key);
    validateColumns(table, shownColumns(table.columnsOn(branch), renamed), given, 0);
    ObjectNode changed = stored(given, renamed);
    ObjectNode keyObject = keyObject(table, changed);
    // the key's write lock first, then the row read afresh: a concurrent writer cannot slip between
    return inTransaction(repository, branch, table, ctx, (tx, on) -> tx.roles().workingState().row(tx, on.table(), on.branch(),
            keyObject.toString(), true)
        .chain(row -> {
          ObjectNode merged = (ObjectNode) parse(row.orElseThrow(() -> notFound(table, key)));
          merged.setAll(changed);
          return write(tx, on, single(on.table(), "u", merged), keyObject);
        }))
        .chain(done -> record(repository, branch, table, done, ctx))
        .map(w -> new Written(shown(w.row(), renamed), w.position()));
  }

  /** Deletes the row with {@code key}; 404 when the branch has none. */
  @Permits(Permission.WRITE)
  public Uni<Written> delete(RepositoryRow repository, String branch, TableRow table, Map<String, String> key,
      CommandContext ctx) {
    ObjectNode keyObject = withKey(table, JsonNodeFactory.instance.objectNode(), key);
    return inTransaction(repository, branch, table, ctx, (tx, on) -> tx.roles().workingState().row(tx, on.table(), on.branch(),
            keyObject.toString(), false)
        .chain(row -> {
          if (row.isEmpty()) {
            throw notFound(table, key);
          }
          return write(tx, on, single(on.table(), "d", keyObject), null);
        }))
        .chain(done -> record(repository, branch, table, done, ctx));
  }

  /**
   * Runs {@code work} in one transaction of the table's database, with the table as the branch sees it,
   * after checking the branch exists and the table kept its shape; the database's refusals of the data
   * become 422s.
   */
  private <T> Uni<T> inTransaction(RepositoryRow repository, String branch, TableRow table, CommandContext ctx,
      BiFunction<UnitOfWork, Target, Uni<T>> work) {
    Target on = new Target(TrackedTable.on(repository.name(), table, branch), BranchRef.of(branch, repository.defaultBranch()));
    return existing.branch(repository.name(), branch)
        .chain(() -> processor.admitted(repository.name(), branch, "write", ctx))
        .chain(() -> backends.inOwnTransaction(repository.name(), table.storage(),
            tx -> TableShapes.requireUnchanged(tx, on.table()).chain(() -> work.apply(tx, on))))
        .onFailure(e -> !(e instanceof StrataException)).transform(RowWrites::translate);
  }

  /** What a write did to the branch's working state, and the row it read back (if asked). */
  private record Done(long inserted, long updated, long deleted, JsonNode row) {}

  /** The table a write goes to, as the branch it writes sees it. */
  private record Target(TrackedTable table, BranchRef branch) {}

  /**
   * Writes the batch in the caller's transaction, staged; then reads back the row with key {@code
   * readBack}, if given.
   */
  private Uni<Done> write(UnitOfWork tx, Target on, RowBatch batch, ObjectNode readBack) {
    return tx.roles().workingState().apply(tx, on.table(), on.branch(), batch)
        .chain(counts -> (readBack == null
            ? Uni.createFrom().<JsonNode>nullItem()
            : tx.roles().workingState().row(tx, on.table(), on.branch(), readBack.toString(), false)
                .map(row -> row.map(RowWrites::parse).orElse(null)))
            .map(row -> new Done(counts.inserted(), counts.updated(), counts.deleted(), row)));
  }

  /**
   * Appends the {@code ChangesStaged} event of a write whose transaction committed. Should the append
   * fail, the rows stay staged working changes, which the next commit records.
   */
  private Uni<Written> record(RepositoryRow repository, String branch, TableRow table, Done done,
      CommandContext ctx) {
    List<TableCounts> tables = done.inserted() + done.updated() + done.deleted() == 0 ? List.of()
        : List.of(new TableCounts(table.name(), done.inserted(), done.updated(), done.deleted()));
    return processor.execute(repository.name(), new Commands.RecordChanges(ChangeKind.STAGED, branch, tables, true),
            ctx, Answer.NONE)
        .map(response -> new Written(done.row(), response.position()));
  }

  // ---- input ----

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
        if (++n > MAX_BATCH_ROWS) {
          throw new StrataException(ErrorCode.PayloadTooLarge, "a batch holds at most " + MAX_BATCH_ROWS + " operations",
              Map.of("limit", MAX_BATCH_ROWS));
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
  private static Set<String> shownColumns(List<TableColumn> columns, Map<String, String> renamed) {
    return columns.stream().map(c -> renamed.getOrDefault(c.name(), c.name())).collect(Collectors.toSet());
  }

  /** {@code row} as the branch names its columns ({@code renamed}: stored to shown), in their stored names. */
  private static ObjectNode stored(JsonNode row, Map<String, String> renamed) {
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

  private static void validateRow(TableRow table, Set<String> columns, JsonNode row, long index) {
    validateColumns(table, columns, row, index);
    for (String k : table.primaryKey()) {
      if (!row.hasNonNull(k)) {
        throw invalidOp(index, "the row has no value for key column '" + k + "'");
      }
    }
  }

  private static void validateColumns(TableRow table, Set<String> columns, JsonNode row, long index) {
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
  private static ObjectNode withKey(TableRow table, JsonNode body, Map<String, String> key) {
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

  private static ObjectNode keyObject(TableRow table, JsonNode row) {
    ObjectNode key = JsonNodeFactory.instance.objectNode();
    table.primaryKey().forEach(k -> key.set(k, row.get(k)));
    return key;
  }

  private static RowBatch single(TrackedTable table, String op, JsonNode row) {
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

  private static JsonNode parse(String json) {
    try {
      return EventCodec.mapper().readTree(json);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static StrataException notFound(TableRow table, Map<String, String> key) {
    return new StrataException(ErrorCode.RowNotFound, "no row with key " + key + " in table '" + table.name()
        + "' on this branch", Map.of("table", table.name()));
  }

  /** Database refusals of the data itself (types, constraints) are the client's to fix: 422. */
  private static Throwable translate(Throwable e) {
    return switch (PgErrors.kind(e)) {
      case CONCURRENCY -> new StrataException(ErrorCode.ConcurrentWrite, "a concurrent write to the same rows won: "
          + PgErrors.message(e) + "; nothing was written, retry", Map.of("sqlstate", PgErrors.sqlState(e)));
      case REJECTED_DATA, DUPLICATE, TYPE_MISMATCH -> new StrataException(ErrorCode.ValidationError,
          "the database refused the rows: " + PgErrors.message(e), Map.of("sqlstate", PgErrors.sqlState(e)));
      default -> e;
    };
  }
}
