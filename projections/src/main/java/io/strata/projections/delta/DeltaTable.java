package io.strata.projections.delta;

import io.delta.kernel.Scan;
import io.delta.kernel.Snapshot;
import io.delta.kernel.TableManager;
import io.delta.kernel.data.ColumnVector;
import io.delta.kernel.data.ColumnarBatch;
import io.delta.kernel.data.FilteredColumnarBatch;
import io.delta.kernel.data.MapValue;
import io.delta.kernel.data.Row;
import io.delta.kernel.defaults.engine.DefaultEngine;
import io.delta.kernel.engine.Engine;
import io.delta.kernel.engine.FileReadResult;
import io.delta.kernel.types.StructField;
import io.delta.kernel.types.StructType;
import io.delta.kernel.utils.CloseableIterator;
import io.delta.kernel.utils.FileStatus;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;

/**
 * A Delta table at a root, read through Delta Kernel: its versions, the files a version holds, and the rows of some
 * of those files by key. Blocking.
 */
public final class DeltaTable {
  private final URI root;
  private final DeltaLogStore log;
  private final Engine engine;
  /** What every snapshot loaded is checked by (null: none): that the table is the one Strata tracked. */
  private final Identity identity;

  /** A check of each snapshot of a table as it is loaded: failing when the table is not the one expected. */
  interface Identity {
    void check(DeltaTable table, Snapshot snapshot);
  }

  public DeltaTable(URI root, DeltaLogStore log, Engine engine) {
    this(root, log, engine, null);
  }

  private DeltaTable(URI root, DeltaLogStore log, Engine engine, Identity identity) {
    this.root = root.toString().endsWith("/") ? root : URI.create(root + "/");
    this.log = log;
    this.engine = engine;
    this.identity = identity;
  }

  /** The same table, each snapshot it loads checked by {@code identity}. */
  DeltaTable checkedBy(Identity identity) {
    return new DeltaTable(root, log, engine, identity);
  }

  /** The table whose root is the local directory {@code root}, read by Kernel's default engine. */
  public static DeltaTable local(Path root, Engine engine) {
    return new DeltaTable(root.toAbsolutePath().toUri(), new LocalLogStore(root), engine);
  }

  /** The table whose root is {@code root} on S3, read by an engine on {@link S3FileIO}. */
  public static DeltaTable s3(software.amazon.awssdk.services.s3.S3AsyncClient s3, S3Location root, Engine engine) {
    return new DeltaTable(URI.create(root.uri()), new S3LogStore(s3, root), engine);
  }

  /** Kernel's default engine on S3 through {@code s3}. */
  public static Engine s3Engine(software.amazon.awssdk.services.s3.S3AsyncClient s3) {
    return DefaultEngine.create(new S3FileIO(s3));
  }

  /** Kernel's default engine (its Hadoop file system for local paths). */
  public static Engine defaultEngine() {
    return DefaultEngine.create(new Configuration());
  }

  public URI root() {
    return root;
  }

  public DeltaLogStore log() {
    return log;
  }

  Engine engine() {
    return engine;
  }

  public Snapshot latest() {
    return checked(TableManager.loadSnapshot(root.toString()).build(engine));
  }

  /** The table at {@code version}; one its log no longer has fails with {@link DeltaStateGone}. */
  public Snapshot at(long version) {
    Snapshot snapshot;
    try {
      snapshot = TableManager.loadSnapshot(root.toString()).atVersion(version).build(engine);
    } catch (RuntimeException e) {
      if (DeltaStateGone.isMissingVersion(e)) {
        throw new DeltaStateGone(root.toString(), version, e);
      }
      throw e;
    }
    return checked(snapshot);
  }

  private Snapshot checked(Snapshot snapshot) {
    if (identity != null) {
      identity.check(this, snapshot);
    }
    return snapshot;
  }

  /**
   * The data files {@code snapshot} holds, with their statistics and deletion vectors (another engine's: their rows
   * are read with the vector applied, {@link #rows}).
   */
  public List<DeltaFile> files(Snapshot snapshot) {
    return files(snapshot, true);
  }

