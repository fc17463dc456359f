package io.strata.benchmarks.delta;

import static io.strata.benchmarks.delta.DeltaBranchBench.JSON;
import static io.strata.benchmarks.delta.DeltaBranchBench.ROUNDS;
import static io.strata.benchmarks.delta.DeltaBranchBench.median;
import static io.strata.benchmarks.delta.DeltaBranchBench.shallowClone;
import static io.strata.benchmarks.delta.DeltaBranchBench.syntheticBase;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.delta.kernel.Snapshot;
import io.delta.kernel.TableManager;
import io.delta.kernel.engine.Engine;
import io.strata.projections.delta.DeltaMerge;
import io.strata.projections.delta.DeltaTable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The snapshot loads part of {@link DeltaBranchBench}: a table's state read from its log against a checkpoint. */
final class DeltaLoadBench {
  private DeltaLoadBench() {
  }

  /**
   * A branch of the {@code files}-file base written {@code commits} times (one file added a commit, as a row written
   * through Strata is): its snapshot and files read from the log alone, then from the checkpoint Strata writes every
   * ten versions (here at the last), medians of 5.
   */
  static void longLog(Engine engine, Path work, int files, int commits) throws IOException {
    String base = syntheticBase(work.resolve("synthetic-" + files), files);
    Path branch = work.resolve("long-log-" + files);
    shallowClone(engine, base, branch);
    for (int v = 1; v <= commits; v++) {
      ObjectNode add = JSON.createObjectNode();
      add.putObject("add").put("path", "part-w" + v + ".parquet").put("size", 1 << 10).put("modificationTime", 1L)
          .put("dataChange", true).putObject("partitionValues");
      Files.writeString(branch.resolve(String.format("_delta_log/%020d.json", v)), JSON.writeValueAsString(add)
          + "\n", StandardOpenOption.CREATE_NEW);
    }
    long[][] plain = new long[2][ROUNDS];
    for (int r = 0; r < ROUNDS; r++) {
      long[] t = loadAndList(engine, branch);
      plain[0][r] = t[0];
      plain[1][r] = t[1];
    }
    TableManager.loadSnapshot(branch.toUri().toString()).build(engine).writeCheckpoint(engine);
    long[][] checkpointed = new long[2][ROUNDS];
    for (int r = 0; r < ROUNDS; r++) {
      long[] t = loadAndList(engine, branch);
      checkpointed[0][r] = t[0];
      checkpointed[1][r] = t[1];
    }
    System.out.printf("a branch of %d files after %d commits: snapshot %.0f ms (files %.0f ms) from the log, %.0f ms"
        + " (files %.0f ms) from a checkpoint at its last version%n", files, commits, median(plain[0]) / 1e6,
        median(plain[1]) / 1e6, median(checkpointed[0]) / 1e6, median(checkpointed[1]) / 1e6);
  }

  /**
   * Nanoseconds to load the latest snapshot of the table at {@code root} with its schema and protocol (what every
   * command reads), then to list its files without statistics (what a move or a merge lists).
   */
  static long[] loadAndList(Engine engine, Path root) {
    long t0 = System.nanoTime();
    DeltaTable table = DeltaTable.local(root, engine);
    Snapshot snapshot = table.latest();
    if (snapshot.getSchema().length() + snapshot.getProtocol().getMinReaderVersion() < 0) {
      throw new IllegalStateException();
    }
    long t1 = System.nanoTime();
    if (table.files(snapshot, false).size() < 0) {
      throw new IllegalStateException();
    }
    return new long[] {t1 - t0, System.nanoTime() - t1};
  }
  /**
   * A row written on a branch of {@code files} files through the role a REST write takes (a commit of a key no file's
   * range holds: an insert): the files that may hold the key found in the kept listing's key ranges, against a listing
   * of the branch with statistics, which is how each write found them before (twice: for its rows, then for its
   * commit). Medians of 5, after a first write that lists the branch once.
   */
  static void rowWrites(Engine engine, Path work, int files) throws IOException {
    String base = syntheticBase(work.resolve("synthetic-" + files), files);
    Path root = work.resolve("writes-" + files + "-" + System.nanoTime());
    shallowClone(engine, base, root);
    DeltaTable branch = DeltaTable.local(root, engine);
    long[] listed = new long[ROUNDS];
    long[] written = new long[ROUNDS];
    long first = 0;
    for (int r = -1; r < ROUNDS; r++) {
      Snapshot snapshot = branch.latest();
      long t0 = System.nanoTime();
      if (branch.files(snapshot, true).size() < files) {
        throw new IllegalStateException("the branch lost files");
      }
      long t1 = System.nanoTime();
      long id = files * 10_000L + 10 + r; // beyond every file's range: no data file is read
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("id", id);
      row.put("v", "written-" + r);
      DeltaMerge.apply(new DeltaMerge.Plan(snapshot.getVersion(), Map.of(List.of(id), row), Map.of()), branch,
          List.of("id"), "w" + r, 2L);
      long t2 = System.nanoTime();
      if (r < 0) {
        first = t2 - t1;
      } else {
        listed[r] = t1 - t0;
        written[r] = t2 - t1;
      }
    }
    System.out.printf("a row written on a branch of %d files: committed in %.1f ms (the first %.0f ms, listing it"
        + " once); listing its files with statistics, as each write did twice before: %.0f ms%n", files,
        median(written) / 1e6, first / 1e6, median(listed) / 1e6);
  }
}
