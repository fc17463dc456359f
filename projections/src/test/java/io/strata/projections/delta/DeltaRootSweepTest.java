package io.strata.projections.delta;

import static org.assertj.core.api.Assertions.assertThat;

import io.delta.kernel.engine.Engine;
import io.vertx.mutiny.sqlclient.Tuple;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * A branch's root goes once nothing reaches it, and only then: a root a ref, a commit's change set, an undo record or
 * a unit's intent names, or another root was cloned from, stays; one deleted takes the roots it was cloned from that
 * nothing else reaches (a branch of a branch); the tracked table itself is never swept.
 */
class DeltaRootSweepTest {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private final Engine engine = DeltaTable.defaultEngine();

  @Test
  void aRootGoesOnlyWhenNothingReachesItAndTakesTheBasesNothingElseReaches() throws Exception {
    DeltaRowDataBackend backend = DeltaRowDataBackend.shared();
    DeltaStorage storage = backend.storage();
    String repository = "sweep-" + UUID.randomUUID().toString().substring(0, 8);
    String name = "orders";
    Path lake = Path.of(java.net.URI.create(storage.url()));
    Path tablePath = lake.resolve(repository + "/orders");
    KernelTables.create(engine, tablePath, KernelTables.SCHEMA);
    KernelTables.append(engine, tablePath, List.of(KernelTables.rows(1, 5)));
    DeltaTable table = storage.tableAt(tablePath.toUri().toString());
    String tableRoot = table.root().toString();

    String parent = clone(storage, table, tableRoot, "parent");
    String child = clone(storage, storage.tableAt(parent), tableRoot, "child");
    String committed = clone(storage, table, tableRoot, "committed");
    String referred = clone(storage, table, tableRoot, "referred");
    String intended = clone(storage, table, tableRoot, "intended");
    String undone = clone(storage, table, tableRoot, "undone");
    String alone = clone(storage, table, tableRoot, "alone");
    var pool = backend.pool();
    pool.preparedQuery("insert into strata_meta.delta_change_sets (id, repository, table_name, from_root,"
        + " from_version, to_root, to_version) values ($1, $2, $3, $4, 0, $5, 1)").execute(Tuple.tuple(List.of(
            UUID.randomUUID().toString(), repository, name, tableRoot, committed + "/"))).await().atMost(WAIT);
    pool.preparedQuery("insert into strata_meta.delta_refs (repository, table_name, branch, root, base_root,"
        + " base_version) values ($1, $2, 'other', $3, $3, 0)").execute(Tuple.of(repository, name, referred))
        .await().atMost(WAIT);
    pool.preparedQuery("insert into strata_meta.delta_intents (unit, root, before_version, key) values ($1, $2, 0,"
        + " array['id'])").execute(Tuple.of(UUID.randomUUID().toString(), intended)).await().atMost(WAIT);
    pool.preparedQuery("insert into strata_meta.delta_undo (attempt, repository, table_name, branch, root,"
        + " before_version, written_version, base_root, base_version) values ($1, $2, $3, 'x', $4, 0, 1, $5, 0)")
        .execute(Tuple.of(UUID.randomUUID().toString(), repository, name, tableRoot, undone)).await().atMost(WAIT);

    // reached: kept, with everything in it
    for (String kept : List.of(committed, referred, intended, undone)) {
      assertThat(sweep(backend, repository, tableRoot, kept)).as(kept).isZero();
      assertThat(storage.tableAt(kept).latest().getVersion()).isZero();
    }
    // a clone's base stays while the clone does; the clone deleted, the base it was the last clone of goes with it
    assertThat(sweep(backend, repository, tableRoot, parent)).isZero();
    assertThat(exists(parent)).isTrue();
    assertThat(sweep(backend, repository, tableRoot, child)).isEqualTo(2);
    assertThat(exists(child)).isFalse();
    assertThat(exists(parent)).isFalse();
    // a root nothing reaches goes; its base is the tracked table, which stays
    assertThat(sweep(backend, repository, tableRoot, alone)).isOne();
    assertThat(exists(alone)).isFalse();
    assertThat(sweep(backend, repository, tableRoot, tableRoot)).isZero();
    assertThat(table.latest().getVersion()).isOne();
    assertThat(storage.branchRoots(tableRoot)).containsExactlyInAnyOrder(committed, referred, intended, undone);
  }

  private static int sweep(DeltaRowDataBackend backend, String repository, String tableRoot, String root)
      throws Exception {
    return DeltaRootSweep.sweep(backend.pool(), backend.storage(),
        new DeltaRootSweep.Released(repository, "orders", tableRoot, root));
  }

  /** A clone of {@code base}'s latest version at a new branch root of the table, named as a ref names it. */
  private static String clone(DeltaStorage storage, DeltaTable base, String tableRoot, String branch)
      throws Exception {
    String root = tableRoot + "_strata/branches/" + branch + "-" + UUID.randomUUID().toString().substring(0, 8);
    assertThat(ShallowClone.create(base, base.latest().getVersion(), storage.tableAt(root), "t", 1L)).isTrue();
    return root;
  }

  private static boolean exists(String root) {
    return Files.exists(Path.of(java.net.URI.create(root)));
  }
}
