package io.strata.projections.delta;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.jboss.logging.Logger;

/**
 * Deletes the table of a deleted branch (its root under the table's {@code _strata/branches/}) once nothing can reach
 * it (docs/delta.md, Garbage). The transaction that forgets a branch's ref, the one recording its deletion, records
 * the root ({@link #release}); the periodic recovery sweep looks at each repository's roots in each Delta storage
 * released more than a grace period ago ({@link #sweepDue}: outside any transaction, each statement its own, so one
 * root's failure holds up none of the others), one at a time:
 * <ul>
 *   <li>a commit's change set reads a state there (time travel): it stays for good, its record is forgotten;</li>
 *   <li>a ref (its root or its last commit's state), a commit attempt, an undo record or a unit's intent names it: it
 *       stays, and is looked at again a grace period later;</li>
 *   <li>the log of another branch's table names a file under it (a clone names its base's files, a merge, cherry-pick
 *       or reset into a branch other than the default one the files it takes, by absolute path), or cannot say (its
 *       first commits cleaned up after a checkpoint): it stays, looked at again a grace period later;</li>
 *   <li>else it is deleted, and its record forgotten.</li>
 * </ul>
 * The tracked table's own log is not read: a move into it copies what it takes from a branch first, so it never names
 * a branch's file. The grace period covers a command that read the root before the deletion and names its files
 * after. Only a root named {@code _strata/branches/<slug>-<8 hex digits>} under its table's root is ever deleted.
 */
final class DeltaRootSweep {
  private static final Logger LOG = Logger.getLogger(DeltaRootSweep.class);
  /**
   * How long a released root is left alone by default (the server's {@code STRATA_DELTA_RELEASED_TABLE_GRACE}): longer
   * than any command that read it before the release runs.
   */
  public static final Duration GRACE = Duration.ofHours(1);
  private static final Duration WAIT = Duration.ofSeconds(30);
  /** A branch root's directory name, as {@link DeltaBranchObjects#clone} makes it. */
  private static final Pattern NAME = Pattern.compile("[a-z0-9._-]{1,40}-[0-9a-f]{8}");

  /** A released root of {@code table} in {@code repository}; {@code tableRoot} the table's own. */
  record Released(String repository, String table, String tableRoot, String root) {}

  /** What a look at a released root decided. */
  enum Outcome {
    /** Deleted (or gone already): the record goes. */
    DELETED,
    /** A commit reaches it: it stays for good, the record goes. */
    COMMITTED,
    /** Something else reaches it, or may: it stays, and so does the record. */
    KEPT,
    /** Not a branch root of its table: never deleted, the record goes. */
    REFUSED
  }

  private DeltaRootSweep() {}

  /**
   * Records that {@code root} was released: in the transaction forgetting its ref, or on its own before a clone is
   * written there (taken back by {@link #unrelease} in the transaction recording the new ref).
   */
  static Uni<Void> release(SqlClient c, String repository, String table, String root) {
    return c.preparedQuery("insert into strata_meta.delta_released_roots (repository, table_name, root)"
        + " values ($1, $2, $3) on conflict do nothing").execute(Tuple.of(repository, table, root)).replaceWithVoid();
  }

  /** Notes that {@code r} was looked at and kept: it is looked at again a grace period later. */
  private static Uni<Void> checked(SqlClient c, Released r) {
    return c.preparedQuery("update strata_meta.delta_released_roots set checked_at = now() where repository = $1"
        + " and table_name = $2 and root = $3").execute(Tuple.of(r.repository(), r.table(), r.root()))
        .replaceWithVoid();
  }

  /** Takes back {@link #release}, in the caller's transaction: a ref names the root now. */
  static Uni<Void> unrelease(SqlClient c, String repository, String table, String root) {
    return c.preparedQuery("delete from strata_meta.delta_released_roots where repository = $1 and table_name = $2"
        + " and root = $3").execute(Tuple.of(repository, table, root)).replaceWithVoid();
  }

