package io.strata.projections.delta;

import static org.assertj.core.api.Assertions.assertThat;

import io.delta.kernel.engine.Engine;
import io.strata.projections.delta.DeltaRootSweep.Outcome;
import io.strata.projections.delta.DeltaRootSweep.Released;
import io.vertx.mutiny.sqlclient.Tuple;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * A released branch root goes once nothing can reach it, and only then: one a change set, a ref, a commit attempt,
 * an undo record or a unit's intent names (each column that can), or another branch's log names a file of (a clone
 * of it, a commit taking its files), stays; a log that cannot say keeps every root; only a branch root under its own
 * table is ever deleted; the sweep leaves a root alone for the grace period and forgets the records it settled.
 */
class DeltaRootSweepTest {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private final Engine engine = DeltaTable.defaultEngine();
  private final DeltaRowDataBackend backend = DeltaRowDataBackend.shared();
  private final DeltaStorage storage = backend.storage();

  /** A tracked table of rows 1..5 in a repository of its own. */
  private record Lake(String repository, String tableRoot, DeltaTable table) {}

  private Lake lake() throws Exception {
    String repository = "sweep-" + UUID.randomUUID().toString().substring(0, 8);
    Path tablePath = Path.of(java.net.URI.create(storage.url())).resolve(repository + "/orders");
    KernelTables.create(engine, tablePath, KernelTables.SCHEMA);
    KernelTables.append(engine, tablePath, List.of(KernelTables.rows(1, 5)));
    DeltaTable table = storage.tableAt(tablePath.toUri().toString());
    sql("insert into strata_meta.delta_refs (repository, table_name, branch, root, base_root, base_version) values"
        + " ($1, 'orders', '', $2, $2, 1)", Tuple.of(repository, table.root().toString()));
    return new Lake(repository, table.root().toString(), table);
  }

  @Test
  void aRootGoesOnlyWhenNoCommitRefOrOtherBranchsLogCanReachIt() throws Exception {
    Lake l = lake();
    String parent = clone(l.table(), l.tableRoot(), "parent");
    String child = clone(storage.tableAt(parent), l.tableRoot(), "child");
    String taken = clone(l.table(), l.tableRoot(), "taken");
    String taker = clone(l.table(), l.tableRoot(), "taker");
    String alone = clone(l.table(), l.tableRoot(), "alone");
    // a merge into a branch other than the default one names the files it takes where they are
    storage.tableAt(taker).log().create(1, ("{\"add\":{\"path\":\"" + DeltaFile.uri(taken)
        + "/part-0.parquet\",\"partitionValues\":{},\"size\":1,\"modificationTime\":1,\"dataChange\":true}}\n")
        .getBytes(StandardCharsets.UTF_8));

    assertThat(sweep(l, parent)).as("a clone names its files").isEqualTo(Outcome.KEPT);
    assertThat(sweep(l, taken)).as("another branch's commit names its file").isEqualTo(Outcome.KEPT);
    assertThat(exists(parent)).isTrue();
    assertThat(exists(taken)).isTrue();
    assertThat(sweep(l, child)).isEqualTo(Outcome.DELETED);
    assertThat(exists(child)).isFalse();
    assertThat(sweep(l, parent)).as("its clone gone").isEqualTo(Outcome.DELETED);
    assertThat(sweep(l, taker)).isEqualTo(Outcome.DELETED);
    assertThat(sweep(l, taken)).as("the branch that took its file gone").isEqualTo(Outcome.DELETED);
    assertThat(sweep(l, alone)).isEqualTo(Outcome.DELETED);
    assertThat(sweep(l, alone)).as("gone already").isEqualTo(Outcome.DELETED);
    assertThat(storage.branchRoots(l.tableRoot())).isEmpty();
    assertThat(l.table().latest().getVersion()).as("the table itself untouched").isOne();
    assertThat(KernelTables.rows(1, 5)).hasSize(5);
  }

