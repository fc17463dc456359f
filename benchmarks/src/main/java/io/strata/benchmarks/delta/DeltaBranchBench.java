package io.strata.benchmarks.delta;

import io.strata.projections.delta.DeltaTable;
import io.strata.projections.delta.ShallowClone;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.delta.kernel.DataWriteContext;
import io.delta.kernel.Operation;
import io.delta.kernel.Scan;
import io.delta.kernel.TableManager;
import io.delta.kernel.Transaction;
import io.delta.kernel.data.ColumnVector;
import io.delta.kernel.data.ColumnarBatch;
import io.delta.kernel.data.FilteredColumnarBatch;
import io.delta.kernel.data.Row;
import io.delta.kernel.defaults.engine.DefaultEngine;
import io.delta.kernel.engine.Engine;
import io.delta.kernel.internal.data.ScanStateRow;
import io.delta.kernel.types.DataType;
import io.delta.kernel.types.LongType;
import io.delta.kernel.types.StringType;
import io.delta.kernel.types.StructType;
import io.delta.kernel.utils.CloseableIterable;
import io.delta.kernel.utils.CloseableIterator;
import io.delta.kernel.utils.FileStatus;
import io.strata.projections.delta.DeltaTable;
import java.io.BufferedWriter;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.hadoop.conf.Configuration;

/**
 * The two ways docs/delta.md compares to branch a Delta table, side by side in one run:
 *
 * <ul>
 *   <li><b>pointer</b> (an overlay design): the branch records the base table's version and nothing else; its
 *       creation writes one small file, but only Strata can read the branch (base minus overlay);
 *   <li><b>shallow clone</b>: the branch is a Delta table of its own whose first commit adds every file of the base
 *       version by absolute path (with its statistics), written as the protocol says; any Delta engine reads and
 *       writes it. Timed with and without the checkpoint that spares readers the commit's JSON.
 * </ul>
 *
 * <p>Then the read throughput of a shallow clone against its base, through Kernel, on a table with real data.
 * Usage: {@code DeltaBranchBench <work dir> <file counts, comma-separated> <data files> <rows per data file>}.
 */
public final class DeltaBranchBench {
  static final ObjectMapper JSON = new ObjectMapper();
  private static final StructType SCHEMA = new StructType().add("id", LongType.LONG).add("v", StringType.STRING);
  static final int ROUNDS = 5;

  private DeltaBranchBench() {
  }

  public static void main(String[] args) throws Exception {
    Path work = Path.of(args[0]);
    Engine engine = DefaultEngine.create(new Configuration());
    System.out.println("files      pointer   clone (commit)   clone + checkpoint   commit JSON   snapshot (+ files)"
        + " from JSON   from checkpoint");
    for (String n : args[1].split(",")) {
      int files = Integer.parseInt(n.strip());
      String base = syntheticBase(work.resolve("synthetic-" + files), files);
      long[] pointer = new long[ROUNDS];
      long[] clone = new long[ROUNDS];
      long[] checkpointed = new long[ROUNDS];
      long[][] loadJson = new long[2][ROUNDS];
      long[][] loadCheckpoint = new long[2][ROUNDS];
      long jsonBytes = 0;
      for (int r = 0; r < ROUNDS; r++) {
        Path branch = work.resolve("synthetic-" + files + "/branch-" + r);
        long t0 = System.nanoTime();
        pointerBranch(engine, base, branch.resolveSibling("pointer-" + r));
        long t1 = System.nanoTime();
        jsonBytes = shallowClone(engine, base, branch);
        long t2 = System.nanoTime();
        TableManager.loadSnapshot(branch.toUri().toString()).build(engine).writeCheckpoint(engine);
        long t3 = System.nanoTime();
        pointer[r] = t1 - t0;
        clone[r] = t2 - t1;
        checkpointed[r] = t3 - t1;
        // what a command on the branch pays on every snapshot: its schema and its files (without statistics, as
        // Strata lists them), read from the first commit's JSON, then from the checkpoint written after it
        Path plain = branch.resolveSibling("plain-" + r);
        shallowClone(engine, base, plain);
        long[] json = DeltaLoadBench.loadAndList(engine, plain);
        long[] checkpoint = DeltaLoadBench.loadAndList(engine, branch);
        for (int i = 0; i < 2; i++) {
          loadJson[i][r] = json[i];
          loadCheckpoint[i][r] = checkpoint[i];
        }
      }
      System.out.printf("%-9d %7.1f ms %12.0f ms %16.0f ms %10d KB %8.0f (%4.0f) ms %10.0f (%4.0f) ms%n", files,
          median(pointer) / 1e6, median(clone) / 1e6, median(checkpointed) / 1e6, jsonBytes / 1024,
          median(loadJson[0]) / 1e6, median(loadJson[1]) / 1e6, median(loadCheckpoint[0]) / 1e6,
          median(loadCheckpoint[1]) / 1e6);
    }

    DeltaLoadBench.longLog(engine, work, Integer.parseInt(args[1].split(",")[0].strip()), 200);
    for (String n : args[1].split(",")) {
      DeltaLoadBench.rowWrites(engine, work, Integer.parseInt(n.strip()));
    }

    int dataFiles = Integer.parseInt(args[2]);
    int rowsPerFile = Integer.parseInt(args[3]);
    Path real = work.resolve("real-" + dataFiles + "x" + rowsPerFile);
    String base = real.resolve("base").toUri().toString();
    if (!Files.exists(real.resolve("base/_delta_log"))) {
      long t0 = System.nanoTime();
      writeTable(engine, base, dataFiles, rowsPerFile);
      System.out.printf("%nwrote %d data files of %d rows through Kernel in %.1f s%n", dataFiles, rowsPerFile,
          (System.nanoTime() - t0) / 1e9);
    }
    Path branch = real.resolve("branch-" + System.nanoTime());
    shallowClone(engine, base, branch);
    long[] baseReads = new long[ROUNDS];
    long[] branchReads = new long[ROUNDS];
    long rows = 0;
    for (int r = 0; r < ROUNDS; r++) {
      long t0 = System.nanoTime();
      long[] b = readAll(engine, base);
      long t1 = System.nanoTime();
      long[] c = readAll(engine, branch.toUri().toString());
      long t2 = System.nanoTime();
      if (b[0] != c[0] || b[1] != c[1]) {
        throw new IllegalStateException("the branch reads other rows than its base: " + Arrays.toString(b) + " vs "
            + Arrays.toString(c));
      }
      rows = b[0];
      baseReads[r] = t1 - t0;
      branchReads[r] = t2 - t1;
    }
    System.out.printf("read %d rows: base %.0f ms, shallow-clone branch %.0f ms (medians of %d, alternating):"
        + " branch/base throughput %.2f%n", rows, median(baseReads) / 1e6, median(branchReads) / 1e6, ROUNDS,
        (double) median(baseReads) / median(branchReads));

    if (args.length > 4) {
      DeltaChangesBench.run(engine, work, args[4].split(","), rowsPerFile,
          args.length > 5 ? Integer.parseInt(args[5]) : 1_000);
    }
  }