  /**
   * Looks at the repository's roots in {@code unit}'s storage released more than {@code grace} ago; answers how many it
   * deleted.
   * One root's failure is logged and leaves it for the next sweep; none holds up the others.
   */
  static Uni<Integer> sweepDue(DeltaUnit unit, String repository, Duration grace) {
    return unit.metadata().preparedQuery("select r.repository, r.table_name, r.root, d.root"
            + " from strata_meta.delta_released_roots r left join strata_meta.delta_refs d on d.repository ="
            + " r.repository and d.table_name = r.table_name and d.branch = ''"
            + " where r.repository = $1 and r.released_at < now() - make_interval(secs => $2)"
            + " and (r.checked_at is null or r.checked_at < now() - make_interval(secs => $2))"
            + " order by r.released_at")
        .execute(Tuple.of(repository, (double) grace.toSeconds()))
        .map(rows -> {
          List<Released> due = new ArrayList<>();
          for (Row r : rows) {
            if (unit.storage().holds(r.getString(2))) {
              due.add(new Released(r.getString(0), r.getString(1), r.getString(3), r.getString(2)));
            }
          }
          return due;
        })
        .chain(due -> {
          // each table's branch logs are read once in a pass, whatever the number of its roots due
          Map<String, BranchLogs> pass = new java.util.concurrent.ConcurrentHashMap<>();
          return Multi.createFrom().iterable(due)
            .onItem().transformToUniAndConcatenate(r -> (r.tableRoot() == null
                    // the table is untracked: its _strata/ went whole with it
                    ? Uni.createFrom().item(Outcome.REFUSED)
                    : unit.blocking(() -> sweep(unit.metadata(), unit.storage(), r, pass)))
                .call(outcome -> outcome == Outcome.KEPT ? checked(unit.metadata(), r)
                    : unrelease(unit.metadata(), r.repository(), r.table(), r.root()))
                .onFailure().invoke(e -> LOG.warnf("the released branch table at %s was kept (again at the next"
                    + " sweep): %s", r.root(), e.toString()))
                .onFailure().recoverWithItem(Outcome.KEPT))
            .collect().asList();
        })
        .map(outcomes -> (int) outcomes.stream().filter(o -> o == Outcome.DELETED).count());
  }

  /** Looks at one released root, and deletes it when nothing can reach it. Blocking: on a worker thread only. */
  static Outcome sweep(SqlClient metadata, DeltaStorage storage, Released released) throws IOException {
    return sweep(metadata, storage, released, new HashMap<>());
  }

  /** {@link #sweep}, with the branch logs of the tables {@code pass} has read already (read into it when not). */
  private static Outcome sweep(SqlClient metadata, DeltaStorage storage, Released released,
      Map<String, BranchLogs> pass) throws IOException {
    String name = branchName(released);
    if (name == null) {
      LOG.warnf("%s is not a branch table of %s: never swept", released.root(), released.tableRoot());
      return Outcome.REFUSED;
    }
    Outcome reached = reached(metadata, released, name);
    if (reached != null) {
      return reached;
    }
    BranchLogs logs = pass.get(released.tableRoot());
    if (logs == null) {
      logs = BranchLogs.read(storage, released.tableRoot());
      pass.put(released.tableRoot(), logs);
    }
    if (logs.name(name)) {
      return Outcome.KEPT;
    }
    storage.deleteTree(released.root());
    logs.deleted(name);
    LOG.infof("deleted the table of a deleted branch at %s: nothing reaches it", released.root());
    return Outcome.DELETED;
  }

  /**
   * The name of the released root's directory under its table's {@code _strata/branches/}; null when it is anything
   * else (the table's root itself, a directory elsewhere, a name Strata does not make).
   */
  static String branchName(Released released) {
    String table = same(released.tableRoot()) + "/_strata/branches/";
    String root = same(released.root());
    if (!root.startsWith(table)) {
      return null;
    }
    String name = root.substring(table.length());
    return NAME.matcher(name).matches() ? name : null;
  }

