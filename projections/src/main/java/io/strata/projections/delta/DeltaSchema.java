package io.strata.projections.delta;

import io.delta.kernel.Snapshot;
import io.delta.kernel.types.DataType;
import io.delta.kernel.types.StructField;
import io.delta.kernel.types.StructType;
import io.delta.kernel.types.ByteType;
import io.delta.kernel.types.DecimalType;
import io.delta.kernel.types.DoubleType;
import io.delta.kernel.types.FieldMetadata;
import io.delta.kernel.types.FloatType;
import io.delta.kernel.types.IntegerType;
import io.delta.kernel.types.LongType;
import io.delta.kernel.types.ShortType;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Schema changes of a Delta table that every reader follows without rewriting a file (docs/delta.md): a nullable
 * column added at the end, read as null in the files written before it; a column's type widened under the protocol's
 * type widening feature, read in the wider type from the files written before it. Written as a {@code metaData}
 * action (the table's id, partitioning and properties kept; with a {@code protocol} action when the feature is new to
 * the table) in a commit of Strata's, made only if the next version is free.
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
    StructType widened = schema;
    List<StructField> adding = new ArrayList<>();
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
        throw DeltaUnsupported.because("adding a timestamp_ntz column is not supported yet");
      }
      if (!RowValues.supported(type)) {
        throw new IllegalArgumentException("columns of type " + type + " are not versioned by key yet");
      }
      widened = widened.add(name, type, true);
      adding.add(new StructField(name, type, true));
    }
    // with column mapping, each its own id and physical name (a name dropped before never reads its old values)
    MappedColumns.Mapped added = MappedColumns.added(schema, adding, snapshot.getTableProperties());
    var metadata = snapshot.getMetadata();
    DeltaCommit commit = DeltaCommit.of(transaction, "ADD COLUMNS", now)
        .metadata(metadata.getId(), added.schema().toJson(), snapshot.getPartitionColumnNames(),
            added.properties(), metadata.getCreatedTime().orElse(now));
    return table.log().create(version + 1, commit.bytes()) ? version + 1 : -1;
  }

  /**
   * Drops {@code names} (exact names) from {@code table} at {@code version} as its next version under
   * {@code transaction} (answers it, or -1 when another writer made it first): a {@code metaData} action only, no file
   * rewritten. Without column mapping a column's values are stored under its name: the caller moves the table to
   * files that hold none of them (a reset to a state from before the columns were added). A name the table lacks is
   * refused by column.
   */
  public static long dropColumns(DeltaTable table, long version, List<String> names, String transaction, long now)
      throws IOException {
    Snapshot snapshot = table.at(version);
    WriterFeatures.check(snapshot);
    for (String name : names) {
      if (snapshot.getSchema().indexOf(name) < 0) {
        throw new ClientValues.Refused(name, "the table has no such column");
      }
    }
    List<StructField> kept = snapshot.getSchema().fields().stream().filter(f -> !names.contains(f.getName()))
        .toList();
    var metadata = snapshot.getMetadata();
    DeltaCommit commit = DeltaCommit.of(transaction, "DROP COLUMNS", now).metadata(metadata.getId(),
        new StructType(kept).toJson(), snapshot.getPartitionColumnNames(), snapshot.getTableProperties(),
        metadata.getCreatedTime().orElse(now));
    return table.log().create(version + 1, commit.bytes()) ? version + 1 : -1;
  }

  /** The protocol's table feature for widened types (reader and writer): Delta 4.0's, read by Kernel and Spark. */
  static final String TYPE_WIDENING = "typeWidening";

  /**
   * Whether Delta's type widening takes a column of type {@code from} to {@code to} without rewriting a file:
   * byte → short → integer → long, float → double, and a decimal to one with at least as many digits on each side of
   * the point. Those Strata versions; the protocol's others (to a decimal or a double from an integer, a date to a
   * timestamp without time zone) are refused until they are.
   */
  public static boolean widens(DataType from, DataType to) {
    List<DataType> integers = List.of(ByteType.BYTE, ShortType.SHORT, IntegerType.INTEGER, LongType.LONG);
    if (integers.contains(from) && integers.contains(to)) {
      return integers.indexOf(to) > integers.indexOf(from);
    }
    if (from instanceof FloatType && to instanceof DoubleType) {
      return true;
    }
    if (from instanceof DecimalType a && to instanceof DecimalType b) {
      return !a.equals(b) && b.getScale() >= a.getScale()
          && b.getPrecision() - b.getScale() >= a.getPrecision() - a.getScale();
    }
    return false;
  }

  /**
   * Gives {@code commit} what a table of widened columns needs beyond {@code snapshot}'s: the {@code typeWidening}
   * feature (reader version 3, writer version 7, the features its legacy versions meant listed) when its protocol
   * lacks it, and {@link DeltaTableProperties#TYPE_WIDENING} in {@code properties}.
   */
  static void withWidening(DeltaCommit commit, io.delta.kernel.Snapshot snapshot, Map<String, String> properties) {
    properties.put(DeltaTableProperties.TYPE_WIDENING, "true");
    var protocol = snapshot.getProtocol();
    Set<String> readerFeatures = protocol.getMinReaderVersion() >= 3 ? new TreeSet<>(protocol.getReaderFeatures())
        : WriterFeatures.legacyReaderFeatures(protocol.getMinReaderVersion());
    Set<String> writerFeatures = protocol.getMinWriterVersion() >= 7 ? new TreeSet<>(protocol.getWriterFeatures())
        : WriterFeatures.legacyWriterFeatures(protocol.getMinWriterVersion()); // what the version meant
    boolean upgraded = readerFeatures.add(TYPE_WIDENING) | writerFeatures.add(TYPE_WIDENING);
    if (upgraded || protocol.getMinReaderVersion() < 3 || protocol.getMinWriterVersion() < 7) {
      commit.protocol(3, 7, readerFeatures, writerFeatures);
    }
  }

  /**
   * Widens the columns of {@code table} named in {@code types} (by exact name) to those types, at {@code version}, as
   * its next version under {@code transaction} (answers it, or -1 when another writer made it first). Each change is
   * recorded in the column's {@code delta.typeChanges} field metadata, as the protocol asks; the table gains the
   * {@code typeWidening} feature (reader version 3, writer version 7, its legacy features listed) and
   * {@code delta.enableTypeWidening}. A change {@link #widens} does not allow is refused by column.
   */
  public static long widen(DeltaTable table, long version, Map<String, DataType> types, String transaction, long now)
      throws IOException {
    Snapshot snapshot = table.at(version);
    WriterFeatures.check(snapshot);
    String mapping = MappedColumns.mode(snapshot);
    if (!"none".equals(mapping) && !"name".equals(mapping)) {
      throw DeltaUnsupported.because("widening a column of a table with column mapping mode " + mapping
          + " (only name)");
    }
    for (String name : types.keySet()) {
      if (snapshot.getSchema().indexOf(name) < 0) {
        throw new ClientValues.Refused(name, "the table has no such column");
      }
    }
    List<StructField> fields = new ArrayList<>();
    for (StructField field : snapshot.getSchema().fields()) {
      DataType to = types.get(field.getName());
      if (to == null || to.equals(field.getDataType())) {
        fields.add(field);
        continue;
      }
      if (!widens(field.getDataType(), to)) {
        throw new ClientValues.Refused(field.getName(), "Delta's type widening does not take "
            + DeltaTableMaking.name(field.getDataType()) + " to " + DeltaTableMaking.name(to));
      }
      List<FieldMetadata> changes = new ArrayList<>();
      FieldMetadata before = field.getMetadata();
      if (before.contains("delta.typeChanges")) {
        changes.addAll(List.of(before.getMetadataArray("delta.typeChanges")));
      }
      changes.add(FieldMetadata.builder().putString("fromType", DeltaTableMaking.name(field.getDataType()))
          .putString("toType", DeltaTableMaking.name(to)).build());
      FieldMetadata metadata = FieldMetadata.builder().fromMetadata(before)
          .putFieldMetadataArray("delta.typeChanges", changes.toArray(FieldMetadata[]::new)).build();
      fields.add(new StructField(field.getName(), to, field.isNullable(), metadata));
    }
    Map<String, String> properties = new java.util.LinkedHashMap<>(snapshot.getTableProperties());
    var metadata = snapshot.getMetadata();
    DeltaCommit commit = DeltaCommit.of(transaction, "CHANGE COLUMN", now);
    withWidening(commit, snapshot, properties);
    commit = commit.metadata(metadata.getId(), new StructType(fields).toJson(), snapshot.getPartitionColumnNames(),
        properties, metadata.getCreatedTime().orElse(now));
    return table.log().create(version + 1, commit.bytes()) ? version + 1 : -1;
  }
}