  /** A base table whose only commit adds {@code files} data files with statistics (the files need not exist). */
  static String syntheticBase(Path dir, int files) throws IOException {
    Path log = dir.resolve("base/_delta_log");
    if (!Files.exists(log)) {
      Files.createDirectories(log);
      try (BufferedWriter w = Files.newBufferedWriter(log.resolve("00000000000000000000.json"))) {
        w.write("{\"protocol\":{\"minReaderVersion\":1,\"minWriterVersion\":2}}\n");
        ObjectNode meta = JSON.createObjectNode();
        meta.putObject("metaData").put("id", "synthetic-" + files).put("schemaString", SCHEMA.toJson())
            .put("createdTime", 1L).putArray("partitionColumns");
        ((ObjectNode) meta.get("metaData")).putObject("format").put("provider", "parquet").putObject("options");
        ((ObjectNode) meta.get("metaData")).putObject("configuration");
        w.write(JSON.writeValueAsString(meta) + "\n");
        for (long i = 0; i < files; i++) {
          ObjectNode add = JSON.createObjectNode();
          add.putObject("add").put("path", "part-" + i + ".parquet").put("size", 1 << 20)
              .put("modificationTime", 1L).put("dataChange", true)
              .put("stats", "{\"numRecords\":10000,\"minValues\":{\"id\":" + i * 10000 + "},\"maxValues\":{\"id\":"
                  + (i * 10000 + 9999) + "},\"nullCount\":{\"id\":0}}")
              .putObject("partitionValues");
          w.write(JSON.writeValueAsString(add) + "\n");
        }
      }
    }
    return dir.resolve("base").toUri().toString();
  }

  /** The overlay design's branch creation: the base's version, recorded (durably) beside the branch's overlay. */
  private static long pointerBranch(Engine engine, String base, Path branch) throws IOException {
    long version = TableManager.loadSnapshot(base).build(engine).getVersion();
    Files.createDirectories(branch);
    Files.writeString(branch.resolve("base.json"), "{\"base\":\"" + base + "\",\"version\":" + version + "}",
        StandardOpenOption.CREATE_NEW, StandardOpenOption.SYNC);
    return version;
  }

  /**
   * A branch's shallow clone of {@code base} at its latest version, made by Strata's own {@code ShallowClone} (what a
   * branch's creation runs for each Delta table): one commit naming every file of the base by absolute path, with
   * its statistics and partition values. Answers the commit's size.
   */
  static long shallowClone(Engine engine, String base, Path branch) throws IOException {
    DeltaTable source = DeltaTable.local(Path.of(URI.create(base)), engine);
    DeltaTable clone = DeltaTable.local(branch, engine);
    if (!ShallowClone.create(source, source.latest().getVersion(), clone, "strata-benchmark-" + branch.getFileName(),
        System.currentTimeMillis())) {
      throw new IllegalStateException(branch + " has a version 0 already");
    }
    return Files.size(branch.resolve("_delta_log/00000000000000000000.json"));
  }

