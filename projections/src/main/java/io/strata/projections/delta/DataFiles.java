package io.strata.projections.delta;

import io.delta.kernel.DataWriteContext;
import io.delta.kernel.Operation;
import io.delta.kernel.Snapshot;
import io.delta.kernel.Transaction;
import io.delta.kernel.data.ColumnVector;
import io.delta.kernel.data.ColumnarBatch;
import io.delta.kernel.data.FilteredColumnarBatch;
import io.delta.kernel.data.Row;
import io.delta.kernel.expressions.Literal;
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
 * by, the physical layout the table's settings ask for: one file per partition, in the partition's directory), without
 * committing them: the caller's {@link DeltaCommit} adds them.
 */
public final class DataFiles {

  private DataFiles() {
  }

  /**
   * {@code rows} (column name → value) as one new data file of {@code table} at {@code snapshot}; rows of a
   * partitioned table all of one partition.
   */
  public static DeltaFile write(DeltaTable table, Snapshot snapshot, List<Map<String, Object>> rows) {
    List<DeltaFile> files = writeAll(table, snapshot, rows);
    if (files.size() != 1) {
      throw new IllegalArgumentException("the rows lie in " + files.size() + " partitions: one file each");
    }
    return files.get(0);
  }

  /**
   * {@code rows} as new data files of {@code table} at {@code snapshot}: one, or for a partitioned table one per
   * partition the rows lie in (by their values of the partition columns, written in the file's {@code add} and its
   * directory, not in the file), in the order the rows first name them.
   */
  public static List<DeltaFile> writeAll(DeltaTable table, Snapshot snapshot, List<Map<String, Object>> rows) {
    List<String> partitionColumns = snapshot.getPartitionColumnNames();
    if (rows.isEmpty() && !partitionColumns.isEmpty()) {
      return List.of(); // no partition to write an empty file into
    }
    Map<List<Object>, List<Map<String, Object>>> partitions = new java.util.LinkedHashMap<>();
    for (Map<String, Object> row : rows) {
      List<Object> values = new ArrayList<>(partitionColumns.size());
      for (String c : partitionColumns) {
        if ("".equals(row.get(c)) || row.get(c) instanceof byte[] b && b.length == 0) {
          // the protocol's partition values read an empty one as null (Spark does): it would not read back
          throw new ClientValues.Refused(c, "is a partition column, where Delta reads an empty value as null: give"
              + " null or a value that is not empty");
        }
      }
      // a partition column may be null (the protocol's null partition): not List.of
      partitionColumns.forEach(c -> values.add(row.get(c) instanceof byte[] b ? java.util.HexFormat.of().formatHex(b)
          : row.get(c)));
      partitions.computeIfAbsent(values, v -> new ArrayList<>()).add(row);
    }
    if (partitions.isEmpty()) {
      partitions.put(List.of(), rows); // an empty file of an unpartitioned table, as before
    }
    // Kernel's transaction gives the write's state (schema, column mapping, statistics columns); it is never
    // committed: Strata's own commit adds the files, beside the removes Kernel cannot write
    Transaction transaction = snapshot.buildUpdateTableTransaction(DeltaCommit.ENGINE, Operation.WRITE)
        .build(table.engine());
    Row state = transaction.getTransactionState(table.engine());
    StructType schema = snapshot.getSchema();
    List<DeltaFile> written = new ArrayList<>();
    for (List<Map<String, Object>> partition : partitions.values()) {
      Map<String, Literal> values = new java.util.LinkedHashMap<>();
      for (String column : partitionColumns) {
        values.put(column, RowValues.literal(schema.get(column).getDataType(), partition.get(0).get(column)));
      }
      written.add(file(table, state, batch(schema, partition), values, snapshot.getTableProperties()));
    }
    return written;
  }