  /** {@link #files}; without their statistics unless {@code withStats} (a checkpoint's largest column, not read). */
  public List<DeltaFile> files(Snapshot snapshot, boolean withStats) {
    List<DeltaFile> files = new ArrayList<>();
    scanFiles(snapshot, withStats, (fileRow, add) -> {
      StructType schema = add.getSchema();
      int stats = schema.indexOf("stats");
      files.add(new DeltaFile(add.getString(schema.indexOf("path")), add.getLong(schema.indexOf("size")),
          add.getLong(schema.indexOf("modificationTime")),
          partitionValues(add.getMap(schema.indexOf("partitionValues"))),
          stats >= 0 && !add.isNullAt(stats) ? add.getString(stats) : null, DeletionVector.of(add)));
    });
    return files;
  }

  /**
   * The rows of {@code snapshot} that lie in the files named (by absolute URI), by the values of {@code key}
   * (in its order): column name → value, in the schema's order. Deletion vectors applied.
   */
  public Map<List<Object>, Map<String, Object>> rows(Snapshot snapshot, Set<String> absolutePaths,
      List<String> key) {
    return merged(rowsByFile(snapshot, absolutePaths, key));
  }

  /**
   * The rows of {@code files} (named by absolute URIs, {@link DeltaFile#absoluteIn}) read as {@code snapshot}'s,
   * by key, without listing the snapshot's files: its schema, partition columns and column mapping apply.
   */
  public Map<List<Object>, Map<String, Object>> rowsOf(Snapshot snapshot, java.util.Collection<DeltaFile> files,
      List<String> key) {
    return merged(rowsByFileOf(snapshot, files, key));
  }

  private static Map<List<Object>, Map<String, Object>> merged(
      Map<String, Map<List<Object>, Map<String, Object>>> byFile) {
    Map<List<Object>, Map<String, Object>> rows = new HashMap<>();
    byFile.forEach((file, fileRows) -> fileRows.forEach((k, row) -> {
      if (rows.put(k, row) != null) {
        throw new IllegalStateException("two rows of the table have key " + k);
      }
    }));
    return rows;
  }

  /**
   * {@link #rows} file by file (absolute URI → its rows by key): a merge rewrites files, so it needs to know which
   * holds what.
   */
  public Map<String, Map<List<Object>, Map<String, Object>>> rowsByFile(Snapshot snapshot, Set<String> absolutePaths,
      List<String> key) {
    List<DeltaFile> named = new ArrayList<>();
    for (DeltaFile file : files(snapshot)) {
      if (absolutePaths.contains(file.absolute(root))) {
        named.add(file.absoluteIn(root));
      }
    }
    return rowsByFileOf(snapshot, named, key);
  }

