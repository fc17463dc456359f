package io.strata.projections.delta;

import io.delta.kernel.DataWriteContext;
import io.delta.kernel.Operation;
import io.delta.kernel.Snapshot;
import io.delta.kernel.Transaction;
import io.delta.kernel.data.ColumnVector;
import io.delta.kernel.data.ColumnarBatch;
import io.delta.kernel.data.FilteredColumnarBatch;
import io.delta.kernel.data.Row;
import io.delta.kernel.types.StructField;
import io.delta.kernel.types.StructType;
import io.delta.kernel.utils.CloseableIterator;
import io.delta.kernel.utils.DataFileStatus;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Writes rows as data files of a table through Kernel (its Parquet writer, the statistics Delta readers skip files
 * by, the physical layout the table's settings ask for), without committing them: the caller's {@link DeltaCommit}
 * adds them. Unpartitioned tables only, for now.
 */
public final class DataFiles {

  private DataFiles() {
  }

  /** {@code rows} (column name → value) as one new data file of {@code table} at {@code snapshot}. */
  public static DeltaFile write(DeltaTable table, Snapshot snapshot, List<Map<String, Object>> rows) {
    if (!snapshot.getPartitionColumnNames().isEmpty()) {
      throw new UnsupportedOperationException("writing rows into a partitioned Delta table is not supported yet");
    }
    // Kernel's transaction gives the write's state (schema, column mapping, statistics columns); it is never
    // committed: Strata's own commit adds the file, beside the removes Kernel cannot write
    Transaction transaction = snapshot.buildUpdateTableTransaction(DeltaCommit.ENGINE, Operation.WRITE)
        .build(table.engine());
    Row state = transaction.getTransactionState(table.engine());
    StructType schema = snapshot.getSchema();
    ColumnarBatch batch = batch(schema, rows);
    try {
      CloseableIterator<FilteredColumnarBatch> physical = Transaction.transformLogicalData(table.engine(), state,
          DeltaTable.single(new FilteredColumnarBatch(batch, java.util.Optional.empty())), Map.of());
      DataWriteContext context = Transaction.getWriteContext(table.engine(), state, Map.of());
      // Kernel's append action for the file: its path relative to the root, size, time and statistics as Delta
      // writes them (read back by name, the action's public layout)
      List<Row> adds = new ArrayList<>();
      try (CloseableIterator<DataFileStatus> files = table.engine().getParquetHandler()
          .writeParquetFiles(context.getTargetDirectory(), physical, context.getStatisticsColumns());
           CloseableIterator<Row> actions = Transaction.generateAppendActions(table.engine(), state, files,
               context)) {
        actions.forEachRemaining(adds::add);
      }
      if (adds.size() != 1) {
        throw new IllegalStateException("Kernel wrote " + adds.size() + " files for one batch");
      }
      Row add = adds.get(0).getStruct(adds.get(0).getSchema().indexOf("add"));
      StructType fields = add.getSchema();
      int stats = fields.indexOf("stats");
      return new DeltaFile(add.getString(fields.indexOf("path")), add.getLong(fields.indexOf("size")),
          add.getLong(fields.indexOf("modificationTime")), Map.of(),
          stats >= 0 && !add.isNullAt(stats) ? add.getString(stats) : null);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** {@code rows} (column name → value) as a batch of {@code schema}'s columns, as Kernel's writers read it. */
  static ColumnarBatch batch(StructType schema, List<Map<String, Object>> rows) {
    List<StructField> fields = schema.fields();
    ColumnVector[] columns = new ColumnVector[fields.size()];
    for (int c = 0; c < fields.size(); c++) {
      List<Object> values = new ArrayList<>(rows.size());
      String name = fields.get(c).getName();
      rows.forEach(r -> values.add(r.get(name)));
      columns[c] = RowValues.vector(fields.get(c).getDataType(), values);
    }
    return new ColumnarBatch() {
      @Override
      public StructType getSchema() {
        return schema;
      }

      @Override
      public ColumnVector getColumnVector(int ordinal) {
        return columns[ordinal];
      }

      @Override
      public int getSize() {
        return rows.size();
      }
    };
  }
}
