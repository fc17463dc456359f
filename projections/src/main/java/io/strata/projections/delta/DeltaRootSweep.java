package io.strata.projections.delta;

import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.jboss.logging.Logger;

/**
 * Deletes a branch's table root under {@code _strata/branches/} once its ref is forgotten (the branch deleted, or made
 * anew) and nothing reaches it (docs/delta.md, Garbage): no branch's ref names it, no commit's change set reads a state
 * there (time travel), no commit attempt, undo record or unit's intent names it, and no other branch's root was cloned
 * from it (a clone references its base's files by absolute path). In practice the root of a branch that made no
 * commit: a preview, an experiment dropped. After deleting a root, the root it was cloned from is looked at the same
 * way (a branch of a branch). Runs after the unit that forgot the ref committed, in the background; a failure is
 * logged and leaves the root, which the table's untracking removes with the rest of {@code _strata/}.
 */
final class DeltaRootSweep {
  private static final Logger LOG = Logger.getLogger(DeltaRootSweep.class);
  private static final Duration WAIT = Duration.ofSeconds(30);
  /** How many clones deep a sweep follows a root's bases. */
  private static final int MAX_DEPTH = 16;

  /** A branch's root whose ref a unit forgot: of {@code table} (its root {@code tableRoot}) in {@code repository}. */
  record Released(String repository, String table, String tableRoot, String root) {}

  private DeltaRootSweep() {}

  /** Sweeps {@code released} in the background on {@code io}, asking {@code metadata} what reaches each. */
  static void schedule(Pool metadata, DeltaStorage storage, List<Released> released, Executor io) {
    try {
      io.execute(() -> {
        for (Released r : released) {
          try {
            sweep(metadata, storage, r);
          } catch (RuntimeException | IOException | LinkageError e) {
            LOG.warnf("the branch table at %s was kept: %s", r.root(), e.toString());
          }
        }
      });
    } catch (RejectedExecutionException busy) {
      LOG.warnf("the worker pool is full: %d branch tables kept", released.size());
    }
  }

  /**
   * Deletes {@code released}'s root, then the roots it was cloned from, while nothing reaches them; answers how many it
   * deleted. Blocking: on a worker thread only.
   */
  static int sweep(Pool metadata, DeltaStorage storage, Released released) throws IOException {
    String branches = same(released.tableRoot()) + "/_strata/branches/";
    String root = released.root();
    int deleted = 0;
    for (int depth = 0; depth < MAX_DEPTH && root != null && same(root).startsWith(branches); depth++) {
      if (reached(metadata, released, root) || clonedFrom(storage, released.tableRoot(), root)) {
        break;
      }
      ChangedFiles.Origin origin = origin(storage, root);
      storage.deleteTree(root);
      deleted++;
      root = origin == null ? null : origin.root();
    }
    return deleted;
  }

  /** Whether a ref, a change set, a commit attempt, an undo record or an intent of the table names {@code root}. */
  static boolean reached(Pool metadata, Released table, String root) {
    // roots are compared as written (Strata writes each one the same way) and without a trailing slash
    String same = "rtrim(%s, '/') = rtrim($3, '/')";
    String sql = "select exists (select from strata_meta.delta_refs where repository = $1 and table_name = $2"
        + " and (" + same.formatted("root") + " or " + same.formatted("base_root") + "))"
        + " or exists (select from strata_meta.delta_change_sets where repository = $1 and table_name = $2"
        + " and (" + same.formatted("from_root") + " or " + same.formatted("to_root") + "))"
        + " or exists (select from strata_meta.delta_kept_attempts where repository = $1 and table_name = $2"
        + " and " + same.formatted("base_root") + ")"
        + " or exists (select from strata_meta.delta_undo where repository = $1 and table_name = $2"
        + " and (" + same.formatted("root") + " or " + same.formatted("base_root") + "))"
        + " or exists (select from strata_meta.delta_intents where " + same.formatted("root") + ")";
    return metadata.preparedQuery(sql).execute(Tuple.of(table.repository(), table.table(), root))
        .map(rows -> rows.iterator().next().getBoolean(0)).await().atMost(WAIT);
  }

  /** Whether another branch's root of the table was cloned from {@code root} (its files are that clone's too). */
  static boolean clonedFrom(DeltaStorage storage, String tableRoot, String root) throws IOException {
    for (String other : storage.branchRoots(tableRoot)) {
      if (!same(other).equals(same(root))) {
        ChangedFiles.Origin origin = origin(storage, other);
        if (origin != null && same(origin.root()).equals(same(root))) {
          return true;
        }
      }
    }
    return false;
  }

  /**
   * Where the table at {@code root} was cloned from; null when it has no first version a clone of Strata's wrote (an
   * attempt that failed before it, a root already gone).
   */
  private static ChangedFiles.Origin origin(DeltaStorage storage, String root) throws IOException {
    try {
      return ChangedFiles.cloneOrigin(storage.tableAt(root));
    } catch (java.nio.file.NoSuchFileException | java.io.FileNotFoundException
        | software.amazon.awssdk.services.s3.model.NoSuchKeyException none) {
      return null;
    }
  }

  /** {@code root} in the one form roots are compared in: as a log names it, without a trailing slash. */
  private static String same(String root) {
    String uri = DeltaFile.uri(root);
    return uri.endsWith("/") ? uri.substring(0, uri.length() - 1) : uri;
  }
}