  /** Every column that can name a root keeps it, whatever form of URI names it. */
  @Test
  void everyColumnNamingARootKeepsIt() throws Exception {
    Lake l = lake();
    String root = clone(l.table(), l.tableRoot(), "named");
    String other = l.tableRoot();
    // the forms a root is written in: as made, with a trailing slash, as file:/// (Hadoop's and the JDK's forms)
    List<String> forms = List.of(root, root + "/", root.replaceFirst("^file:/", "file:///"));
    String id = UUID.randomUUID().toString();
    List<Object[]> columns = List.<Object[]>of(
        new Object[] {"insert into strata_meta.delta_change_sets (id, repository, table_name, from_root, from_version,"
            + " to_root, to_version) values ($4, $1, 'orders', $2, 0, $3, 1)", Outcome.COMMITTED, false},
        new Object[] {"insert into strata_meta.delta_change_sets (id, repository, table_name, from_root, from_version,"
            + " to_root, to_version) values ($4, $1, 'orders', $3, 0, $2, 1)", Outcome.COMMITTED, false},
        new Object[] {"insert into strata_meta.delta_refs (repository, table_name, branch, root, base_root,"
            + " base_version) values ($1, 'orders', $4, $2, $3, 0)", Outcome.KEPT, false},
        new Object[] {"insert into strata_meta.delta_refs (repository, table_name, branch, root, base_root,"
            + " base_version) values ($1, 'orders', $4, $3, $2, 0)", Outcome.KEPT, false},
        new Object[] {"insert into strata_meta.delta_kept_attempts (attempt, repository, table_name, branch, base_root,"
            + " base_version) values ($4, $1, 'orders', 'b', $2, 0) returning $3", Outcome.KEPT, false},
        new Object[] {"insert into strata_meta.delta_undo (attempt, repository, table_name, branch, root,"
            + " before_version, written_version, base_root, base_version) values ($4, $1, 'orders', 'b', $2, 0, 1, $3,"
            + " 0)", Outcome.KEPT, false},
        new Object[] {"insert into strata_meta.delta_undo (attempt, repository, table_name, branch, root,"
            + " before_version, written_version, base_root, base_version) values ($4, $1, 'orders', 'b', $3, 0, 1, $2,"
            + " 0)", Outcome.KEPT, false},
        new Object[] {"insert into strata_meta.delta_intents (unit, root, before_version, key) values ($4, $2, 0,"
            + " array[$1, $3])", Outcome.KEPT, false});
    for (String form : forms) {
      for (Object[] column : columns) {
        String sql = (String) column[0];
        sql(sql, Tuple.of(l.repository(), form, other, id));
        try {
          assertThat(sweep(l, root)).as(sql + " with " + form).isEqualTo(column[1]);
          assertThat(exists(root)).isTrue();
        } finally {
          for (String table : List.of("delta_change_sets where id", "delta_refs where branch",
              "delta_kept_attempts where attempt", "delta_undo where attempt", "delta_intents where unit")) {
            sql("delete from strata_meta." + table + " = $1", Tuple.of(id));
          }
        }
      }
    }
    assertThat(sweep(l, root)).as("nothing names it any more").isEqualTo(Outcome.DELETED);
  }

  /** A branch's log whose first commits are gone (cleaned up after a checkpoint) cannot say: every root stays. */
  @Test
  void aLogThatCannotSayKeepsEveryRoot() throws Exception {
    Lake l = lake();
    String alone = clone(l.table(), l.tableRoot(), "alone");
    String cleaned = clone(l.table(), l.tableRoot(), "cleaned");
    storage.tableAt(cleaned).log().create(1, "{\"commitInfo\":{}}\n".getBytes(StandardCharsets.UTF_8));
    Files.delete(Path.of(java.net.URI.create(cleaned)).resolve("_delta_log/00000000000000000000.json"));
    assertThat(sweep(l, alone)).isEqualTo(Outcome.KEPT);
    assertThat(exists(alone)).isTrue();
  }

  /** Only a directory Strata makes for a branch under the table's own {@code _strata/branches/} is deleted. */
  @Test
  void onlyABranchRootOfItsOwnTableIsEverDeleted() throws Exception {
    Lake l = lake();
    Lake other = lake();
    String elsewhere = clone(other.table(), other.tableRoot(), "elsewhere");
    for (String root : List.of(l.tableRoot(), l.tableRoot() + "_strata", l.tableRoot() + "_strata/branches/",
        l.tableRoot() + "_strata/branches/../../" + other.repository() + "-00000000",
        l.tableRoot() + "_strata/branches/Upper-0123abcd", l.tableRoot() + "_strata/branches/a-0123abcd/deeper",
        l.tableRoot() + "_strata/branches/no-suffix", elsewhere)) {
      assertThat(sweep(l, root)).as(root).isEqualTo(Outcome.REFUSED);
    }
    assertThat(l.table().latest().getVersion()).isOne();
    assertThat(exists(elsewhere)).isTrue();
  }

  /**
   * The branch directories a commit names: under a file's path, as a clone's source (no slash after it), with the
   * slashes a JSON writer may escape.
   */
  @Test
  void theBranchesACommitNamesAreFoundInEveryForm() {
    String commit = "{\"commitInfo\":{\"operationParameters\":{\"source\":\"file:/l/o/_strata/branches/src-0123abcd\"}}}\n"
        + "{\"add\":{\"path\":\"file:/l/o/_strata/branches/dev-89abcdef/part-0.parquet\"}}\n"
        + "{\"add\":{\"path\":\"file:\\/l\\/o\\/_strata\\/branches\\/esc-00000000\\/part-1.parquet\"}}\n"
        + "{\"add\":{\"path\":\"part-2.parquet\"}}\n";
    assertThat(DeltaRootSweep.branchesNamed(commit.getBytes(StandardCharsets.UTF_8), new java.util.HashSet<>()))
        .containsExactlyInAnyOrder("src-0123abcd", "dev-89abcdef", "esc-00000000");
  }

