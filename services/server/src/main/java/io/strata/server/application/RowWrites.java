package io.strata.server.application;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.strata.events.EventCodec;
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
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;

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
    return Uni.createFrom()
        .item(() -> RowWriteInput.encode(table, table.columnsOn(branch), table.renamedOn(branch), body, ndjson))
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
    ObjectNode given = RowWriteInput.withKey(table, row, key);
    RowWriteInput.validateRow(table, RowWriteInput.shownColumns(table.columnsOn(branch), renamed), given, 0);
    ObjectNode full = RowWriteInput.stored(given, renamed);
    return inTransaction(repository, branch, table, ctx,
        (tx, on) -> write(tx, on, RowWriteInput.single(on.table(), "u", full),
            RowWriteInput.keyObject(table, full)))
        .chain(done -> record(repository, branch, table, done, ctx))
        .map(w -> new Written(RowWriteInput.shown(w.row(), renamed), w.position()));
  }

  /** Changes some fields of an existing row; 404 when the branch has no row with {@code key}. */
  @Permits(Permission.WRITE)
  public Uni<Written> patch(RepositoryRow repository, String branch, TableRow table, Map<String, String> key,
      JsonNode fields, CommandContext ctx) {
    Map<String, String> renamed = table.renamedOn(branch);
    ObjectNode given = RowWriteInput.withKey(table, fields, key);
    RowWriteInput.validateColumns(table, RowWriteInput.shownColumns(table.columnsOn(branch), renamed), given, 0);
    ObjectNode changed = RowWriteInput.stored(given, renamed);
    ObjectNode keyObject = RowWriteInput.keyObject(table, changed);
    // the key's write lock first, then the row read afresh: a concurrent writer cannot slip between
    return inTransaction(repository, branch, table, ctx, (tx, on) -> tx.roles().workingState().row(tx, on.table(), on.branch(),
            keyObject.toString(), true)
        .chain(row -> {
          ObjectNode merged = (ObjectNode) parse(row.orElseThrow(() -> notFound(table, key)));
          merged.setAll(changed);
          return write(tx, on, RowWriteInput.single(on.table(), "u", merged), keyObject);
        }))
        .chain(done -> record(repository, branch, table, done, ctx))
        .map(w -> new Written(RowWriteInput.shown(w.row(), renamed), w.position()));
  }

  /** Deletes the row with {@code key}; 404 when the branch has none. */
  @Permits(Permission.WRITE)
  public Uni<Written> delete(RepositoryRow repository, String branch, TableRow table, Map<String, String> key,
      CommandContext ctx) {
    ObjectNode keyObject = RowWriteInput.withKey(table, JsonNodeFactory.instance.objectNode(), key);
    return inTransaction(repository, branch, table, ctx, (tx, on) -> tx.roles().workingState().row(tx, on.table(), on.branch(),
            keyObject.toString(), false)
        .chain(row -> {
          if (row.isEmpty()) {
            throw notFound(table, key);
          }
          return write(tx, on, RowWriteInput.single(on.table(), "d", keyObject), null);
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