  /** A table of {@code files} data files written through Kernel (its Parquet writer and append actions). */
  static void writeTable(Engine engine, String path, int files, int rows) throws Exception {
    long id = 0;
    int perCommit = Math.max(1, files / 10);
    for (int c = 0; c < files; c += perCommit) {
      Transaction txn = c == 0
          ? TableManager.buildCreateTableTransaction(path, SCHEMA, "strata-benchmark").build(engine)
          : TableManager.loadSnapshot(path).build(engine)
              .buildUpdateTableTransaction("strata-benchmark", Operation.WRITE).build(engine);
      Row state = txn.getTransactionState(engine);
      List<Row> actions = new ArrayList<>();
      for (int f = c; f < Math.min(files, c + perCommit); f++) {
        FilteredColumnarBatch data = new FilteredColumnarBatch(batch(id, rows), Optional.empty());
        id += rows;
        var physical = Transaction.transformLogicalData(engine, state, iterator(List.of(data)), Map.of());
        DataWriteContext context = Transaction.getWriteContext(engine, state, Map.of());
        var written = engine.getParquetHandler().writeParquetFiles(context.getTargetDirectory(), physical,
            context.getStatisticsColumns());
        Transaction.generateAppendActions(engine, state, written, context).forEachRemaining(actions::add);
      }
      txn.commit(engine, CloseableIterable.inMemoryIterable(iterator(actions)));
    }
  }

  /** Every row of the table's latest snapshot, read through Kernel: answers the row count and the sum of ids. */
  private static long[] readAll(Engine engine, String path) throws IOException {
    Scan scan = TableManager.loadSnapshot(path).build(engine).getScanBuilder().build();
    Row scanState = scan.getScanState(engine);
    StructType physical = ScanStateRow.getPhysicalDataReadSchema(scanState);
    long rows = 0;
    long sum = 0;
    try (CloseableIterator<FilteredColumnarBatch> scanFiles = scan.getScanFiles(engine)) {
      while (scanFiles.hasNext()) {
        try (CloseableIterator<Row> fileRows = scanFiles.next().getRows()) {
          while (fileRows.hasNext()) {
            Row fileRow = fileRows.next();
            Row add = fileRow.getStruct(0);
            String filePath = add.getString(add.getSchema().indexOf("path"));
            String root = fileRow.getString(fileRow.getSchema().indexOf("tableRoot"));
            FileStatus file = FileStatus.of(URI.create(filePath).isAbsolute() ? filePath
                : (root.endsWith("/") ? root : root + "/") + filePath,
                add.getLong(add.getSchema().indexOf("size")), 0);
            var data = engine.getParquetHandler().readParquetFiles(iterator(List.of(file)), physical,
                Optional.empty()).map(r -> r.getData());
            try (CloseableIterator<FilteredColumnarBatch> logical =
                     Scan.transformPhysicalData(engine, scanState, fileRow, data)) {
              while (logical.hasNext()) {
                ColumnarBatch batch = logical.next().getData();
                ColumnVector ids = batch.getColumnVector(0);
                for (int i = 0; i < batch.getSize(); i++) {
                  sum += ids.getLong(i);
                  rows++;
                }
              }
            }
          }
        }
      }
    }
    return new long[] {rows, sum};
  }

  private static ColumnarBatch batch(long from, int n) {
    long[] ids = new long[n];
    String[] values = new String[n];
    for (int i = 0; i < n; i++) {
      ids[i] = from + i;
      values[i] = "value-" + (from + i);
    }
    ColumnVector[] columns = {vector(LongType.LONG, n, i -> ids[i], null), vector(StringType.STRING, n, null,
        i -> values[i])};
    return new ColumnarBatch() {
      @Override
      public StructType getSchema() {
        return SCHEMA;
      }

      @Override
      public ColumnVector getColumnVector(int ordinal) {
        return columns[ordinal];
      }

      @Override
      public int getSize() {
        return n;
      }
    };
  }

  private static ColumnVector vector(DataType type, int size, java.util.function.IntToLongFunction longs,
      java.util.function.IntFunction<String> strings) {
    return new ColumnVector() {
      @Override
      public DataType getDataType() {
        return type;
      }

      @Override
      public int getSize() {
        return size;
      }

      @Override
      public void close() {
      }

      @Override
      public boolean isNullAt(int row) {
        return false;
      }

      @Override
      public long getLong(int row) {
        return longs.applyAsLong(row);
      }

      @Override
      public String getString(int row) {
        return strings.apply(row);
      }
    };
  }

  private static <T> CloseableIterator<T> iterator(List<T> items) {
    Iterator<T> it = items.iterator();
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

  static long median(long[] values) {
    long[] sorted = values.clone();
    Arrays.sort(sorted);
    return sorted[sorted.length / 2];
  }
}
