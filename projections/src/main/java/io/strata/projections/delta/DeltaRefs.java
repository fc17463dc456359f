package io.strata.projections.delta;

import io.smallrye.mutiny.Uni;
import io.strata.events.CommitIds;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What Strata keeps of a tracked Delta table's branches and commits, in {@code strata_meta.delta_*}: each branch's
 * {@link Ref}, and each change set as the two {@link State}s it leads between.
 */
final class DeltaRefs {
  private DeltaRefs() {
  }

  /** The name the default branch's ref is kept under, whatever the branch is called. */
  static final String DEFAULT = "";

  /** The name {@code branch}'s ref is kept under. */
  static String nameOf(io.strata.projections.rowdata.BranchRef branch) {
    return branch.isDefault() ? DEFAULT : branch.name();
  }

  /** The repository and name the table at {@code root} is tracked under; null when it is not. */
  static Uni<String[]> trackedAt(SqlConnection c, String root) {
    return c.preparedQuery("select repository, table_name from strata_meta.delta_refs where root = $1 and branch = ''")
        .execute(Tuple.of(root))
        .map(rows -> rows.iterator().hasNext()
            ? new String[] {rows.iterator().next().getString(0), rows.iterator().next().getString(1)} : null);
  }

  /**
   * The {@code metaData.id} of the table tracked at {@code root} as Strata recorded it (on its default branch's ref);
   * empty when none is tracked there or none was recorded.
   */
  static Uni<java.util.Optional<String>> identity(SqlConnection c, String root) {
    return c.preparedQuery("select table_id from strata_meta.delta_refs where root = $1 and branch = ''")
        .execute(Tuple.of(root))
        .map(rows -> rows.iterator().hasNext() ? java.util.Optional.ofNullable(rows.iterator().next().getString(0))
            : java.util.Optional.<String>empty());
  }

  /** Records {@code id}, the table's {@code metaData.id}, as the identity of the table tracked (its default ref). */
  static Uni<Void> identityIs(SqlConnection c, String repository, String table, String id) {
    return c.preparedQuery("update strata_meta.delta_refs set table_id = $3 where repository = $1 and table_name = $2"
        + " and branch = ''").execute(Tuple.of(repository, table, id)).replaceWithVoid();
  }

  /**
   * Records {@code id} as the identity of the table tracked at {@code root} when none is recorded: the sweep's record
   * for tables tracked before identities were, never over one tracked (again) since it read the ref.
   */
  static Uni<Void> identityFound(SqlConnection c, String repository, String table, String root, String id) {
    return c.preparedQuery("update strata_meta.delta_refs set table_id = $4 where repository = $1 and table_name = $2"
        + " and branch = '' and root = $3 and table_id is null").execute(Tuple.of(repository, table, root, id))
        .replaceWithVoid();
  }

  /** Records the key the table is tracked by (on its default branch's ref). */
  static Uni<Void> keyIs(SqlConnection c, String repository, String table, List<String> key) {
    return c.preparedQuery("update strata_meta.delta_refs set key = $3 where repository = $1 and table_name = $2"
            + " and branch = ''").execute(Tuple.of(repository, table, key.toArray(String[]::new))).replaceWithVoid();
  }

  /** The key the table is tracked by. */
  static Uni<List<String>> key(SqlConnection c, String repository, String table) {
    return c.preparedQuery("select key from strata_meta.delta_refs where repository = $1 and table_name = $2"
            + " and branch = ''").execute(Tuple.of(repository, table))
        .map(rows -> {
          if (!rows.iterator().hasNext() || rows.iterator().next().getArrayOfStrings(0) == null) {
            return List.<String>of();
          }
          return List.of(rows.iterator().next().getArrayOfStrings(0));
        });
  }

  /** A state of a Delta table: a table root (the table's, or a branch's) at a version of its log. */
  record State(String root, long version) {}

  /**
   * A branch's ref to a table: the root it reads and writes, its last commit's state, and the version of its root up
   * to which its working changes are staged (null: none are).
   */
  record Ref(String root, State base, Long staged) {}

  /** A change set: from one state to another. */
  record Span(String id, State from, State to) {}

  static Uni<Ref> ref(SqlConnection c, String repository, String table, String branch) {
    return c.preparedQuery("select root, base_root, base_version, staged_version from strata_meta.delta_refs"
            + " where repository = $1 and table_name = $2 and branch = $3")
        .execute(Tuple.of(repository, table, branch))
        .map(rows -> {
          if (!rows.iterator().hasNext()) {
            throw new IllegalStateException("branch '" + branch + "' has no ref of Delta table '" + table + "'");
          }
          Row r = rows.iterator().next();
          return new Ref(r.getString(0), new State(r.getString(1), r.getLong(2)), r.getLong(3));
        });
  }

  static Uni<Boolean> exists(SqlConnection c, String repository, String table, String branch) {
    return c.preparedQuery("select 1 from strata_meta.delta_refs where repository = $1 and table_name = $2"
            + " and branch = $3").execute(Tuple.of(repository, table, branch)).map(rows -> rows.rowCount() > 0);
  }