  /**
   * {@link Outcome#COMMITTED} when a change set of the table names the root {@code name} is the directory of,
   * {@link Outcome#KEPT} when a ref, a commit attempt, an undo record or an intent does, else null. Roots are compared
   * by their end, whatever form of URI names them.
   */
  static Outcome reached(SqlClient metadata, Released released, String name) {
    String end = "right(rtrim(%s, '/'), length($3)) = $3";
    String sql = "select exists (select from strata_meta.delta_change_sets where repository = $1 and table_name = $2"
        + " and (" + end.formatted("from_root") + " or " + end.formatted("to_root") + ")),"
        + " exists (select from strata_meta.delta_refs where repository = $1 and table_name = $2"
        + " and (" + end.formatted("root") + " or " + end.formatted("base_root") + "))"
        + " or exists (select from strata_meta.delta_kept_attempts where repository = $1 and table_name = $2"
        + " and " + end.formatted("base_root") + ")"
        + " or exists (select from strata_meta.delta_undo where repository = $1 and table_name = $2"
        + " and (" + end.formatted("root") + " or " + end.formatted("base_root") + "))"
        + " or exists (select from strata_meta.delta_intents where " + end.formatted("root") + ")";
    Row row = metadata.preparedQuery(sql).execute(Tuple.of(released.repository(), released.table(),
        "/_strata/branches/" + name)).await().atMost(WAIT).iterator().next();
    return row.getBoolean(0) ? Outcome.COMMITTED : row.getBoolean(1) ? Outcome.KEPT : null;
  }

  /**
   * What the logs of a table's branch roots name of one another: per branch directory, the branch directories its
   * commits name files under; null where its log cannot say (its first commits, or some between, are gone: cleaned
   * up after a checkpoint, which is not read). Read once per pass; a root deleted in the pass names nothing after.
   */
  static final class BranchLogs {
    private final Map<String, Set<String>> named = new HashMap<>();

    /** The logs of the branch roots of the table at {@code tableRoot}. Blocking. */
    static BranchLogs read(DeltaStorage storage, String tableRoot) throws IOException {
      BranchLogs logs = new BranchLogs();
      for (String other : storage.branchRoots(tableRoot)) {
        String dir = same(other).substring(same(other).lastIndexOf('/') + 1);
        DeltaLogStore log = storage.tableAt(other).log();
        List<Long> versions = log.versionsAfter(-1);
        Set<String> names = new HashSet<>();
        for (int i = 0; i < versions.size() && names != null; i++) {
          names = versions.get(i) != i ? null : branchesNamed(log.read(i), names);
        }
        logs.named.put(dir, names); // a clone never written names nothing
      }
      return logs;
    }

    /** Whether a log other than {@code name}'s own names a file under it, or cannot say. */
    boolean name(String name) {
      for (Map.Entry<String, Set<String>> e : named.entrySet()) {
        if (!e.getKey().equals(name) && (e.getValue() == null || e.getValue().contains(name))) {
          return true;
        }
      }
      return false;
    }

    /** {@code name}'s root is gone: its log names nothing any more. */
    void deleted(String name) {
      named.remove(name);
    }
  }

  /** A branch directory as a commit names it: a file under it, or the root itself (a clone's source). */
  private static final Pattern NAMED = Pattern.compile("_strata/branches/([A-Za-z0-9._%-]+)");

  /**
   * Adds to {@code into} the branch directories a commit names (a file under one, or one as a clone's source): what
   * follows {@code _strata/branches/}, a JSON writer's escaped slashes read as slashes; answers {@code into}.
   */
  static Set<String> branchesNamed(byte[] commit, Set<String> into) {
    java.util.regex.Matcher m = NAMED.matcher(new String(commit, StandardCharsets.UTF_8).replace("\\/", "/"));
    while (m.find()) {
      into.add(m.group(1));
    }
    return into;
  }

  /** {@code root} in the one form roots are compared in: as a log names it, without a trailing slash. */
  private static String same(String root) {
    String uri = DeltaFile.uri(root);
    return uri.endsWith("/") ? uri.substring(0, uri.length() - 1) : uri;
  }
}
