package io.strata.benchmarks.delta;

import static io.strata.benchmarks.delta.DeltaBranchBench.ROUNDS;
import static io.strata.benchmarks.delta.DeltaBranchBench.median;
import static io.strata.benchmarks.delta.DeltaBranchBench.writeTable;

import io.delta.kernel.engine.Engine;
import io.strata.projections.delta.DeltaFileMove;
import io.strata.projections.delta.DeltaMerge;
import io.strata.projections.delta.DeltaTable;
import io.strata.projections.delta.RowChanges;
import io.strata.projections.delta.ShallowClone;
import io.strata.projections.rowdata.Merges.Strategy;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The changes part of {@link DeltaBranchBench}: diff, merge and fast-forward by table size (docs/delta.md, §4). */
final class DeltaChangesBench {
  private DeltaChangesBench() {
  }

  /**
   * Diff and merge of {@code changed} rows (1 000 unless given) by table size (docs/delta.md, section 4: O(changes)): for each size, a
   * table of {@code rowsPerFile}-row files, a branch changing that many consecutive keys (one copy-on-write commit), then
   * the branch's row changes against the table and the merge of the branch into the table (plan + commit), medians of
   * 5 rounds (the merge on a fresh branch each round); and, before the merge, the files a fast-forward of the table
   * to the branch would give up and take, found from the commits ({@code DeltaFileMove.between}) and by listing both
   * states ({@code DeltaFileMove.listed}), side by side.
   */
  static void run(Engine engine, Path work, String[] sizes, int rowsPerFile, int changed)
      throws Exception {
    System.out.println();
    System.out.printf("table rows   files   diff of %d changes   merge of %d changes   fast-forward files:"
        + " from commits / listing both%n", changed, changed);
    List<String> key = List.of("id");
    for (int s = 0; s < sizes.length; s++) {
      long total = Long.parseLong(sizes[s].strip());
      int files = (int) Math.max(1, total / rowsPerFile);
      // a size may come again (1M, 100M, 1M: the first measured once the JIT is warm too): a table each time
      Path root = work.resolve("merge-" + s + "-" + total);
      writeTable(engine, root.toUri().toString(), files, rowsPerFile);
      DeltaTable table = DeltaTable.local(root, engine);
      long[] diffs = new long[ROUNDS];
      long[] merges = new long[ROUNDS];
      long[] traced = new long[ROUNDS];
      long[] listed = new long[ROUNDS];
      for (int r = 0; r < ROUNDS; r++) {
        long head = table.latest().getVersion();
        DeltaTable branch =
            DeltaTable.local(root.resolve("_strata/branches/b" + r), engine);
        ShallowClone.create(table, head, branch, "bench-" + r, 1L);
        Map<List<Object>, Map<String, Object>> writes = new HashMap<>();
        long from = (total / 2 / rowsPerFile) * rowsPerFile + r * (long) changed;
        for (long id = from; id < from + changed; id++) {
          Map<String, Object> row = new LinkedHashMap<>();
          row.put("id", id);
          row.put("v", "changed-" + r + "-" + id);
          writes.put(List.of(id), row);
        }
        DeltaMerge.apply(
            new DeltaMerge.Plan(0, writes, Map.of()), branch, key, "w", 2L);
        // the files a fast-forward of the table to the branch gives up and takes, both ways, before the merge
        var now = table.latest();
        var wanted = branch.at(1);
        long f0 = System.nanoTime();
        DeltaFileMove.Files fromCommits = DeltaFileMove.between(table, now, branch, wanted,
            RowChanges.known(table, branch));
        long f1 = System.nanoTime();
        DeltaFileMove.Files fromListing = DeltaFileMove.listed(table, now, branch, wanted);
        long f2 = System.nanoTime();
        if (!fromCommits.traced() || fromCommits.removes().size() != fromListing.removes().size()
            || fromCommits.adds().size() != fromListing.adds().size()) {
          throw new IllegalStateException("the fast-forward's files differ: " + fromCommits + " vs " + fromListing);
        }
        traced[r] = f1 - f0;
        listed[r] = f2 - f1;
        long t0 = System.nanoTime();
        int changes = RowChanges.between(table, head, branch, 1, key).size();
        long t1 = System.nanoTime();
        var plan = DeltaMerge.plan(table, head, table, head, branch, 1, key,
            Strategy.THREE_WAY);
        DeltaMerge.apply(plan, table, key, "m-" + r, 3L);
        long t2 = System.nanoTime();
        if (changes != changed) {
          throw new IllegalStateException("the diff found " + changes + " changes, not " + changed);
        }
        diffs[r] = t1 - t0;
        merges[r] = t2 - t1;
      }
      System.out.printf("%-12d %5d %19.0f ms %22.0f ms %21.1f ms / %.1f ms%n", total, files, median(diffs) / 1e6,
          median(merges) / 1e6, median(traced) / 1e6, median(listed) / 1e6);
    }
  }
}