  static Uni<Void> put(SqlConnection c, String repository, String table, String branch, Ref ref) {
    return c.preparedQuery("insert into strata_meta.delta_refs (repository, table_name, branch, root, base_root,"
            + " base_version, staged_version) values ($1, $2, $3, $4, $5, $6, $7) on conflict (repository, table_name,"
            + " branch) do update set root = excluded.root, base_root = excluded.base_root, base_version ="
            + " excluded.base_version, staged_version = excluded.staged_version")
        .execute(Tuple.from(new Object[] {repository, table, branch, ref.root(), ref.base().root(),
            ref.base().version(), ref.staged()}))
        .replaceWithVoid();
  }

  /**
   * Puts back the last commit's state and staged version of {@code ref} on the branch's ref, only where the ref still
   * names {@code ref}'s root: a branch deleted and made anew under its name since (another root) is left alone.
   */
  static Uni<Void> putBack(SqlConnection c, String repository, String table, String branch, Ref ref) {
    return c.preparedQuery("update strata_meta.delta_refs set base_root = $5, base_version = $6, staged_version = $7"
            + " where repository = $1 and table_name = $2 and branch = $3 and root = $4")
        .execute(Tuple.from(new Object[] {repository, table, branch, ref.root(), ref.base().root(),
            ref.base().version(), ref.staged()}))
        .replaceWithVoid();
  }

  /**
   * Forgets the branch's ref; the root it named (a branch's own) is recorded as released in the same transaction, for
   * the sweep of roots nothing reaches ({@link DeltaRootSweep}).
   */
  static Uni<Void> delete(SqlConnection c, String repository, String table, String branch) {
    return c.preparedQuery("delete from strata_meta.delta_refs where repository = $1 and table_name = $2"
            + " and branch = $3 returning root").execute(Tuple.of(repository, table, branch))
        .chain(rows -> !rows.iterator().hasNext() || branch.equals(DEFAULT) ? Uni.createFrom().voidItem()
            : DeltaRootSweep.release(c, repository, table, rows.iterator().next().getString(0)));
  }

  /** Every branch's ref of the table, by branch. */
  static Uni<Map<String, Ref>> refs(SqlConnection c, String repository, String table) {
    return c.preparedQuery("select branch, root, base_root, base_version, staged_version from strata_meta.delta_refs"
            + " where repository = $1 and table_name = $2").execute(Tuple.of(repository, table))
        .map(rows -> {
          Map<String, Ref> refs = new HashMap<>();
          rows.forEach(r -> refs.put(r.getString(0), new Ref(r.getString(1), new State(r.getString(2), r.getLong(3)),
              r.getLong(4))));
          return refs;
        });
  }

  /** Forgets everything kept of the table: its refs, change sets and released roots. */
  static Uni<Void> forget(SqlConnection c, String repository, String table) {
    Tuple key = Tuple.of(repository, table);
    return c.preparedQuery("delete from strata_meta.delta_refs where repository = $1 and table_name = $2")
        .execute(key)
        .chain(() -> c.preparedQuery("delete from strata_meta.delta_change_sets where repository = $1"
            + " and table_name = $2").execute(key))
        .chain(() -> c.preparedQuery("delete from strata_meta.delta_kept_attempts where repository = $1"
            + " and table_name = $2").execute(key))
        .chain(() -> c.preparedQuery("delete from strata_meta.delta_undo where repository = $1"
            + " and table_name = $2").execute(key))
        // its _strata/ goes whole with it: nothing is left to sweep
        .chain(() -> c.preparedQuery("delete from strata_meta.delta_released_roots where repository = $1"
            + " and table_name = $2").execute(key))
        .replaceWithVoid();
  }

  /** Records the change set from {@code from} to {@code to}, content-addressed by the two states; answers its id. */
  static Uni<String> record(SqlConnection c, String repository, String table, State from, State to) {
    String id = CommitIds.sha256Hex("delta change " + repository + "\u0000" + table + "\u0000" + from.root() + "@"
        + from.version() + "\u0000" + to.root() + "@" + to.version());
    return c.preparedQuery("insert into strata_meta.delta_change_sets (id, repository, table_name, from_root,"
            + " from_version, to_root, to_version) values ($1, $2, $3, $4, $5, $6, $7) on conflict (id) do nothing")
        .execute(Tuple.from(new Object[] {id, repository, table, from.root(), from.version(), to.root(), to.version()}))
        .replaceWith(id);
  }

  /** The change sets {@code ids}, in the order given; one unknown fails. */
  static Uni<List<Span>> spans(SqlConnection c, String repository, String table, List<String> ids) {
    if (ids.isEmpty()) {
      return Uni.createFrom().item(List.of());
    }
    return c.preparedQuery("select id, from_root, from_version, to_root, to_version from strata_meta.delta_change_sets"
            + " where repository = $1 and table_name = $2 and id = any($3)")
        .execute(Tuple.of(repository, table, ids.toArray(String[]::new)))
        .map(rows -> {
          Map<String, Span> byId = new HashMap<>();
          rows.forEach(r -> byId.put(r.getString(0), new Span(r.getString(0), new State(r.getString(1), r.getLong(2)),
              new State(r.getString(3), r.getLong(4)))));
          List<Span> spans = new ArrayList<>();
          for (String id : ids) {
            Span s = byId.get(id);
            if (s == null) {
              throw new IllegalStateException("change set " + id + " of Delta table '" + table + "' is not known");
            }
            spans.add(s);
          }
          return spans;
        });
  }