  /** In one pass, a clone deleted first no longer keeps its base: the base goes in the same pass. */
  @Test
  void aPassDeletesACloneThenTheBaseItKept() throws Exception {
    Lake l = lake();
    String base = clone(l.table(), l.tableRoot(), "base");
    String child = clone(storage.tableAt(base), l.tableRoot(), "child");
    sql("insert into strata_meta.delta_released_roots (repository, table_name, root, released_at) values"
        + " ($1, 'orders', $2, now() - interval '3 hours'), ($1, 'orders', $3, now() - interval '2 hours')",
        Tuple.of(l.repository(), child, base));
    assertThat(sweepDue(l)).isEqualTo(2);
    assertThat(exists(child)).isFalse();
    assertThat(exists(base)).isFalse();
    assertThat(records(l)).isEmpty();
  }

  /** A branch's table is told from a tracked one by its end, whatever the place's own path holds. */
  @Test
  void aBranchRootIsToldByItsEnd() {
    assertThat(DeltaStorage.isBranchRoot("file:/lake/orders/_strata/branches/dev-0123abcd")).isTrue();
    assertThat(DeltaStorage.isBranchRoot("s3://b/lake/orders/_strata/branches/dev-0123abcd/")).isTrue();
    assertThat(DeltaStorage.isBranchRoot("file:/data/_strata/branches/lake/orders/")).isFalse();
    assertThat(DeltaStorage.isBranchRoot("file:/data/_strata/lake/orders")).isFalse();
    assertThat(DeltaStorage.isBranchRoot("file:/lake/orders/_strata/branches/")).isFalse();
    assertThat(DeltaStorage.isBranchRoot("file:/lake/orders/")).isFalse();
  }

  /**
   * The recovery sweep's pass: a root released within the grace period stays, one released before goes and its
   * record with it; a root a commit reaches stays and its record goes; one another log names keeps its record.
   */
  @Test
  void theSweepWaitsOutTheGraceAndSettlesTheRecords() throws Exception {
    Lake l = lake();
    String recent = clone(l.table(), l.tableRoot(), "recent");
    String due = clone(l.table(), l.tableRoot(), "due");
    String committed = clone(l.table(), l.tableRoot(), "committed");
    String base = clone(l.table(), l.tableRoot(), "base");
    String clone = clone(storage.tableAt(base), l.tableRoot(), "clone");
    for (String root : List.of(recent, due, committed, base)) {
      sql("insert into strata_meta.delta_released_roots (repository, table_name, root) values ($1, 'orders', $2)",
          Tuple.of(l.repository(), root));
    }
    sql("update strata_meta.delta_released_roots set released_at = now() - interval '2 hours' where repository = $1"
        + " and root <> $2", Tuple.of(l.repository(), recent));
    sql("insert into strata_meta.delta_change_sets (id, repository, table_name, from_root, from_version, to_root,"
        + " to_version) values ($1, $2, 'orders', $3, 1, $4, 0)", Tuple.of(UUID.randomUUID().toString(),
        l.repository(), l.tableRoot(), committed));

    assertThat(sweepDue(l)).isOne();
    assertThat(exists(due)).isFalse();
    assertThat(exists(recent)).isTrue();
    assertThat(exists(committed)).isTrue();
    assertThat(exists(base)).isTrue();
    assertThat(records(l)).containsExactlyInAnyOrder(recent, base);

    // a root kept is looked at again a grace period later, not at every sweep
    storage.deleteTree(clone);
    assertThat(sweepDue(l)).isZero();
    assertThat(exists(base)).isTrue();
    sql("update strata_meta.delta_released_roots set checked_at = now() - interval '2 hours' where repository = $1",
        Tuple.of(l.repository()));
    assertThat(sweepDue(l)).isOne();
    assertThat(exists(base)).isFalse();
    assertThat(records(l)).containsExactly(recent);
  }

  private int sweepDue(Lake l) {
    return backend.pool().withTransaction(c -> DeltaRootSweep.sweepDue(backend.unit(c), l.repository(),
        Duration.ofHours(1))).await().atMost(WAIT);
  }

  private Outcome sweep(Lake l, String root) throws Exception {
    return DeltaRootSweep.sweep(backend.pool(), storage, new Released(l.repository(), "orders", l.tableRoot(), root));
  }

  /** A clone of {@code base}'s latest version at a new branch root of the table, named as a ref names it. */
  private String clone(DeltaTable base, String tableRoot, String branch) throws Exception {
    String root = tableRoot + "_strata/branches/" + branch + "-" + UUID.randomUUID().toString().substring(0, 8);
    assertThat(ShallowClone.create(base, base.latest().getVersion(), storage.tableAt(root), "t", 1L)).isTrue();
    return root;
  }

  private List<String> records(Lake l) {
    List<String> roots = new java.util.ArrayList<>();
    backend.pool().preparedQuery("select root from strata_meta.delta_released_roots where repository = $1")
        .execute(Tuple.of(l.repository())).await().atMost(WAIT).forEach(r -> roots.add(r.getString(0)));
    return roots;
  }

  private void sql(String sql, Tuple args) {
    backend.pool().preparedQuery(sql).execute(args).await().atMost(WAIT);
  }

  private static boolean exists(String root) {
    return Files.exists(Path.of(java.net.URI.create(root)));
  }
}
