package io.strata.projections.delta;

import io.delta.kernel.Snapshot;
import io.delta.kernel.types.DataType;
import io.delta.kernel.types.StructField;
import io.delta.kernel.types.StructType;
import java.io.IOException;

/**
 * Schema changes of a Delta table that every reader follows without rewriting a file (docs/delta.md): a nullable
 * column added at the end, read as null in the files written before it. Written as a {@code metaData} action (the
 * table's id, partitioning and properties kept) in a commit of Strata's, made only if the next version is free.
 */
public final class DeltaSchema {

  private DeltaSchema() {
  }

  /**
   * Adds nullable column {@code name} of {@code type} to {@code table} at {@code version}, as its next version under
   * Strata transaction {@code transaction}; answers that version, or -1 when another writer made it first. A name the
   * table has (in any case: Delta's names are case-insensitive) is refused.
   */
  public static long addColumn(DeltaTable table, long version, String name, DataType type, String transaction,
      long now) throws IOException {
    return addColumns(table, version, new StructType().add(name, type, true), transaction, now);
  }

  /**
   * Adds {@code columns} (nullable, in order) to {@code table} at {@code version} in one version, as
   * {@link #addColumn} does one; a name the table has, or one given twice (in any case), is refused by column
   * ({@link ClientValues.Refused}).
   */
  public static long addColumns(DeltaTable table, long version, StructType columns, String transaction, long now)
      throws IOException {
    Snapshot snapshot = table.at(version);
    WriterFeatures.check(snapshot);
    StructType schema = snapshot.getSchema();
    String mapping = snapshot.getTableProperties().getOrDefault("delta.columnMapping.mode", "none");
    if (!"none".equals(mapping)) {
      // a new column there needs its physical name and id assigned as the protocol's column mapping says
      throw new UnsupportedOperationException("adding a column to a table with column mapping (" + mapping
          + ") is not supported yet");
    }
    StructType widened = schema;
    for (StructField column : columns.fields()) {
      String name = column.getName();
      for (StructField field : widened.fields()) {
        if (field.getName().equalsIgnoreCase(name)) {
          throw new ClientValues.Refused(name, "the table has a column " + field.getName()
              + " (Delta's column names are case-insensitive)");
        }
      }
      DataType type = column.getDataType();
      if (type instanceof io.delta.kernel.types.TimestampNTZType) {
        // it needs the timestampNtz table feature in the protocol, which this commit does not write
        throw new UnsupportedOperationException("adding a timestamp_ntz column is not supported yet");
      }
      if (!RowValues.supported(type)) {
        throw new IllegalArgumentException("columns of type " + type + " are not versioned by key yet");
      }
      widened = widened.add(name, type, true);
    }
    var metadata = snapshot.getMetadata();
    DeltaCommit commit = DeltaCommit.of(transaction, "ADD COLUMNS", now)
        .metadata(metadata.getId(), widened.toJson(), snapshot.getPartitionColumnNames(),
            snapshot.getTableProperties(), metadata.getCreatedTime().orElse(now));
    return table.log().create(version + 1, commit.bytes()) ? version + 1 : -1;
  }
}