  static Uni<Boolean> changeSetExists(SqlConnection c, String repository, String table, String id) {
    return c.preparedQuery("select 1 from strata_meta.delta_change_sets where repository = $1 and table_name = $2"
        + " and id = $3").execute(Tuple.of(repository, table, id)).map(rows -> rows.rowCount() > 0);
  }

  /** Keeps {@code ref} as it was before commit {@code attempt} captured from it. */
  static Uni<Void> keep(SqlConnection c, String attempt, String repository, String table, String branch, Ref ref) {
    return c.preparedQuery("insert into strata_meta.delta_kept_attempts (attempt, repository, table_name, branch,"
            + " base_root, base_version, staged_version, root) values ($1, $2, $3, $4, $5, $6, $7, $8)"
            + " on conflict do nothing")
        .execute(Tuple.from(new Object[] {attempt, repository, table, branch, ref.base().root(),
            ref.base().version(), ref.staged(), ref.root()}))
        .replaceWithVoid();
  }

  /** The ref kept for {@code attempt}, if any (its root null when kept before roots were). */
  static Uni<java.util.Optional<Ref>> kept(SqlConnection c, String attempt, String repository, String table,
      String branch) {
    return c.preparedQuery("select base_root, base_version, staged_version, root from strata_meta.delta_kept_attempts"
            + " where attempt = $1 and repository = $2 and table_name = $3 and branch = $4")
        .execute(Tuple.of(attempt, repository, table, branch))
        .map(rows -> rows.rowCount() == 0 ? java.util.Optional.empty() : java.util.Optional.of(rows.iterator().next())
            .map(r -> new Ref(r.getString(3), new State(r.getString(0), r.getLong(1)), r.getLong(2))));
  }

  static Uni<List<String>> keptAttempts(SqlConnection c, List<String[]> tables) {
    List<String> repositories = tables.stream().map(t -> t[0]).toList();
    List<String> names = tables.stream().map(t -> t[1]).toList();
    return c.preparedQuery("select distinct k.attempt from strata_meta.delta_kept_attempts k"
            + " join unnest($1::text[], $2::text[]) as t(repository, table_name)"
            + " on k.repository = t.repository and k.table_name = t.table_name order by 1")
        .execute(Tuple.of(repositories.toArray(String[]::new), names.toArray(String[]::new)))
        .map(rows -> {
          List<String> attempts = new ArrayList<>();
          rows.forEach(r -> attempts.add(r.getString(0)));
          return attempts;
        });
  }

  static Uni<Void> forgetAttempt(SqlConnection c, String attempt) {
    return c.preparedQuery("delete from strata_meta.delta_kept_attempts where attempt = $1").execute(Tuple.of(attempt))
        .replaceWithVoid();
  }

  /** What an attempt's move wrote to a branch's root, and the branch's ref before it. */
  record Undo(String root, long before, long written, Ref ref) {}

  static Uni<Void> keepUndo(SqlConnection c, String attempt, String repository, String table, String branch,
      Undo undo) {
    return c.preparedQuery("insert into strata_meta.delta_undo (attempt, repository, table_name, branch, root,"
            + " before_version, written_version, base_root, base_version, staged_version)"
            + " values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) on conflict do nothing")
        .execute(Tuple.from(new Object[] {attempt, repository, table, branch, undo.root(), undo.before(),
            undo.written(), undo.ref().base().root(), undo.ref().base().version(), undo.ref().staged()}))
        .replaceWithVoid();
  }

  /** The undo kept for {@code attempt}, forgotten as it is read (the caller's transaction keeps both or neither). */
  static Uni<java.util.Optional<Undo>> takeUndo(SqlConnection c, String attempt, String repository, String table,
      String branch) {
    return c.preparedQuery("delete from strata_meta.delta_undo where attempt = $1 and repository = $2"
            + " and table_name = $3 and branch = $4 returning root, before_version, written_version, base_root,"
            + " base_version, staged_version")
        .execute(Tuple.of(attempt, repository, table, branch))
        .map(rows -> rows.rowCount() == 0 ? java.util.Optional.<Undo>empty() : java.util.Optional.of(
            rows.iterator().next()).map(r -> new Undo(r.getString(0), r.getLong(1), r.getLong(2),
                new Ref(r.getString(0), new State(r.getString(3), r.getLong(4)), r.getLong(5)))));
  }

  /** Holds off every other Strata writer of the branch's table until the caller's transaction ends. */
  static Uni<Void> lock(SqlConnection c, String repository, String table, String branch) {
    return c.preparedQuery("select pg_advisory_xact_lock(hashtextextended($1, 7))")
        .execute(Tuple.of("delta|" + repository + "|" + table + "|" + branch)).replaceWithVoid();
  }
}
