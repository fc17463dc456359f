package io.strata.projections.delta;

import io.delta.kernel.DataWriteContext;
import io.delta.kernel.Operation;
import io.delta.kernel.TableManager;
import io.delta.kernel.Transaction;
import io.delta.kernel.data.FilteredColumnarBatch;
import io.delta.kernel.data.Row;
import io.delta.kernel.engine.Engine;
import io.delta.kernel.types.StructType;
import io.delta.kernel.utils.CloseableIterable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Tables written by Delta Kernel's own write path (create, then appends it commits), as another engine would. */
final class KernelTables {
  /** The tests' table: (id, name, amount), keyed by id. */
  static final StructType SCHEMA = new StructType()
      .add("id", io.delta.kernel.types.LongType.LONG).add("name", io.delta.kernel.types.StringType.STRING)
      .add("amount", io.delta.kernel.types.LongType.LONG);
  static final List<String> KEY = List.of("id");

  private KernelTables() {
  }

  /** Creates a table of {@code schema} at {@code root}, with no data (version 0). */
  static void create(Engine engine, Path root, StructType schema) throws Exception {
    create(engine, root.toUri().toString(), schema);
  }

  /** Creates a table of {@code schema} at URI {@code root}, with no data (version 0). */
  static void create(Engine engine, String root, StructType schema) throws Exception {
    Transaction txn = TableManager.buildCreateTableTransaction(root, schema, "test-writer").build(engine);
    txn.commit(engine, CloseableIterable.emptyIterable());
  }

  /** Appends one data file per element of {@code files}, in one commit by Kernel; answers the new version. */
  static long append(Engine engine, Path root, List<List<Map<String, Object>>> files) throws Exception {
    return append(engine, root.toUri().toString(), files);
  }

  /** {@link #append} to the table at URI {@code root}. */
  static long append(Engine engine, String root, List<List<Map<String, Object>>> files) throws Exception {
    Transaction txn = TableManager.loadSnapshot(root).build(engine)
        .buildUpdateTableTransaction("test-writer", Operation.WRITE).build(engine);
    Row state = txn.getTransactionState(engine);
    StructType schema = txn.getSchema(engine);
    List<Row> actions = new ArrayList<>();
    for (List<Map<String, Object>> rows : files) {
      var physical = Transaction.transformLogicalData(engine, state,
          DeltaTable.single(new FilteredColumnarBatch(DataFiles.batch(schema, rows), Optional.empty())), Map.of());
      DataWriteContext context = Transaction.getWriteContext(engine, state, Map.of());
      var written = engine.getParquetHandler().writeParquetFiles(context.getTargetDirectory(), physical,
          context.getStatisticsColumns());
      Transaction.generateAppendActions(engine, state, written, context).forEachRemaining(actions::add);
    }
    return txn.commit(engine, CloseableIterable.inMemoryIterable(DeltaTable.iterator(actions))).getVersion();
  }

  /** Rows {@code from}..{@code to} (inclusive) of (id, name, amount), amount = id * 10. */
  static List<Map<String, Object>> rows(long from, long to) {
    List<Map<String, Object>> rows = new ArrayList<>();
    for (long id = from; id <= to; id++) {
      rows.add(row(id, "name-" + id, id * 10));
    }
    return rows;
  }

  static Map<String, Object> row(long id, String name, long amount) {
    Map<String, Object> row = new java.util.LinkedHashMap<>();
    row.put("id", id);
    row.put("name", name);
    row.put("amount", amount);
    return row;
  }

}