  /** One file of {@code batch}'s rows, all of the partition {@code values} (none: unpartitioned). */
  private static DeltaFile file(DeltaTable table, Row state, ColumnarBatch batch, Map<String, Literal> values,
      Map<String, String> properties) {
    try {
      CloseableIterator<FilteredColumnarBatch> physical = mapped(properties, batch, values.keySet())
          .map(p -> DeltaTable.single(new FilteredColumnarBatch(p, java.util.Optional.empty())))
          .orElseGet(() -> Transaction.transformLogicalData(table.engine(), state,
              DeltaTable.single(new FilteredColumnarBatch(batch, java.util.Optional.empty())), values));
      DataWriteContext context = Transaction.getWriteContext(table.engine(), state, values);
      // Kernel's append action for the file: its path relative to the root, size, time, partition values and
      // statistics as Delta writes them (read back by name, the action's public layout)
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
          add.getLong(fields.indexOf("modificationTime")),
          DeltaTable.partitionValues(add.getMap(fields.indexOf("partitionValues"))),
          stats >= 0 && !add.isNullAt(stats) ? add.getString(stats) : null);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * With column mapping ({@code name} mode), {@code batch}'s rows as the file holds them: each column under its
   * physical name and Parquet field id, the partition columns left out — the transformation Kernel 4.4's
   * {@code transformLogicalData} refuses to make for such a table (PROTOCOL.md, "Column Mapping": writers store
   * a column under its physical name). Empty without column mapping; another mode is refused.
   */
  private static java.util.Optional<ColumnarBatch> mapped(Map<String, String> properties, ColumnarBatch batch,
      java.util.Set<String> partitionColumns) {
    String mode = MappedColumns.mode(properties);
    if ("none".equals(mode)) {
      return java.util.Optional.empty();
    }
    if (!"name".equals(mode)) {
      throw DeltaUnsupported.because("writing a table with column mapping mode " + mode + " (only name)");
    }
    List<StructField> fields = new ArrayList<>();
    List<ColumnVector> columns = new ArrayList<>();
    for (int c = 0; c < batch.getSchema().length(); c++) {
      StructField field = batch.getSchema().at(c);
      if (partitionColumns.contains(field.getName())) {
        continue;
      }
      var metadata = field.getMetadata();
      if (!metadata.contains(MappedColumns.PHYSICAL_NAME) || !metadata.contains(MappedColumns.ID)) {
        throw DeltaUnsupported.because("column " + field.getName() + " has no physical name");
      }
      fields.add(new StructField(metadata.getString(MappedColumns.PHYSICAL_NAME), field.getDataType(),
          field.isNullable(), io.delta.kernel.types.FieldMetadata.builder()
              .putLong("parquet.field.id", metadata.getLong(MappedColumns.ID)).build()));
      columns.add(batch.getColumnVector(c));
    }
    return java.util.Optional.of(batch(new StructType(fields), columns, batch.getSize()));
  }

  /** {@code rows} (column name → value) as a batch of {@code schema}'s columns, as Kernel's writers read it. */
  static ColumnarBatch batch(StructType schema, List<Map<String, Object>> rows) {
    List<StructField> fields = schema.fields();
    List<ColumnVector> columns = new ArrayList<>(fields.size());
    for (StructField field : fields) {
      List<Object> values = new ArrayList<>(rows.size());
      rows.forEach(r -> values.add(r.get(field.getName())));
      columns.add(RowValues.vector(field.getDataType(), values));
    }
    return batch(schema, columns, rows.size());
  }

  private static ColumnarBatch batch(StructType schema, List<ColumnVector> columns, int size) {
    return new ColumnarBatch() {
      @Override
      public StructType getSchema() {
        return schema;
      }

      @Override
      public ColumnVector getColumnVector(int ordinal) {
        return columns.get(ordinal);
      }

      @Override
      public int getSize() {
        return size;
      }

      /** Without a column: Kernel takes a partitioned table's partition columns out of the file it writes. */
      @Override
      public ColumnarBatch withDeletedColumnAt(int ordinal) {
        List<StructField> kept = new ArrayList<>(schema.fields());
        kept.remove(ordinal);
        List<ColumnVector> keptColumns = new ArrayList<>(columns);
        keptColumns.remove(ordinal);
        return batch(new StructType(kept), keptColumns, size);
      }
    };
  }
}