  /** {@link #rowsOf} file by file. */
  public Map<String, Map<List<Object>, Map<String, Object>>> rowsByFileOf(Snapshot snapshot,
      java.util.Collection<DeltaFile> files, List<String> key) {
    StructType logical = snapshot.getSchema();
    for (String column : key) {
      if (logical.indexOf(column) < 0) {
        throw new IllegalArgumentException("the table has no column " + column);
      }
    }
    Scan scan = snapshot.getScanBuilder().build();
    Row scanState = scan.getScanState(engine);
    StructType physical = io.delta.kernel.internal.data.ScanStateRow.getPhysicalDataReadSchema(scanState);
    Map<String, Map<List<Object>, Map<String, Object>>> byFile = new HashMap<>();
    for (DeltaFile file : files) {
      String path = file.absolute(root);
      Map<List<Object>, Map<String, Object>> rows = byFile.computeIfAbsent(path, p -> new HashMap<>());
      try (CloseableIterator<ColumnarBatch> data = engine.getParquetHandler()
          .readParquetFiles(single(FileStatus.of(file.location(root), file.size(), 0)), physical, Optional.empty())
          .map(FileReadResult::getData);
           CloseableIterator<FilteredColumnarBatch> batches =
               Scan.transformPhysicalData(engine, scanState, scanFileRow(file), data)) {
        while (batches.hasNext()) {
          collect(batches.next(), logical, key, rows);
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return byFile;
  }

  /**
   * The scan-file row Kernel reads a file's data by (its partition values, deletion vector): built from the file,
   * as a listing of the snapshot would give it, so that no listing is needed. Kernel's public API has no way to name
   * that row's schema or the physical schema a file is read in: those two come from Kernel's connector helpers
   * ({@code InternalScanFileUtils.SCAN_FILE_SCHEMA}, {@code ScanStateRow.getPhysicalDataReadSchema}), as its user
   * guide's reader does; the row itself is Strata's ({@link KernelRows}). A Kernel upgrade that moves them fails the
   * build; one that changes what they mean fails every test reading a branch's diff or merge.
   */
  private Row scanFileRow(DeltaFile file) {
    StructType scanFile = io.delta.kernel.internal.InternalScanFileUtils.SCAN_FILE_SCHEMA;
    StructType addSchema = (StructType) scanFile.get("add").getDataType();
    Map<String, Object> add = new HashMap<>();
    add.put("path", file.absolute(root));
    add.put("partitionValues", KernelRows.stringMap(file.partitionValues()));
    add.put("size", file.size());
    add.put("modificationTime", file.modificationTime());
    add.put("dataChange", true);
    DeletionVector dv = file.deletionVector();
    if (dv != null) {
      Map<String, Object> vector = new HashMap<>();
      vector.put("storageType", dv.storageType());
      vector.put("pathOrInlineDv", dv.pathOrInlineDv());
      vector.put("offset", dv.offset());
      vector.put("sizeInBytes", dv.sizeInBytes());
      vector.put("cardinality", dv.cardinality());
      add.put("deletionVector", KernelRows.of((StructType) addSchema.get("deletionVector").getDataType(), vector));
    }
    return KernelRows.of(scanFile, Map.of("add", KernelRows.of(addSchema, add), "tableRoot", root.toString()));
  }

  /** Every row of {@code snapshot} by key. */
  public Map<List<Object>, Map<String, Object>> rows(Snapshot snapshot, List<String> key) {
    // one listing, without statistics: each file is read from its entry
    return rowsOf(snapshot, files(snapshot, false).stream().map(f -> f.absoluteIn(root)).toList(), key);
  }

  /** Where a file the log names is read ({@link DeltaFile#location}). */
  String location(String path) {
    return new DeltaFile(path, 0, 0, Map.of(), null).location(root);
  }

  /** A path as the log names it, made absolute against this table's root. */
  String absolute(String path) {
    return new DeltaFile(path, 0, 0, Map.of(), null).absolute(root);
  }

  private static void collect(FilteredColumnarBatch filtered, StructType logical, List<String> key,
      Map<List<Object>, Map<String, Object>> into) {
    ColumnarBatch batch = filtered.getData();
    Optional<ColumnVector> selection = filtered.getSelectionVector();
    List<StructField> fields = logical.fields();
    for (int i = 0; i < batch.getSize(); i++) {
      if (selection.isPresent() && (selection.get().isNullAt(i) || !selection.get().getBoolean(i))) {
        continue;
      }
      Map<String, Object> row = new LinkedHashMap<>();
      for (int c = 0; c < fields.size(); c++) {
        row.put(fields.get(c).getName(), RowValues.read(batch.getColumnVector(c), i));
      }
      List<Object> k = new ArrayList<>(key.size());
      key.forEach(column -> k.add(row.get(column)));
      // a key may hold a null (refused by tracking, which reads it so): not List.copyOf
      if (into.put(java.util.Collections.unmodifiableList(k), row) != null) {
        throw new IllegalStateException("two rows of the table have key " + k);
      }
    }
  }

  private interface ScanFileConsumer {
    void accept(Row fileRow, Row add);
  }

  private void scanFiles(Snapshot snapshot, boolean withStats, ScanFileConsumer consumer) {
    try (CloseableIterator<FilteredColumnarBatch> scanFiles =
             snapshot.getScanBuilder().build().getScanFiles(engine, withStats)) {
      while (scanFiles.hasNext()) {
        try (CloseableIterator<Row> rows = scanFiles.next().getRows()) {
          while (rows.hasNext()) {
            Row fileRow = rows.next();
            consumer.accept(fileRow, fileRow.getStruct(fileRow.getSchema().indexOf("add")));
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static Map<String, String> partitionValues(MapValue map) {
    Map<String, String> values = new LinkedHashMap<>();
    for (int i = 0; i < map.getSize(); i++) {
      values.put(map.getKeys().getString(i), map.getValues().isNullAt(i) ? null : map.getValues().getString(i));
    }
    return values;
  }

  static <T> CloseableIterator<T> single(T item) {
    return iterator(List.of(item));
  }

  static <T> CloseableIterator<T> iterator(List<T> items) {
    var it = items.iterator();
    return new CloseableIterator<>() {
      @Override
      public boolean hasNext() {
        return it.hasNext();
      }

      @Override
      public T next() {
        return it.next();
      }

      @Override
      public void close() {
      }
    };
  }

}
