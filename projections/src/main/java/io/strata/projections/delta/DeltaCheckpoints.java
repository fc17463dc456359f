package io.strata.projections.delta;

import io.delta.kernel.Snapshot;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.jboss.logging.Logger;

/**
 * Checkpoints of the Delta tables Strata writes (docs/delta.md, §1 and §4), written after the unit that wrote their
 * versions commits, on the unit's worker pool, never in a command's time. Without them every reader of a table
 * (Strata's next command, Spark) replays the log from the last checkpoint, so the cost of a snapshot grows with the
 * versions Strata wrote (a branch of 1 000 files after 200 commits: 40 ms for its snapshot and 34 ms for its files,
 * against 9 and 3 ms from a checkpoint), and a large branch's first version, its clone's list of every file, is
 * parsed whole on every listing.
 *
 * <ul>
 *   <li>A table gets one when the unit's versions cross a multiple of {@value #INTERVAL} (Delta's default
 *       {@code delta.checkpointInterval}; a table whose property is larger gets one at its own multiples only).
 *   <li>A branch's clone of at least {@value #CLONE_FILES} files gets one at version 0.
 * </ul>
 *
 * A checkpoint is an optimisation readers find by listing: one that fails (logged) or is never written (a process
 * stopped) changes no answer. One table's checkpoint runs at a time in the process.
 */
final class DeltaCheckpoints {
  private static final Logger LOG = Logger.getLogger(DeltaCheckpoints.class);
  static final int INTERVAL = 10;
  /**
   * From this many files a clone's first version is checkpointed. Below it, listing a clone from its JSON is as fast
   * as from a checkpoint or faster (10 000 files: 23 against 36 ms), which would cost 0.26 s to write; at 100 000
   * files a listing takes a quarter of the time (87 ms against 349; benchmarks/run-delta-branch.sh, idle).
   */
  static final long CLONE_FILES = 50_000;
  static final String INTERVAL_PROPERTY = "delta.checkpointInterval";
  private static final Set<String> RUNNING = ConcurrentHashMap.newKeySet();

  private DeltaCheckpoints() {}

  /** A checkpoint due at {@code version} of the table at {@code root}; {@code from}: the version before the unit's. */
  record Due(String root, long from, long version, boolean ofClone) {}

  /**
   * The checkpoints a committed unit leaves due: per table root, at the last version it wrote when its versions
   * crossed a multiple of {@link #INTERVAL}; for each clone of {@link #CLONE_FILES} files or more, at its last version
   * the unit wrote (0 but for columns a new branch inherits).
   */
  static List<Due> due(List<DeltaUnit.Written> written, Map<String, Long> clones) {
    Map<String, long[]> spans = new TreeMap<>();
    for (DeltaUnit.Written w : written) {
      spans.merge(w.root(), new long[] {w.before(), w.after()},
          (a, b) -> new long[] {Math.min(a[0], b[0]), Math.max(a[1], b[1])});
    }
    List<Due> due = new java.util.ArrayList<>();
    spans.forEach((root, span) -> {
      if (crosses(span[0], span[1], INTERVAL)) {
        due.add(new Due(root, span[0], span[1], false));
      }
    });
    clones.forEach((root, files) -> {
      if (files >= CLONE_FILES) {
        // at the last version the unit wrote to it (columns a new branch inherits), whatever the interval says
        long[] span = spans.get(root);
        due.removeIf(d -> d.root().equals(root));
        due.add(new Due(root, -1, span == null ? 0 : span[1], true));
      }
    });
    return due;
  }

  /** Whether the versions after {@code from} up to {@code to} include a multiple of {@code interval}. */
  static boolean crosses(long from, long to, long interval) {
    return to > from && Math.floorDiv(to, interval) > Math.floorDiv(from, interval);
  }

  /** The table's checkpoint interval: its {@value #INTERVAL_PROPERTY}, Delta's default when absent or not a count. */
  static long interval(Map<String, String> properties) {
    try {
      long n = Long.parseLong(properties.getOrDefault(INTERVAL_PROPERTY, "").trim());
      return n > 0 ? n : INTERVAL;
    } catch (NumberFormatException e) {
      return INTERVAL;
    }
  }

  /** Writes the checkpoints {@code unit}'s versions left due, in the background on {@code io}. */
  static void schedule(DeltaUnit unit, List<Due> due, Executor io) {
    for (Due d : due) {
      if (!RUNNING.add(d.root())) {
        continue; // the table's checkpoint is being written: the next unit's crossing takes it further
      }
      try {
        io.execute(() -> {
          try {
            write(unit.at(d.root()), d);
          } catch (RuntimeException | java.io.IOException | LinkageError e) {
            LOG.warnf("no checkpoint of the Delta table at %s, version %d: %s", d.root(), d.version(), e.toString());
          } finally {
            RUNNING.remove(d.root());
          }
        });
      } catch (RejectedExecutionException busy) {
        RUNNING.remove(d.root()); // the pool is full: the next crossing writes one
      }
    }
  }

  /**
   * Writes the checkpoint {@code due} names, unless the table's own interval is larger and not crossed. Answers
   * whether it wrote one (false too when another writer's stood in the way: the same state). Blocking.
   */
  static boolean write(DeltaTable table, Due due) throws java.io.IOException {
    Snapshot snapshot = table.at(due.version());
    if (!due.ofClone() && !crosses(due.from(), due.version(), interval(snapshot.getTableProperties()))) {
      return false;
    }
    try {
      snapshot.writeCheckpoint(table.engine());
      return true;
    } catch (java.nio.file.FileAlreadyExistsException | io.delta.kernel.exceptions.CheckpointAlreadyExistsException e) {
      return false; // another writer made it
    }
  }
}
